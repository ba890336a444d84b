"""Provider faults the simulator can inject: rate-limit waves, host outages, dropped tickers.

Kept apart from the HTTP plumbing so the rules are easy to read: the provider simulator asks
`Faults` before answering each request (under its own lock)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

YAHOO_KINDS = frozenset({"cookie", "crumb", "chart", "tz_probe", "quote", "quoteSummary",
                         "timeseries"})
KINDS = YAHOO_KINDS | {"pageviews", "fred", "ishares", "wikipedia", "head", "other"}
PROVIDERS = {  # provider name -> its hosts (a host ending in '.yahoo.com' is Yahoo)
    "yahoo": ("fc.yahoo.com", "guce.yahoo.com", "consent.yahoo.com",
              "query1.finance.yahoo.com", "query2.finance.yahoo.com"),
    "wikimedia": ("wikimedia.org",),
    "wikipedia": ("en.wikipedia.org",),
    "ishares": ("www.ishares.com",),
    "fred": ("fred.stlouisfed.org",),
}


def provider_of(host: str | None) -> str:
    host = (host or "").lower()
    if host == "yahoo.com" or host.endswith(".yahoo.com"):
        return "yahoo"
    for name, hosts in PROVIDERS.items():
        if host in hosts:
            return name
    return "unknown"


@dataclass
class Wave:
    """`count` requests of `kinds`, after `start_after` more were answered normally, get
    `status` (429). Retries count too: yfinance's retry of a 429 is a request of the wave."""

    kinds: frozenset[str]
    count: int
    start_after: int = 0
    status: int = 429
    retry_after: str | None = None
    passed: int = 0     # matching requests answered normally before the wave started
    hit: int = 0        # requests answered with `status`

    @property
    def over(self) -> bool:
        return self.hit >= self.count


@dataclass
class Faults:
    waves: list[Wave] = field(default_factory=list)
    down_hosts: set[str] = field(default_factory=set)   # hostnames or provider names
    dropped: set[str] = field(default_factory=set)      # tickers Yahoo answers 404 for

    def add_wave(self, kind: str | Iterable[str], count: int, start_after: int = 0,
                 status: int = 429, retry_after: str | None = None) -> Wave:
        kinds = {kind} if isinstance(kind, str) else set(kind)
        if "yahoo" in kinds:  # shorthand: every Yahoo request
            kinds = (kinds - {"yahoo"}) | YAHOO_KINDS
        unknown = kinds - KINDS
        if unknown:
            raise ValueError(f"unknown request kinds {sorted(unknown)}; known: {sorted(KINDS)}")
        wave = Wave(frozenset(kinds), int(count), int(start_after), status, retry_after)
        self.waves.append(wave)
        return wave

    def take_wave(self, kind: str) -> Wave | None:
        """The wave this request falls in (and count it), or None to answer normally."""
        for wave in self.waves:
            if wave.over or kind not in wave.kinds:
                continue
            if wave.passed < wave.start_after:
                wave.passed += 1
                return None
            wave.hit += 1
            return wave
        return None

    def is_down(self, host: str | None) -> bool:
        return bool(self.down_hosts) and (
            (host or "").lower() in self.down_hosts or provider_of(host) in self.down_hosts)

    def clear(self) -> None:
        self.waves.clear()
        self.down_hosts.clear()
        self.dropped.clear()

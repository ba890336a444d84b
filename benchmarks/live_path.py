"""The live path at scale, on the provider simulator: requests per provider and CPU seconds for
a first load and for the next day's run.

The simulator (tests/sim) answers Yahoo, Wikimedia, FRED, iShares and Wikipedia over HTTP
underneath the real yfinance and requests code, so the request counts are what those
libraries really send for our calls (cookie, crumb, timezone probes included). Both days run
in this process: `load_live` with the store's state, then what the ingest assets write
(`raw_load`). The daily run starts like a new process (yfinance's in-memory cookie, crumb and
response cache reset; its timezone cache on disk kept), as a scheduled run would.

CPU seconds are this process's (`time.process_time`), with the simulator's own share (building
and serialising its answers) measured inside it and reported apart.

    python -m benchmarks.live_path --tickers 2600       # about 10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

FIRST_DAY = dt.date(2026, 5, 7)
NEXT_DAY = dt.date(2026, 5, 8)


def _fill(tickers: int) -> dict[str, int]:
    """Synthetic index members that, with the ~20 bundled series, make about `tickers`:
    the real proportions of S&P 500 : S&P 600 : Russell 2000 (500 : 600 : 1,500 at ~2,600)."""
    n = max(3, tickers - 20)
    return {"sp500": round(n * 500 / 2600), "sp600": round(n * 600 / 2600), "russell2000": round(n * 1500 / 2600)}


def _evening(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 0), tzinfo=dt.timezone.utc)


def _timed_handle(sim) -> list[float]:
    """Accumulate the CPU time the simulator spends answering (subtracted from ours)."""
    spent = [0.0]
    handle = sim.handle

    def timed(*args, **kwargs):
        t0 = time.thread_time()
        try:
            return handle(*args, **kwargs)
        finally:
            spent[0] += time.thread_time() - t0

    sim.handle = timed
    return spent


def run(tickers: int, workdir: Path, log=lambda m: None) -> dict:
    import duckdb

    from scout_pipeline import raw_load, store
    from scout_pipeline.sources import live
    from scout_pipeline.sources.contracts import RAW_TABLES
    from scout_pipeline.sources.live_state import read_state
    from tests.sim import ProviderSim, sim_yfinance, standard_market

    fill = _fill(tickers)
    market = standard_market(fill=fill)
    sim = ProviderSim(market, day=FIRST_DAY)
    sim_cpu = _timed_handle(sim)
    db = workdir / "store.duckdb"
    min_rows = {k: min(v, 450 if k == "sp500" else 500 if k == "sp600" else 1500) for k, v in fill.items()}
    days = []
    with sim_yfinance(workdir / "yf-cache", sim) as env:
        for label, day in (("first load", FIRST_DAY), ("daily run", NEXT_DAY)):
            sim.day = day
            if label == "daily run":
                env.restart()  # a new process: cookie, crumb and response cache gone, tz cache on disk kept
            sim.reset_counts()
            sim_cpu[0] = 0.0
            log(f"live path: {label} for {day} ({sum(fill.values()) + 20} tickers) ...")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            data = live.load_live(day, state=read_state(db), http=env.session, yf_session=env.session,
                                  sleep=lambda s: None, now=_evening(day), preflight_timeout=2.0,
                                  constituent_min_rows=min_rows)
            fetched_cpu = time.process_time() - cpu0
            con = duckdb.connect(str(db))
            try:
                con.execute(store.SCHEMA_SQL.read_text())
                loaded_at = dt.datetime.now(dt.timezone.utc)
                for dataset in RAW_TABLES:
                    raw_load.write_dataset(con, data, dataset, data.get(dataset), loaded_at)
                raw_load.write_run_records(con, data, f"bench-{day}", day, "live")
            finally:
                con.close()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            equities = int((data.frames["universe"]["asset_type"] == "equity").sum())
            n = len(data.frames["universe"])
            by_provider = dict(sim.by_provider())
            kinds = Counter({k: v for k, v in sim.by_kind().items()})
            days.append({
                "run": label, "as_of": day.isoformat(), "tickers": n, "equities": equities,
                "requests": by_provider, "yahoo_by_kind": {k: kinds[k] for k in sorted(kinds)
                                                          if k in ("cookie", "crumb", "chart", "tz_probe", "quote",
                                                                   "quoteSummary", "timeseries")},
                "yahoo_per_ticker": by_provider.get("yahoo", 0) / n,
                "price_rows": int(len(data.frames["prices"])),
                "restated": int(len(data.frames["restatements"])),
                "ingest_failures": int(len(data.frames["ingest_log"])),
                "cpu_s": cpu, "simulator_cpu_s": sim_cpu[0], "pipeline_cpu_s": cpu - sim_cpu[0],
                "fetch_cpu_s": fetched_cpu, "wall_s": wall,
            })
            log(f"  {by_provider}  cpu {cpu:.1f} s (simulator {sim_cpu[0]:.1f} s)")
    return {"tickers": tickers, "fill": fill, "days": days}


def render(result: dict) -> str:
    lines = [f"## Live path on the provider simulator ({result['days'][0]['tickers']:,} tickers)", "",
             "| run | Yahoo | per ticker | chart | tz probe | quote | quoteSummary | cookie+crumb | Wikimedia "
             "| FRED | iShares | Wikipedia | pipeline CPU s | simulator CPU s | wall s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for d in result["days"]:
        r, k = d["requests"], d["yahoo_by_kind"]
        lines.append(
            f"| {d['run']} | {r.get('yahoo', 0):,} | {d['yahoo_per_ticker']:.2f} | {k.get('chart', 0):,} | "
            f"{k.get('tz_probe', 0):,} | {k.get('quote', 0):,} | {k.get('quoteSummary', 0):,} | "
            f"{k.get('cookie', 0) + k.get('crumb', 0)} | {r.get('wikimedia', 0):,} | {r.get('fred', 0)} | "
            f"{r.get('ishares', 0)} | {r.get('wikipedia', 0)} | {d['pipeline_cpu_s']:.1f} | "
            f"{d['simulator_cpu_s']:.1f} | {d['wall_s']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live_path", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickers", type=int, default=2600, help="universe size (default 2,600)")
    parser.add_argument("--out", help="write live_path.json here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scout-live-bench-") as tmp:
        result = run(args.tickers, Path(tmp), log=lambda m: print(m, file=sys.stderr, flush=True))
    print(render(result))
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "live_path.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Named fault points for the reliability suite (in the spirit of fail-rs / FreeBSD fail points).

`SCOUT_FAULTS="publish.after_swap=kill"` makes the process SIGKILL itself when it reaches
that point, so a test can crash a real `scout run` at an exact step instead of racing a
timer. Actions: `kill` (SIGKILL, no cleanup runs, like an OOM kill or a power cut to the
process), `raise` (an exception, like a bug at that step) and `sleep:N` (N seconds' pause,
like a slow provider: the process keeps what it holds, the warehouse lock included). Points may carry a detail:
`ingest.after_upsert:prices` fires only for that dataset, `ingest.after_upsert` for any.

Unset (the normal case) this is one dict lookup per point.
"""

from __future__ import annotations

import os
import signal
import time

ENV = "SCOUT_FAULTS"


class InjectedFault(RuntimeError):
    """Raised at a fault point configured with `raise`."""


def _configured() -> dict[str, str]:
    spec = os.environ.get(ENV, "")
    out = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, action = item.partition("=")
        out[name.strip()] = (action or "kill").strip()
    return out


def point(name: str, detail: str = "") -> None:
    """A place where a fault can be injected; does nothing unless SCOUT_FAULTS names it."""
    if ENV not in os.environ:
        return
    faults = _configured()
    action = faults.get(f"{name}:{detail}") if detail else None
    action = action or faults.get(name)
    if action is None:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "raise":
        raise InjectedFault(f"injected fault at {name}{':' + detail if detail else ''}")
    if action.startswith("sleep:"):
        time.sleep(float(action.removeprefix("sleep:")))
        return
    raise ValueError(f"{ENV}: unknown action {action!r} for {name} (use kill, raise or sleep:N)")

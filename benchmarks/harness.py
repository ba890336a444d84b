"""Timing, medians, peak memory, worker processes and the printed table.

Memory: every scenario group runs in its own Python process, so figures are per scenario and
never inherit another size's heap. Inside a process, a phase's peak resident set is read
from ``VmHWM`` in ``/proc/self/status`` after resetting it (``echo 5 > /proc/self/clear_refs``,
Linux >= 4.0); where that is unavailable the process-wide ``ru_maxrss`` is reported instead
(an upper bound). A worker that never resets it reports its whole-process peak the same
way (``VmHWM`` of its own process image); ``ru_maxrss`` from ``wait4``/``RUSAGE_CHILDREN``
is not used because Linux carries the parent's RSS at fork into the child's figure.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- memory

def _status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return (kib or 0) / 1024


def reset_peak() -> bool:
    """Reset this process's peak RSS counter; False where the OS does not allow it."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_mib() -> float:
    """Peak RSS since the last reset (VmHWM), else the process-wide ru_maxrss."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 1024


@dataclass
class Phase:
    """Timings (seconds) and peak RSS (MiB) of one measured step over its repeats."""

    name: str
    seconds: list[float] = field(default_factory=list)
    peak_mib: float = 0.0
    rows: int | None = None
    note: str = ""
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def as_dict(self) -> dict:
        return {"name": self.name, "seconds": [round(s, 4) for s in self.seconds],
                "median": None if self.median is None else round(self.median, 4),
                "peak_mib": round(self.peak_mib, 1), "rows": self.rows, "note": self.note,
                "error": self.error}


def measure(name: str, fn: Callable[[], object], repeats: int = 3,
            setup: Callable[[], object] | None = None, teardown: Callable[[object], None] | None = None,
            rows: int | None = None) -> Phase:
    """Run `fn` `repeats` times (after an untimed `setup` each time, whose result `fn` does
    not see; `teardown` gets `fn`'s result, untimed). Records each wall time and the peak RSS
    over the timed calls. An exception is recorded on the phase, not raised."""
    phase = Phase(name, rows=rows)
    for _ in range(repeats):
        try:
            if setup is not None:
                setup()
            reset_peak()
            started = time.perf_counter()
            result = fn()
            phase.seconds.append(time.perf_counter() - started)
            phase.peak_mib = max(phase.peak_mib, peak_mib())
            if teardown is not None:
                teardown(result)
            del result
        except Exception as exc:  # noqa: BLE001  a broken step is a figure too: report it
            phase.error = f"{type(exc).__name__}: {exc}"[:500]
            break
    return phase


@contextlib.contextmanager
def timed(into: dict, key: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        into[key] = into.get(key, 0.0) + time.perf_counter() - started


# --------------------------------------------------------------------------- workers

@dataclass
class WorkerResult:
    payload: dict
    wall: float
    returncode: int
    stderr: str

    @property
    def peak_mib(self) -> float | None:
        """The worker's own peak RSS (its VmHWM when it finished; see `scenarios.main`)."""
        return self.payload.get("vmhwm_mib")


def run_worker(task: dict, timeout: float = 3600, env: dict | None = None) -> WorkerResult:
    """Run ``python -m benchmarks.scenarios`` on `task` (JSON) in a fresh process; the worker
    writes its result as JSON to a file we name, including its own peak RSS (VmHWM of the
    new process image: ``ru_maxrss`` from wait4 would also count the parent's RSS at fork)."""
    with tempfile.TemporaryDirectory(prefix="scout-bench-") as tmp:
        out = Path(tmp) / "result.json"
        task = {**task, "result_path": str(out)}
        cmd = [sys.executable, "-m", "benchmarks.scenarios", json.dumps(task)]
        worker_env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1",
                      "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                      **(env or {})}
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=worker_env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
            code, err = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, err = -9, f"timed out after {timeout:.0f} s\n{exc.stderr or ''}"
        wall = time.perf_counter() - started
        payload = json.loads(out.read_text()) if out.exists() else {}
        return WorkerResult(payload, wall, code, (err or "")[-4000:])


# --------------------------------------------------------------------------- machine

def machine() -> dict:
    import duckdb
    import numpy
    import pandas

    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        import importlib.metadata as md

        dagster_version = md.version("dagster")
        gx_version = md.version("great-expectations")
    except Exception:  # noqa: BLE001
        dagster_version = gx_version = "?"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem,
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "duckdb": duckdb.__version__, "pandas": pandas.__version__, "numpy": numpy.__version__,
        "dagster": dagster_version, "great_expectations": gx_version,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# --------------------------------------------------------------------------- formatting

def fmt_s(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 0.1:
        return f"{value * 1000:.0f} ms"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def fmt_rate(rows: float | None) -> str:
    if rows is None:
        return "n/a"
    return f"{rows / 1e6:.2f} M rows/s"


def fmt_mib(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / 1024:.2f} GiB" if value >= 1024 else f"{value:.0f} MiB"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line(header), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(r) for r in rows]
    return "\n".join(out)

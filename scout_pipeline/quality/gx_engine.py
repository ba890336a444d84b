"""great_expectations, imported only here and only when a check needs it.

One ephemeral (in-memory) data context per process, analytics and progress bars off; one
pandas data source with a dataframe asset per suite batch. GX validates the rows the SQL
screen failed (quality/runner.py), so a clean run never imports it (~2.2 CPU s saved); the
first failing batch pays the import. Under SCOUT_GATE_GX=always (GX validates every batch)
ingest calls `warm_up()`, which starts the import in a background thread so it overlaps
the ingest and transform steps.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scout_pipeline.quality.spec import ERROR, Expect, Param

SOURCE = "scout_quality"
_lock = threading.Lock()
_context = None
_warm: threading.Thread | None = None
# GX's cost in this process (validations and their seconds, context creation included):
# benchmarks/gate_cost.py reports it per suite
SPENT = {"calls": 0, "seconds": 0.0}


def gx_always() -> bool:
    """SCOUT_GATE_GX=always: GX validates every batch whole (up to a size), not only failures."""
    return os.environ.get("SCOUT_GATE_GX", "").strip().lower() == "always"


def _quiet_env() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def warm_up() -> None:
    """Import GX in the background (idempotent); `context()` waits for it."""
    global _warm
    _quiet_env()
    with _lock:
        if _warm is None and _context is None:
            _warm = threading.Thread(target=_import, name="gx-warm-up", daemon=True)
            _warm.start()


def _import():
    import great_expectations  # noqa: F401  (the point: load it once)
    import great_expectations.expectations  # noqa: F401


def context():
    global _context
    if _warm is not None:
        _warm.join()
    with _lock:
        if _context is None:
            _quiet_env()
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            )
            _context = gx.get_context(mode="ephemeral", project_config=config)
            _context.data_sources.add_pandas(SOURCE)
        return _context


@dataclass
class Result:
    name: str
    success: bool
    unexpected_count: int
    unexpected_index: list
    element_count: int
    note: str = ""


def to_gx(e: Expect):
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs = {k: ({"$PARAMETER": v.name} if isinstance(v, Param) else v) for k, v in e.kwargs.items()}
    if e.where is not None:
        col, op, value = e.where
        kwargs["row_condition"] = (Column(col) == value) if op == "==" else (Column(col) != value)
    return getattr(gxe, e.gx)(**kwargs, meta={"name": e.name},
                              severity="critical" if e.severity == ERROR else "warning")


def validate(asset_name: str, frame: pd.DataFrame, expectations: list[Expect],
             parameters: dict[str, Any]) -> list[Result]:
    """Validate `frame` with `expectations` as one GX suite; a result per expectation.

    A first pass asks GX for pass/fail only (BOOLEAN_ONLY: about a third cheaper, and the
    clean path is the common one); the expectations that failed are validated again with
    the COMPLETE result format, for their counts and the index of every unexpected row."""
    started = time.perf_counter()
    try:
        return _validate_twice(asset_name, frame, expectations, parameters)
    finally:
        SPENT["calls"] += 1
        SPENT["seconds"] += time.perf_counter() - started


def _validate_twice(asset_name: str, frame: pd.DataFrame, expectations: list[Expect],
                    parameters: dict[str, Any]) -> list[Result]:
    first = _validate(asset_name, frame, expectations, parameters, "BOOLEAN_ONLY")
    failed = {r.name for r in first if not r.success}
    if not failed:
        return first
    detail = _validate(asset_name, frame, [e for e in expectations if e.name in failed], parameters, "COMPLETE")
    return [r for r in first if r.success] + detail


def _validate(asset_name: str, frame: pd.DataFrame, expectations: list[Expect],
              parameters: dict[str, Any], result_format: str) -> list[Result]:
    import great_expectations as gx

    ctx = context()
    source = ctx.data_sources.get(SOURCE)
    with _lock:
        if asset_name in source.get_asset_names():
            definition = source.get_asset(asset_name).get_batch_definition("run")
        else:
            definition = source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe("run")
    suite = gx.ExpectationSuite(name=asset_name)
    for e in expectations:
        suite.add_expectation(to_gx(e))
    batch = definition.get_batch(batch_parameters={"dataframe": frame})
    used = {v.name for e in expectations for v in e.kwargs.values() if isinstance(v, Param)}
    run = batch.validate(suite, result_format={"result_format": result_format, "partial_unexpected_count": 0},
                         expectation_parameters={k: parameters[k] for k in used})
    out = []
    for res in run.results:
        r = res.result or {}
        note = ""
        error = _exception(res.exception_info)
        if error:
            note = f"could not be evaluated: {error}"
        elif not res.success and "unexpected_count" not in r and "observed_value" in r:
            note = f"observed {r['observed_value']!r}"
        out.append(Result(
            name=res.expectation_config.meta["name"], success=bool(res.success),
            unexpected_count=int(r.get("unexpected_count") or 0),
            unexpected_index=list(r.get("unexpected_index_list") or []),
            element_count=int(r.get("element_count") or len(frame)), note=note))
    return out


def _exception(info) -> str:
    """GX reports an exception either flat or per metric; the first message, if any."""
    if not isinstance(info, dict):
        return ""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "error")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "error")
    return ""

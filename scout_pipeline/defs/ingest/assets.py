"""Ingest: one asset per raw table, each upserted from the run's source in one transaction."""


import datetime as dt

import dagster as dg

from scout_pipeline import faults, raw_load
from scout_pipeline.quality import ingest as gate  # run stamps, duplicate keys (quality gate)
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.sources.contracts import RAW_TABLES

DATASETS = tuple(RAW_TABLES)
_DATE_COLUMN = {"prices": "date", "fundamentals": "as_of", "attention": "date", "rates": "date",
                "fomc_calendar": "meeting_date"}


MAX_SOURCE_RETRIES = 2
RETRY_BASE_SECONDS = 2.0


def _is_transient(exc: Exception) -> bool:
    """Errors worth another try: network hiccups, rate-limit waves. Not bad data, not a
    machine with no network at all (the live preflight already said so)."""
    import requests

    from scout_pipeline.sources.errors import DatasetFailed, SourceUnavailable

    if isinstance(exc, DatasetFailed):
        # worth another pull when most items errored, were rate-limited or were never tried
        # (skipped after a wave outlasted the fetch's own cooldowns); not when the provider
        # answered "no data" (delisted tickers stay missing)
        from scout_pipeline.sources.errors import FAILED, RATE_LIMITED, SKIPPED

        log = exc.ingest_log
        if log is None or log.empty:
            return True
        mine = log[log["dataset"] == exc.dataset]
        return int(mine["status"].isin([FAILED, RATE_LIMITED, SKIPPED]).sum()) * 2 > len(mine)
    if isinstance(exc, SourceUnavailable):
        return False
    return isinstance(exc, (requests.RequestException, ConnectionError, TimeoutError)) or \
        type(exc).__name__ == "YFRateLimitError"


def _load(context: dg.AssetExecutionContext, scout: ScoutResource):
    try:
        return scout.load(context.run_id, attempt=context.retry_number, tags=context.run.tags)
    except Exception as exc:
        if _is_transient(exc) and context.retry_number < MAX_SOURCE_RETRIES:
            wait = RETRY_BASE_SECONDS * 2 ** context.retry_number
            context.log.warning(f"source error, retrying in {wait:g}s: {exc}")
            raise dg.RetryRequested(max_retries=MAX_SOURCE_RETRIES, seconds_to_wait=wait) from exc
        raise


def _ingest(context: dg.AssetExecutionContext, scout: ScoutResource, dataset: str) -> dg.MaterializeResult:
    data = _load(context, scout)
    frame = data.get(dataset)
    # "<dataset>: ..." notes go to their asset; general ones to raw.prices, shown once.
    general = [n for n in data.notes if n.split(":")[0] not in RAW_TABLES]
    notes = [n for n in data.notes if n.startswith(f"{dataset}:")] + (general if dataset == "prices" else [])
    wh = scout.warehouse()
    meta: dict = {}
    # GX validates only what the SQL screen failed (quality/runner.py): a clean run never
    # needs it, so it is imported when a batch first fails, except under SCOUT_GATE_GX=always
    if gate.gx_always():
        gate.warm_up()
    loaded_at = dt.datetime.now(dt.timezone.utc)
    with wh.connect(context.run_id) as con:
        if frame is not None:
            # a key delivered twice would be refused by the upsert: keep one copy, the rest for the gate
            frame = gate.set_aside_duplicates(con, context.run_id, dataset, frame, loaded_at)
        written, deleted = raw_load.write_dataset(con, data, dataset, frame, loaded_at)
        if dataset == "prices":
            records = raw_load.write_run_records(con, data, context.run_id,
                                                 scout.as_of_date(context.run.tags), scout.source)
            meta.update({{"ingest_log": "ingest_failures"}.get(k, k): v for k, v in records.items()})
        faults.point("ingest.after_upsert", dataset)
        meta["duplicate_rows"] = gate.log_ingest(con, context.run_id, dataset, loaded_at, written)
        total = con.execute(f"SELECT count(*) FROM raw.{dataset}").fetchone()[0]
        meta.update({"rows_written": written, "rows_deleted": deleted, "dagster/row_count": total,
                     "source": data.name})
        if dataset in _DATE_COLUMN and total:
            col = _DATE_COLUMN[dataset]
            first, last = con.execute(f"SELECT min({col}), max({col}) FROM raw.{dataset}").fetchone()
            meta["date_range"] = f"{first} .. {last}"
    for note in notes:
        context.log.info(note)
    if frame is None and not any(n.startswith(f"{dataset}:") for n in notes):
        notes.append(f"{dataset}: absent from source {data.name}; marts that need it will be empty")
    if notes:
        # plain text, not markdown: notes quote user-supplied ids and tickers
        meta["notes"] = dg.MetadataValue.text("\n".join(f"- {n}" for n in notes))
    return dg.MaterializeResult(metadata=meta)


def _make(dataset: str) -> dg.AssetsDefinition:
    key, _ = RAW_TABLES[dataset]

    @dg.asset(
        key=["raw", dataset],
        group_name="ingest",
        kinds={"duckdb", "python"},
        description=f"raw.{dataset}: upserted by ({', '.join(key)}) from the run's source.",
    )
    def _asset(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
        return _ingest(context, scout, dataset)

    return _asset


ingest_assets = [_make(d) for d in DATASETS]

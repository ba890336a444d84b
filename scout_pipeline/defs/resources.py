"""The `scout` resource: where the warehouse is, which source, which day, which thresholds."""


import contextlib
import datetime as dt
import os
from functools import lru_cache

import dagster as dg

from scout_pipeline import calendar, params
from scout_pipeline.sources.contracts import SourceData
from scout_pipeline.store import Warehouse


def default_warehouse_dir() -> str:
    return os.environ.get("SCOUT_WAREHOUSE", "warehouse")


def resolve_as_of(as_of: str, source: str) -> dt.date:
    """The session a run is for: the given day (or the session before it), else the last
    completed NYSE session; for a snapshot directory, no later than its last price date."""
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValueError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
        return calendar.previous_session(day)
    day = calendar.last_completed_session()
    if source not in ("sample", "live"):
        from scout_pipeline.sources.snapshot import last_price_date

        last = last_price_date(source)
        if last is not None and last < day:
            day = calendar.previous_session(last)
    return day


@lru_cache(maxsize=2)
def _load_once(run_id: str, source: str, as_of: dt.date, history_start: str, store: str) -> SourceData | Exception:
    # One fetch per run: every ingest asset of the run reads its dataset from this, and a
    # source that failed is not asked again by the next asset (its error is kept).
    from scout_pipeline.sources import load_source

    start = dt.date.fromisoformat(history_start) if history_start else None
    try:
        return load_source(source, as_of, history_start=start, store=store)
    except Exception as exc:  # re-raised by _load in every asset that needs the source
        return exc


def _load(run_id: str, source: str, as_of: dt.date, history_start: str, store: str) -> SourceData:
    result = _load_once(run_id, source, as_of, history_start, store)
    if isinstance(result, Exception):
        raise result
    return result


def clean_up_after_crash(instance: "dg.DagsterInstance | None", wh: Warehouse, previous: dict | None) -> list[str]:
    """Remove half-written files, and mark a run that died holding the lock as failed so the
    UI does not show it running forever (nor the run queue count it). Returns what it did.
    Call while holding the warehouse lock."""
    done = []
    removed = wh.sweep()
    if removed:
        done.append(f"removed {len(removed)} file(s) a killed run left half-written: "
                    + ", ".join(p.name for p in removed[:5]))
    from scout_pipeline import store

    done += store.guard_store(wh)  # raises StoreBusy naming a read-write holder of the store
    done += store.resolve_unfinished(wh)
    dead_run = (previous or {}).get("run_id")
    record = instance.get_run_by_id(dead_run) if dead_run and instance is not None else None
    if record is not None and not record.is_finished:
        instance.report_run_failed(
            record, message=f"the process running it (pid {previous.get('pid')}) died before it finished "
                            "(killed?); found and cleaned up after by the next holder of the warehouse lock")
        done.append(f"run {dead_run} died before it finished; marked failed")
    return done


def published_as_of(wh: Warehouse) -> dt.date | None:
    """The as-of session of the build `scout.duckdb` holds (None without one)."""
    import duckdb

    from scout_pipeline.store import open_published

    if not wh.published.exists():
        return None
    try:
        con = open_published(wh.published)
    except duckdb.Error:
        return None  # unreadable: `scout recover` reports it; nothing to protect here
    try:
        row = con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return dt.date.fromisoformat(row[0]) if row else None


def refuse_older_day(wh: Warehouse, as_of: dt.date, allow_older: bool) -> None:
    """A run for an older day than the published build would replace the published
    warehouse (and, from a complete source, cut the stored history back to that day): only
    with an explicit `allow_older`."""
    from scout_pipeline.store import StoreError

    published = published_as_of(wh)
    if published is not None and as_of < published and not allow_older:
        raise StoreError(
            f"this run is for {as_of}, older than the published build ({published}): publishing it would "
            f"replace the {published} warehouse with {as_of}'s. To do that on purpose, pass --allow-older "
            "(scout run/backfill) or set resources.scout.config.allow_older: true (launchpad); to read an "
            f"earlier day's brief, `scout brief --as-of {as_of}`; for a separate build of it, use another --warehouse.")


class ScoutResource(dg.ConfigurableResource):
    """Run settings. Override in the launchpad under resources.scout.config."""

    warehouse_dir: str = default_warehouse_dir()
    source: str = "sample"
    as_of: str = ""
    history_start: str = ""  # backfills: first session an incremental source fetches
    allow_older: bool = False  # publish a day older than the published build's (replaces it)
    params: dict[str, float] = {}
    full_refresh: bool = False  # rebuild the incremental marts whole (scout_pipeline/incremental.py)

    def warehouse(self) -> Warehouse:
        return Warehouse.at(self.warehouse_dir)

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        """Hold the warehouse lock for the whole run, whatever launched it (CLI, schedule,
        UI), and clean up after a run that was killed holding it."""
        import duckdb

        from scout_pipeline import lock, source_family

        params.resolve(self.params)  # a bad launchpad threshold fails the run here, once, by name
        run = context.dagster_run
        if run is None:  # a sensor or a test building the resource: not a run, no lock
            yield self
            return
        wh = self.warehouse()
        with lock.hold(wh.root, wait=lock.BRIEF_WAIT, run_id=run.run_id) as held:
            for line in ([held.repaired] if held.repaired else []) + clean_up_after_crash(context.instance, wh, held.previous):
                if context.log:
                    context.log.warning(line)
            held.previous = None  # handled
            from scout_pipeline import retention, store

            store.require_store(wh)  # a lost store with journal history: `scout recover`, not a fresh start
            refuse_older_day(wh, self.as_of_date(run.tags), self.allow_older)
            for line in retention.prune_dagster_runs(context.instance, keep_after=run.run_id):
                if context.log:
                    context.log.info(line)
            # a UI or schedule launch gets the same refusal `scout run` gives before it starts
            try:
                source_family.check(wh.root, self.source)
            except duckdb.Error as exc:  # a damaged store: named with its fix, as elsewhere
                damaged = wh.damaged(exc, wh.store)
                if damaged is None:
                    raise
                raise damaged from None  # the summary shows a setup error's innermost cause
            wh.prepare_work(run.run_id, parent_run_id=run.parent_run_id)
            self._tag_run(context.instance, run)
            yield self

    def _tag_run(self, instance: "dg.DagsterInstance | None", run: "dg.DagsterRun") -> None:
        """Give a UI or schedule run the scout/* tags `scout run` sets, so every run says
        what it built whatever launched it."""
        from scout_pipeline import provenance

        tags = provenance.run_tags(self.source, self.as_of_date(run.tags).isoformat(), dict(self.params))
        missing = {k: v for k, v in tags.items() if run.tags.get(k) != v}
        if missing and instance is not None and instance.has_run(run.run_id):
            instance.add_run_tags(run.run_id, missing)

    def as_of_date(self, tags: dict | None = None) -> dt.date:
        """The run's session: the configured as_of, else the run's `scout/as_of` tag (set when
        its resource first started, so a re-execution builds the same day), else the last
        completed session. Runs are not partitioned (README "Partitions and backfills")."""
        from scout_pipeline import provenance

        return resolve_as_of(self.as_of or (tags or {}).get(provenance.AS_OF_TAG, ""), self.source)

    def history_start_date(self) -> dt.date | None:
        """The configured backfill start (first session of a range run), or None."""
        if not self.history_start:
            return None
        try:
            return dt.date.fromisoformat(self.history_start)
        except ValueError:
            raise ValueError(f"history_start {self.history_start!r} is not a date (YYYY-MM-DD)") from None

    def load(self, run_id: str, attempt: int = 0, tags: dict | None = None) -> SourceData:
        """The run's source data, fetched once per run and retry attempt. An incremental
        source (live) reads what to fetch from `store.duckdb`, which no step of the run
        changes (the working copy would move once raw.prices is ingested)."""
        key = f"{run_id}#{attempt}"
        start = self.history_start_date()
        return _load(key, self.source, self.as_of_date(tags), start.isoformat() if start else "",
                     str(self.warehouse().store))

    def sql_params(self, tags: dict | None = None) -> dict:
        values = {**params.resolve(self.params), "as_of": self.as_of_date(tags)}
        start = self.history_start_date()
        if start:  # a range: marts that keep history compute each of its sessions (mart_history)
            values["history_from"] = start
        if self.full_refresh:
            values["full_refresh"] = True
        else:  # a run rebuilds its incremental marts only from the first changed day
            values["incremental"] = True
        return values

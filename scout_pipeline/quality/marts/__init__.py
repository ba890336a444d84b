"""Suites for the marts, one module per mart, named after it (sql/marts/<name>.sql ->
marts/<name>.py). A suite validates the rows the mart's build wrote, bound as `$since`
(runner.written_since): an incremental mart (`-- @incremental`) its rows from the build's
recorded `since` on, a mart that keeps every published day (`-- @history`) the run's days
(the kept days were validated by the runs that published them), a mart rebuilt whole every
row. A mart without a module here still gets the key suite (key present and unique); a
module whose mart does not exist (yet) is skipped and says so.
"""

from __future__ import annotations

from scout_pipeline.quality.spec import Param, between

PERCENT = "a percentage, 0..100"


def percent(column: str):
    return between(column, 0, 100, name=f"{column}_within_0_100", doc=f"{column} is {PERCENT}")


def not_after_as_of(column: str = "as_of"):
    return between(column, high=Param("as_of"), name=f"{column}_not_after_as_of",
                   doc=f"{column} is not after the run's as-of day")

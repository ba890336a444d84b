"""raw.prices: daily bars. Suite `prices`."""

from scout_pipeline.quality.spec import (
    ERROR, WARN, Batch, Param, Suite, a_ge_b, between, in_set, key_rules, not_null, symbol,
)

KEY = ("ticker", "date")

# The run's bars, with what the bar-level expectations compare: the larger/smaller of open
# and close (give or take a float-rounding tolerance, ohlc_tolerance), and the move of the
# adjusted close from the previous bar of the series (the first new bar is compared with the
# last stored one). A bar is also checked when the bar before it was written by the run (a
# rescaled history shows at the first bar after it). The window is what those rules need:
# the series the run wrote, from a month before its earliest bar (a bar more than 30 days
# after the one before it, a series back from a long halt, starts afresh); `written` is
# read once (loaded_at's zone maps find a run's rows without reading the history).
ROWS_SQL = """
WITH written AS MATERIALIZED (
    SELECT ticker, date FROM raw.prices WHERE loaded_at = CAST($stamp AS TIMESTAMP)
    UNION ALL SELECT ticker, date FROM quality.prices_duplicates WHERE run_id = $run_id
),
hist AS (
    SELECT t.*,
           coalesce(adj_close, close) AS adjusted,
           lag(coalesce(adj_close, close)) OVER w AS prev_adjusted,
           lag(date) OVER w AS prev_date,
           lag(loaded_at) OVER w AS prev_loaded_at
    FROM raw.prices t
    WHERE CAST($stamp AS TIMESTAMP) IS NULL  -- a check run alone: the whole table
       OR (date >= (SELECT min(date) - 30 FROM written)  -- a DATE: no cast per bar
           AND ticker IN (SELECT DISTINCT ticker FROM written))
    WINDOW w AS (PARTITION BY ticker ORDER BY date)
),
rows AS (
    SELECT * FROM hist t
    WHERE CAST($stamp AS TIMESTAMP) IS NULL OR loaded_at = CAST($stamp AS TIMESTAMP)
       OR prev_loaded_at = CAST($stamp AS TIMESTAMP)
       OR EXISTS (SELECT 1 FROM quality.prices_duplicates d
                  WHERE d.run_id = $run_id AND d.ticker = t.ticker AND d.date = t.date)
)
SELECT ticker, date, open, high, low, close, adj_close, volume, source,
       greatest(open, close) * (1 - $ohlc_tolerance) AS max_open_close,
       least(open, close) * (1 + $ohlc_tolerance) AS min_open_close,
       least(open, high, low, adj_close) AS lowest_other_price,
       greatest(open, high, low, close, adj_close) AS highest_price,
       prev_date,
       CASE WHEN adjusted > 0 AND prev_adjusted > 0
            THEN greatest(adjusted / prev_adjusted, prev_adjusted / adjusted) END AS one_day_move,
       FALSE AS source_duplicate
FROM rows
UNION ALL BY NAME
SELECT ticker, date, open, high, low, close, adj_close, volume, source,
       greatest(open, close) * (1 - $ohlc_tolerance) AS max_open_close,
       least(open, close) * (1 + $ohlc_tolerance) AS min_open_close,
       least(open, high, low, adj_close) AS lowest_other_price,
       greatest(open, high, low, close, adj_close) AS highest_price, TRUE AS source_duplicate
FROM quality.prices_duplicates WHERE run_id = $run_id
"""

# One row per series up to the as-of day: does it have the as-of bar, and is it on the NYSE
# calendar ($sessions: the NYSE sessions of the last year, as-of included)? A series with
# bars on other days (^N225, 1306.T, some futures) follows another exchange's holidays and
# is only held to the freshness warning. A series the source itself reported as failed this
# run (raw.ingest_log, within the live source's tolerated share: a halted name, say) is only
# warned about: the source already judged the day usable, and blocking on it would undo that
# tolerance. Series outside the universe and the pairs (they left it) are not expected.
# Only a pair series (a lead or base of raw.pairs) missing its as-of bar blocks: the brief's
# headline is built on it. Any other name (a halted equity: traded yesterday, no bar today)
# is a warning that names it, from any source (a snapshot or the sample writes no ingest_log);
# but when more than one name and more than max_missing_as_of_share of the active names miss
# the bar, the provider has not published the session and the run is blocked.
TICKERS_SQL = """
WITH reported AS (
    SELECT DISTINCT item AS ticker FROM raw.ingest_log WHERE run_id = $run_id AND dataset = 'prices'
),
followed AS (
    -- only the series the run is about: a name that left the universe (delisted, dropped
    -- from its index) keeps its history but gets no new bars; with no universe, every series
    SELECT ticker FROM raw.universe UNION SELECT lead FROM raw.pairs UNION SELECT base FROM raw.pairs
),
listed AS (SELECT count(*) > 0 AS listed FROM raw.universe),
sessions AS (SELECT unnest($sessions) AS session),
recent AS (
    -- everything but a long-stale series' last bar needs only the year of sessions in
    -- $sessions (prev_session is in it); a join, not list_contains($sessions, date), which
    -- copies the list for every bar (10x slower)
    SELECT ticker, max(date) AS last_date,
           bool_or(date = $as_of) AS has_as_of_bar,
           bool_or(date = $prev_session) AS traded_prev_session,
           count(*) FILTER (WHERE s.session IS NULL) AS off_calendar_bars
    FROM raw.prices p LEFT JOIN sessions s ON s.session = p.date
    WHERE date >= $sessions[1] AND date <= $as_of
    GROUP BY ticker
),
older AS (
    -- a followed series with no bar in that year: its last bar, from the older history (the
    -- list of such series is usually empty, and then nothing older is read)
    SELECT ticker, max(date) AS last_date FROM raw.prices
    WHERE date < $sessions[1] AND (SELECT listed FROM listed)
      AND ticker IN (SELECT ticker FROM followed EXCEPT SELECT ticker FROM recent)
    GROUP BY ticker
    UNION ALL
    SELECT ticker, max(date) AS last_date FROM raw.prices
    WHERE date < $sessions[1] AND NOT (SELECT listed FROM listed)
      AND ticker NOT IN (SELECT ticker FROM recent)
    GROUP BY ticker
),
per AS (
    SELECT ticker, last_date, has_as_of_bar, traded_prev_session, off_calendar_bars FROM recent
    WHERE NOT (SELECT listed FROM listed) OR ticker IN (SELECT ticker FROM followed)
    UNION ALL
    SELECT ticker, last_date, FALSE, FALSE, 0 FROM older
)
SELECT *,
       -- a missing name is a halt only while few miss it: more than one name and more than
       -- max_missing_as_of_share of the active ones means the session was not published
       CASE WHEN name_as_of_bar = false
            THEN NOT (count(*) FILTER (WHERE name_as_of_bar = false) OVER () > 1
                      AND count(*) FILTER (WHERE name_as_of_bar = false) OVER ()
                          > $max_missing_as_of_share * count(name_as_of_bar) OVER ())
       END AS missing_within_share
FROM (
    SELECT per.ticker, last_date, has_as_of_bar, traded_prev_session, off_calendar_bars,
           -- an active NYSE-calendar series the source did not report as failed
           CASE WHEN traded_prev_session AND off_calendar_bars = 0 AND r.ticker IS NULL AND is_pair_series
                THEN has_as_of_bar END AS as_of_bar,
           CASE WHEN traded_prev_session AND off_calendar_bars = 0 AND r.ticker IS NULL AND NOT is_pair_series
                THEN has_as_of_bar END AS name_as_of_bar,
           CASE WHEN r.ticker IS NOT NULL THEN has_as_of_bar END AS reported_as_of_bar,
           len(list_filter($sessions, lambda s: s > last_date)) AS sessions_behind
    FROM (SELECT *, ticker IN (SELECT lead FROM raw.pairs UNION SELECT base FROM raw.pairs) AS is_pair_series
          FROM per) per
    LEFT JOIN reported r ON r.ticker = per.ticker
)
ORDER BY ticker
"""

SUITE = Suite(
    schema="raw", table="prices", key=KEY,
    doc="Daily bars: sane prices, consistent OHLC, point in time, fresh, no implausible jumps.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="bars the run wrote (and duplicate copies)", expectations=(
            *key_rules(KEY),
            symbol("ticker"),
            not_null("close", doc="every bar has a close (NaN or empty is a broken bar)"),
            between("close", 0, strict_low=True, name="close_positive", doc="close > 0"),
            between("lowest_other_price", 0, strict_low=True, name="open_high_low_adj_close_positive",
                    doc="open, high, low and adj_close > 0 where given"),
            a_ge_b("high", "low", "high_not_below_low", doc="high >= low"),
            a_ge_b("high", "max_open_close", "high_not_below_open_close",
                   doc="high >= max(open, close) (to within ohlc_tolerance)"),
            a_ge_b("min_open_close", "low", "low_not_above_open_close",
                   doc="low <= min(open, close) (to within ohlc_tolerance)"),
            between("volume", 0, name="volume_not_negative", doc="volume >= 0 where given"),
            between("highest_price", high=Param("max_price"), name="prices_plausible",
                    doc="open, high, low, close and adj_close <= max_price where given"),
            between("volume", high=Param("max_volume"), name="volume_plausible",
                    doc="volume <= max_volume where given"),
            between("date", high=Param("as_of"), name="no_session_after_as_of",
                    doc="no bar dated after the run's as-of day (point in time)"),
            between("date", Param("min_date"), name="date_plausible", doc="no bar dated before min_date"),
            between("one_day_move", high=Param("max_one_day_move_ratio"), name="one_day_move_plausible",
                    doc="adjusted close within x/÷ max_one_day_move_ratio of the previous session's "
                        "(a split moves close, not adj_close, and passes)"),
        )),
        Batch("tickers", TICKERS_SQL, show=("ticker", "last_date"), doc="one row per series", expectations=(
            in_set("as_of_bar", [True], name="as_of_bar_present", severity=ERROR,
                   doc="every active NYSE-calendar pair series (a lead or base of raw.pairs that "
                       "traded the previous session) has a bar for the as-of session"),
            in_set("name_as_of_bar", [True], name="as_of_bar_missing_name", severity=WARN,
                   doc="an active NYSE-calendar name outside the pairs (traded the previous session) "
                       "without a bar for the as-of session: halted or not yet published; a warning "
                       "that names it"),
            in_set("missing_within_share", [True], name="as_of_bars_mostly_present", severity=ERROR,
                   doc="at most one name, or at most max_missing_as_of_share of those names, lack the "
                       "as-of bar (more means the provider has not published the session)"),
            in_set("reported_as_of_bar", [True], name="as_of_bar_reported_missing", severity=WARN,
                   doc="a series the source reported as failed this run (raw.ingest_log) has no "
                       "as-of bar: within the source's tolerated failure share, so a warning"),
            between("sessions_behind", high=Param("stale_after_sessions"), name="series_fresh",
                    severity=WARN, doc="last bar at most stale_after_sessions NYSE sessions old"),
        )),
    ),
)

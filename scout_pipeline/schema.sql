-- Raw tables (DESIGN.md "Raw tables"): created once per working database.
-- Each raw table's key (the KEY comment; RAW_TABLES in sources/contracts.py) is unique by
-- construction, not by an index: store.upsert refuses a delivery holding a key twice and
-- replaces a stored row by DELETE by key + INSERT in one transaction (an ART index cost a first load
-- about half its time). The gate's table_key_unique check verifies it on every run.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;

CREATE TABLE IF NOT EXISTS raw.prices (
    ticker VARCHAR NOT NULL, date DATE NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (ticker, date)
CREATE TABLE IF NOT EXISTS raw.fundamentals (
    ticker VARCHAR NOT NULL, as_of DATE NOT NULL,
    market_cap DOUBLE, shares_outstanding DOUBLE, forward_eps DOUBLE, trailing_eps DOUBLE,
    forward_pe DOUBLE, trailing_pe DOUBLE, net_income_ttm DOUBLE, profit_margin DOUBLE,
    earnings_growth DOUBLE, revenue_growth DOUBLE, debt_to_equity DOUBLE, total_debt DOUBLE,
    total_cash DOUBLE, sector VARCHAR, industry VARCHAR, profile_as_of DATE,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (ticker, as_of)
-- added after the first release: stores made before it gain the column (null = not recorded)
ALTER TABLE raw.fundamentals ADD COLUMN IF NOT EXISTS profile_as_of DATE;
CREATE TABLE IF NOT EXISTS raw.attention (
    source VARCHAR NOT NULL, term VARCHAR NOT NULL, date DATE NOT NULL,
    ticker VARCHAR, value DOUBLE,
    loaded_at TIMESTAMP NOT NULL
);  -- KEY (source, term, date)
CREATE TABLE IF NOT EXISTS raw.rates (
    series VARCHAR NOT NULL, date DATE NOT NULL, value DOUBLE,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (series, date)
CREATE TABLE IF NOT EXISTS raw.universe (
    ticker VARCHAR NOT NULL, name VARCHAR, asset_type VARCHAR, segments VARCHAR[],
    sector VARCHAR, wikipedia_article VARCHAR,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (ticker)
CREATE TABLE IF NOT EXISTS raw.pairs (
    pair_id VARCHAR NOT NULL, lead VARCHAR NOT NULL, base VARCHAR NOT NULL, label VARCHAR,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (pair_id)
-- Scheduled FOMC meetings (statement day), a full list every run: the bundled calendar or a
-- snapshot's fomc_calendar dataset.
CREATE TABLE IF NOT EXISTS raw.fomc_calendar (
    meeting_date DATE NOT NULL, first_day DATE,
    source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL
);  -- KEY (meeting_date)
-- Every provider restatement the live source found (a split, a dividend, a correction): the
-- ticker's whole history was re-fetched and replaced in the run's transaction.
CREATE TABLE IF NOT EXISTS raw.restatements (
    run_id VARCHAR NOT NULL, as_of DATE NOT NULL, ticker VARCHAR NOT NULL, reason VARCHAR,
    factor DOUBLE, event_date DATE, rows_replaced BIGINT, first_date DATE, last_date DATE,
    loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.ingest_log (
    run_id VARCHAR NOT NULL, source VARCHAR, dataset VARCHAR, item VARCHAR,
    status VARCHAR, reason VARCHAR, loaded_at TIMESTAMP NOT NULL
);

"""Trend Scout pipeline: daily market-rotation ETL into a DuckDB warehouse."""

__version__ = "0.1.0"

"""Dagster wiring only: assets, checks, jobs and resources over the plain-Python core."""

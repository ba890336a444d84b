"""Named, documented thresholds the SQL binds as $name parameters.

Defaults live here; override per run with `scout run --param NAME=VALUE` or the `params`
field of the `scout` resource in the Dagster launchpad. SQL never holds these as literals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    default: float
    doc: str


PARAMS: dict[str, Param] = {}


def defaults() -> dict[str, float]:
    return {name: p.default for name, p in PARAMS.items()}


def resolve(overrides: dict[str, float] | None) -> dict[str, float]:
    """Defaults with overrides applied; an unknown name is an error that lists the known ones."""
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in PARAMS:
            raise ValueError(f"unknown parameter {name!r}; known: {', '.join(sorted(PARAMS)) or 'none'}")
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name} must be a number, got {value!r}") from None
    return values

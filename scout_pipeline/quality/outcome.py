"""What a suite run found: plain data the Dagster check, the CLI and the tests read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scout_pipeline.quality.spec import ERROR


@dataclass
class Failure:
    expectation: str
    severity: str  # ERROR | WARN
    unexpected_count: int
    samples: list[dict]
    doc: str = ""
    batch: str = ""
    checked: int = 0  # rows the expectation looked at
    note: str = ""  # e.g. "column missing", GX's observed value

    @property
    def blocking(self) -> bool:
        return self.severity == ERROR

    def line(self) -> str:
        what = f"{self.unexpected_count} of {self.checked} rows" if self.checked else f"{self.unexpected_count} rows"
        note = f"; {self.note}" if self.note else ""
        return f"{self.expectation} [{self.severity}]: {what} unexpected — {self.doc}{note}"

    def as_dict(self) -> dict:
        return {"expectation": self.expectation, "severity": self.severity, "batch": self.batch,
                "unexpected_count": self.unexpected_count, "checked": self.checked,
                "doc": self.doc, "note": self.note, "samples": self.samples}


@dataclass
class CheckOutcome:
    suite: str
    failures: list[Failure] = field(default_factory=list)
    evaluated: int = 0
    rows_checked: dict[str, int] = field(default_factory=dict)  # batch -> rows
    skipped: str = ""  # why the suite did not run (its table does not exist)
    quarantine: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def blocking(self) -> bool:
        """ERROR severity (stops the run) when any failed expectation is ERROR."""
        return any(f.blocking for f in self.failures)

    @property
    def unexpected_count(self) -> int:
        return sum(f.unexpected_count for f in self.failures)

    def summary(self) -> str:
        if self.skipped:
            return f"suite {self.suite}: skipped ({self.skipped})"
        rows = ", ".join(f"{n} {b}" for b, n in self.rows_checked.items())
        if not self.failures:
            return f"suite {self.suite}: {self.evaluated} expectations passed ({rows})"
        parts = [f"{f.expectation} [{f.severity}] {f.unexpected_count} rows" for f in self.failures]
        return f"suite {self.suite}: " + "; ".join(parts)

    def markdown(self) -> str:
        lines = []
        for f in self.failures:
            lines.append(f"**{f.expectation}** [{f.severity}] — {f.unexpected_count} unexpected"
                         f"{f' of {f.checked}' if f.checked else ''} ({f.doc}){f'; {f.note}' if f.note else ''}")
            lines.extend(f"  - `{_row(s)}`" for s in f.samples)
        if self.quarantine:
            lines.append(f"Rows kept in `{self.quarantine}`")
        return "\n".join(lines)


def _row(sample: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sample.items())

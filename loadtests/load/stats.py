"""Locust's `<prefix>_stats.csv`, read into per-endpoint figures (pure parsing of the text).

One row per (type, name) plus `Aggregated`; times are milliseconds as Locust writes them (its
percentiles are rounded to two significant figures, Locust's own histogram), "N/A" is None.
The master writes the file every few seconds during a run, so a live progress line reads it too.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Endpoint:
    type: str
    name: str
    requests: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    requests_per_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(text: str | None) -> float | None:
    if text in (None, "", "N/A"):
        return None
    return float(text)


def parse(text: str) -> list[Endpoint]:
    rows = csv.DictReader(io.StringIO(text))
    return [
        Endpoint(
            type=row.get("Type") or "",
            name=row["Name"],
            requests=int(row["Request Count"]),
            failures=int(row["Failure Count"]),
            p50_ms=_number(row.get("50%")),
            p95_ms=_number(row.get("95%")),
            p99_ms=_number(row.get("99%")),
            requests_per_s=round(float(row.get("Requests/s") or 0), 2),
        )
        for row in rows
    ]


def read(prefix: Path) -> list[Endpoint]:
    """The stats so far, or [] while Locust has not written them yet."""
    path = prefix.with_name(f"{prefix.name}_stats.csv")
    try:
        return parse(path.read_text())
    except (OSError, KeyError, ValueError):
        return []


def total(endpoints: list[Endpoint]) -> Endpoint | None:
    return next((e for e in endpoints if e.name == "Aggregated"), None)


def http_only(endpoints: list[Endpoint]) -> list[Endpoint]:
    """The HTTP requests (not the `SAGA` entries, not the total)."""
    return [e for e in endpoints if e.type != "SAGA" and e.name != "Aggregated"]


def sagas(endpoints: list[Endpoint]) -> dict[str, Endpoint]:
    return {e.name: e for e in endpoints if e.type == "SAGA"}

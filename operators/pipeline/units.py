"""Kubernetes-style durations and quantities, parsed the way the API server's CEL rules read them.

The CRD compares `duration(...)` and `quantity(...)` values in its validation rules; the pydantic
model must accept and refuse exactly the same strings, so both formats live here, once, with the
same grammar as the CRD's `pattern`s (DURATION_PATTERN, QUANTITY_PATTERN).
"""

from __future__ import annotations

import re
from decimal import Decimal

# Go duration subset: one or more `<number><unit>` parts, e.g. 100ms, 5s, 1m30s, 1.5h.
DURATION_PATTERN = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"
# Kubernetes resource quantity subset: a decimal number with an optional SI or binary suffix.
QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$"
# int-or-string percentages as Deployments take them for maxSurge / maxUnavailable.
PERCENT_PATTERN = r"^(100|[1-9]?[0-9])%$"

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_DURATION_UNITS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), "h": Decimal(3600)}
_QUANTITY_UNITS = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}


def duration_seconds(text: str) -> float:
    """`1m30s` -> 90.0; raises ValueError for anything the CRD pattern would refuse."""
    if not re.fullmatch(DURATION_PATTERN, text):
        raise ValueError(f"{text!r} is not a duration like 500ms, 5s, 1m30s or 1h")
    total = sum(
        Decimal(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(text)
    )
    return float(total)


def quantity_value(text: str) -> Decimal:
    """`250m` -> 0.25, `256Mi` -> 268435456; raises ValueError outside QUANTITY_PATTERN."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", text)
    if match is None:
        raise ValueError(f"{text!r} is not a quantity like 250m, 1, 256Mi or 1Gi")
    return Decimal(match.group(1)) * _QUANTITY_UNITS[match.group(2) or ""]


def is_zero(value: int | str) -> bool:
    """maxSurge/maxUnavailable: 0 and '0%' both mean none."""
    return value in (0, "0%")

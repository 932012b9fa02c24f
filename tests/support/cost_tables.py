"""The real price table and assumptions as session fixtures, for the cost tests of every level.

Conftests re-export these (pytest does not share one conftest across the unit and integration
folders), so both levels price with the same files read once.
"""

from __future__ import annotations

import pytest

from policies.cost.files import read_assumptions, read_prices
from policies.cost.tables import AssumptionFile, PriceTable


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return read_prices()


@pytest.fixture(scope="session")
def real_assumptions() -> AssumptionFile:
    return read_assumptions()

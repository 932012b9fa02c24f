"""The real price table and assumptions, for pricing the real stacks' graphs.

(The unit tests' conftest has the same two fixtures beside its test-owned usage figures; pytest
does not share a conftest across the unit/integration folders.)
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

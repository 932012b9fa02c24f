"""The real price table and assumptions, for pricing the real stacks' graphs."""

from __future__ import annotations

from tests.support.cost_tables import prices, real_assumptions

__all__ = ["prices", "real_assumptions"]

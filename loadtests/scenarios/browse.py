"""Locustfile `browse`: people reading the catalog (search, category pages, details), no orders."""

from __future__ import annotations

from loadtests.scenarios import ramp  # noqa: F401 - keeps the ramp-up's figures (bench-browse)
from loadtests.scenarios.shoppers import Browser


class CatalogReader(Browser):
    pass

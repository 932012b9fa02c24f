"""Locustfile `mixed` (the demo; the soak when run for hours): readers and customers together.

Three readers for every customer; the customers together still order at the run's rate (their
pacing is set from `users` and `rate`, see `shoppers.Buyer`), so `users` sizes the buyers.
"""

from __future__ import annotations

from loadtests.scenarios.shoppers import Browser, Buyer


class CatalogReader(Browser):
    weight = 3


class Customer(Buyer):
    weight = 1

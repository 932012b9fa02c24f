"""Locustfile `black_friday`: a spike to ten times normal traffic, held, then back; hot products.

The shape (a Locust `LoadTestShape`) is over the run's duration (`CONVEYOR_LOAD_DURATION_S`):
a fifth at normal (`users`), a tenth ramping to ten times that, two fifths held there, a tenth
falling back, the rest normal. Buyers pace for `rate` at normal, so orders follow users: ten times
the rate at the peak. Orders go to the first `hot_products` products (the runner sets 5), so
reservations contend on a few rows, as in a flash sale.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

from loadtests.scenarios.shapes import users_at
from loadtests.scenarios.shoppers import SETTINGS, Browser, Buyer


class CatalogReader(Browser):
    weight = 3


class Customer(Buyer):
    weight = 1


class Spike(LoadTestShape):
    duration_s = float(os.environ.get("CONVEYOR_LOAD_DURATION_S", "300"))

    def tick(self) -> tuple[int, float] | None:
        elapsed = float(self.get_run_time())  # type: ignore[no-untyped-call]
        if elapsed >= self.duration_s:
            return None
        # `users` at normal; the buyers among them (weights 3:1) pace for `rate` orders/s.
        normal = SETTINGS.users
        return users_at(elapsed / self.duration_s, normal), max(1.0, normal / 5)

"""Locustfile `checkout`: customers ordering at `CONVEYOR_LOAD_RATE` orders/s, each followed."""

from __future__ import annotations

from loadtests.scenarios.shoppers import Buyer


class Customer(Buyer):
    pass

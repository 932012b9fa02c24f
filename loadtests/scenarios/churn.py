"""Locustfile `churn`: admins change stock, prices and names while customers browse and buy.

Every change is an invalidation the catalog's cache must honour and, for stock, a level the
reservations race against; the run's SLOs and lost orders say whether both held.
"""

from __future__ import annotations

from loadtests.scenarios.shoppers import Admin, Browser, Buyer


class CatalogReader(Browser):
    weight = 3


class Customer(Buyer):
    weight = 2


class Merchandiser(Admin):
    weight = 1

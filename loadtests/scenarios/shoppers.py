"""What a customer and an admin do, as Locust users that scenarios combine (abstract here).

`Browser` reads the catalog as a person does: the front page (featured, categories), a category
page and sometimes its next page, a search, a product's details, with think times between.
`Buyer` browses a little and places an order with an `Idempotency-Key` (a failed send is retried
once with the same key, so a retry can never buy twice), then follows it (in a greenlet of its
own, so a slow saga does not slow the buyer's pace) to its terminal state
and records the saga's duration (accepted → CONFIRMED or CANCELLED, by the order service's own
timestamps) as a Locust entry of type `SAGA`; an order still open after `follow_timeout_s` is a
`SAGA` failure. `Admin` changes stock and prices through inventory and product details through
the catalog. Requests are named by route (`/v1/products/{id}`), so the report has one line per
endpoint. Through the gateway readers are anonymous; a buyer registers an account of its own (an
email starting with the run's customer prefix, so the runner finds its orders) and orders as
itself (its user id is the order's customer id); an admin logs in as one of the run's admin
accounts. Each logs in once, at start, and refreshes its tokens before they expire
(`sessions.py`). On loopback every user connects from an address of its own (`sources.py`), so
the gateway's and identity's per-client limits see many clients, as they would in the field.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

import gevent  # type: ignore[import-untyped]
import locust.runners
from locust import between, constant_pacing, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from loadtests.scenarios.sessions import Session
from loadtests.scenarios.settings import LoadSettings
from loadtests.scenarios.sources import SourceBoundPool, address, binds_on

SETTINGS = LoadSettings()
# A worker is declared missing after this many 1 s heartbeats unheard (Locust's default, 3, drops
# healthy workers on a busy 2-core machine and ends the run).
locust.runners.HEARTBEAT_LIVENESS = 30
RNG = random.Random()  # noqa: S311 - what a shopper picks, not a secret
TERMINAL = {"CONFIRMED": "confirmed", "CANCELLED": "compensated", "SHIPPED": "confirmed"}
SEARCH_WORDS = ("lamp", "mug", "bag", "towel", "chair", "watch", "pen", "shoe", "kettle", "mat")
POLL_S = (0.1, 0.2, 0.4, 0.8, 1.6)


class Shopper(FastHttpUser):
    """A user with the run's settings, an address of its own on loopback and, if it has an
    account (`account`), a session at identity through the gateway."""

    abstract = True
    host = SETTINGS.url("catalog")
    settings = SETTINGS
    account: ClassVar[Literal["none", "customer", "admin"]] = "none"
    _numbers: ClassVar[itertools.count[int]] = itertools.count()

    def __init__(self, environment: Environment) -> None:
        if binds_on(self.host):
            worker = max(0, getattr(environment.runner, "worker_index", 0))
            source = address(worker, next(Shopper._numbers))
            self.client_pool = SourceBoundPool(
                source, network_timeout=self.network_timeout,
                connection_timeout=self.connection_timeout,
            )  # fmt: skip
        super().__init__(environment)
        base = self.settings.url("order")
        self.session = Session(self.client, base, margin_s=self.settings.refresh_margin_s)

    def on_start(self) -> None:
        self.signed_in()

    def signed_in(self) -> bool:
        """Whether the user may act: signed in (trying again now if not), or needs no account.
        A customer signs up once (a fresh e-mail under the run's prefix), then logs in."""
        if not self.settings.gateway_url or self.account == "none":
            return True
        if self.session.tokens is not None:
            return True
        login, password = self.settings.login_path, self.settings.password.get_secret_value()
        if self.account == "admin":
            email = self.settings.admin_email(next(Shopper._numbers))
            return self.session.log_in({"email": email, "password": password}, login)
        if not hasattr(self, "email"):
            email = f"{self.settings.customer_prefix}{uuid.uuid4().hex[:12]}@example.com"
            if not self.session.register({"email": email, "password": password},
                                         self.settings.register_path):  # fmt: skip
                return False
            self.email = email
        return self.session.log_in({"email": self.email, "password": password}, login)

    @property
    def user_id(self) -> str | None:
        return self.session.tokens.subject if self.session.tokens else None

    def get_json(self, url: str, *, name: str) -> Any:
        headers = self.session.headers()
        with self.client.get(url, headers=headers, name=name, catch_response=True) as r:
            if r.status_code != 200:  # noqa: PLR2004
                r.failure(f"{r.status_code}")
                return None
            return r.json()


class Browser(Shopper):
    """A person reading the catalog, 1-5 s between pages."""

    abstract = True
    wait_time = between(1, 5)
    seen: list[str]

    def _catalog(self, path: str) -> str:
        return f"{self.settings.url('catalog')}{path}"

    def _remember(self, page: Any) -> None:
        items = (page or {}).get("items") or []
        self.seen = [i["product_id"] for i in items if "product_id" in i][:20] or getattr(
            self, "seen", []
        )

    @task(2)
    def front_page(self) -> None:
        self._remember(self.get_json(self._catalog("/v1/featured"), name="/v1/featured"))
        categories = self.get_json(self._catalog("/v1/categories"), name="/v1/categories")
        self.categories = [c["slug"] for c in (categories or {}).get("items", [])]

    @task(4)
    def category_page(self) -> None:
        slug = RNG.choice(getattr(self, "categories", None) or ["kitchen"])
        name = "/v1/products?category"
        page = self.get_json(self._catalog(f"/v1/products?category={slug}"), name=name)
        self._remember(page)
        cursor = (page or {}).get("next_cursor")
        if cursor and RNG.random() < 0.3:  # noqa: PLR2004
            url = self._catalog(f"/v1/products?category={slug}&cursor={cursor}")
            self._remember(self.get_json(url, name="/v1/products?category&cursor"))

    @task(3)
    def search(self) -> None:
        word = RNG.choice(SEARCH_WORDS)
        self._remember(
            self.get_json(self._catalog(f"/v1/products?q={word}"), name="/v1/products?q")
        )

    @task(6)
    def product_details(self) -> None:
        seen = getattr(self, "seen", None)
        if not seen:
            return self.category_page()
        product = RNG.choice(seen)
        self.get_json(self._catalog(f"/v1/products/{product}"), name="/v1/products/{id}")
        return None


class Buyer(Shopper):
    """A customer who looks at a product or two and orders, paced so all buyers make `rate`/s."""

    abstract = True
    account = "customer"
    wait_time = constant_pacing(SETTINGS.buyers / SETTINGS.rate)
    sequence = 0

    @task
    def buy(self) -> None:
        if not self.signed_in():
            return
        products = self.settings.product_ids()
        product = RNG.choice(products)
        self.get_json(
            f"{self.settings.url('catalog')}/v1/products/{product}", name="/v1/products/{id}"
        )
        Buyer.sequence += 1
        n = Buyer.sequence
        every = self.settings.decline_every
        body = {
            "customer_id": self.user_id
            or f"{self.settings.customer_prefix}{uuid.uuid4().hex[:12]}",
            "items": [{"product_id": product, "quantity": 1 + n % 2}],
            "payment": {"card_token": "tok_decline" if every and n % every == 0 else "tok_visa"},
        }
        order_id = self._place(body)
        if order_id is not None:  # followed beside the next purchases, so the pace holds
            gevent.spawn(self._follow, order_id)

    def _place(self, body: dict[str, Any]) -> str | None:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        url = f"{self.settings.url('order')}/v1/orders"
        for attempt in (1, 2):
            headers = {**self.session.headers(), **key}
            with self.client.post(
                url, json=body, headers=headers, name="/v1/orders", catch_response=True
            ) as response:
                if response.status_code == 202:  # noqa: PLR2004
                    return str(response.json()["order_id"])
                if attempt == 1 and (response.status_code == 0 or response.status_code >= 500):  # noqa: PLR2004
                    response.failure(f"{response.status_code}: retried with the same key")
                    continue
                response.failure(f"{response.status_code}")
        return None

    def _follow(self, order_id: str) -> None:
        url = f"{self.settings.url('order')}/v1/orders/{order_id}"
        began = time.monotonic()
        polls = 0
        while time.monotonic() - began < self.settings.follow_timeout_s:
            time.sleep(POLL_S[min(polls, len(POLL_S) - 1)])
            polls += 1
            order = self.get_json(url, name="/v1/orders/{id}")
            outcome = TERMINAL.get((order or {}).get("status", ""))
            if order and outcome:
                took = datetime.fromisoformat(order["updated_at"]) - datetime.fromisoformat(
                    order["created_at"]
                )
                self._saga(f"accepted → {outcome}", took.total_seconds() * 1000, None)
                return
        self._saga("accepted → still open", (time.monotonic() - began) * 1000, "not terminal")

    def _saga(self, name: str, ms: float, error: str | None) -> None:
        self.environment.events.request.fire(
            request_type="SAGA",
            name=name,
            response_time=ms,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={},
        )


class Admin(Shopper):
    """A merchandiser changing stock and prices (inventory) and product details (catalog)."""

    abstract = True
    account = "admin"
    wait_time = between(2, 4)

    def _admin(self) -> dict[str, str]:
        if self.settings.gateway_url:  # an admin's own token; the gateway checks the role
            return self.session.headers()
        return {"Authorization": f"Bearer {self.settings.admin_token.get_secret_value()}"}

    @task(3)
    def restock_and_reprice(self) -> None:
        if not self.signed_in():
            return
        product = RNG.choice(self.settings.product_ids())
        body = {
            "available": RNG.randint(500_000, 1_000_000),
            "price_cents": RNG.randint(999, 2999),
        }
        url = f"{self.settings.url('inventory')}/v1/admin/inventory/{product}"
        with self.client.put(url, json=body, headers=self._admin(), name="/v1/admin/inventory/{id}",
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:  # noqa: PLR2004
                response.failure(f"{response.status_code}")

    @task(1)
    def rename(self) -> None:
        if not self.signed_in():
            return
        product = RNG.choice(self.settings.product_ids())
        body = {"name": f"Load Product {product} v{RNG.randint(1, 99)}", "category": "kitchen"}
        url = f"{self.settings.url('catalog')}/v1/products/{product}"
        with self.client.put(url, json=body, headers=self._admin(), name="/v1/products/{id} (PUT)",
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:  # noqa: PLR2004
                response.failure(f"{response.status_code}")

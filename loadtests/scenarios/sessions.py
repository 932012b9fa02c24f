"""A Locust user's session at identity, through the gateway: log in once, refresh before expiry.

Access tokens live minutes (identity's `ACCESS_TOKEN_TTL_S`, 300 s); a run longer than that (the
soak) would see every request refused once they expired. So `Session.headers()` refreshes the
pair (`POST /v1/auth/refresh`, which rotates the refresh token) when the access token has less
than `refresh_margin_s` left, and only one greenlet of the user refreshes at a time — a buyer's
order followers share its session, and two refreshes with one refresh token would be a reuse,
which identity answers by revoking the whole family. A failed refresh is a Locust failure named
`refresh`; the old token is kept until it expires, so the failure shows, it is not hidden.

The pair and the renewal rule are `tokens.py`'s, which the asyncio drivers
(`loadtests/customers.py`) follow too; this module is their gevent transport.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import gevent.lock  # type: ignore[import-untyped]

from loadtests.scenarios.tokens import REFRESH_PATH, Tokens

if TYPE_CHECKING:  # importing Locust monkey-patches the process: only the locustfiles do
    from locust.contrib.fasthttp import FastHttpSession


class Session:
    """One user's tokens at `base` (the gateway), renewed `margin_s` before they expire."""

    def __init__(self, client: FastHttpSession, base: str, *, margin_s: float) -> None:
        self._client, self._base, self._margin_s = client, base, margin_s
        self._lock = gevent.lock.Semaphore()
        self.tokens: Tokens | None = None

    def register(self, account: dict[str, str], path: str) -> bool:
        with self._client.post(f"{self._base}{path}", json=account, name="register",
                               catch_response=True) as made:  # fmt: skip
            if made.status_code != 201:  # noqa: PLR2004
                made.failure(f"registration answered {made.status_code}")
                return False
        return True

    def log_in(self, account: dict[str, str], path: str) -> bool:
        with self._client.post(f"{self._base}{path}", json=account, name="login",
                               catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:  # noqa: PLR2004
                response.failure(f"login answered {response.status_code}")
                return False
            self.tokens = Tokens.of(response.json())
        return True

    def headers(self) -> dict[str, str]:
        """The bearer header (none before logging in), renewing the tokens first when due."""
        if self.tokens is None:
            return {}
        if self.tokens.due(time.time(), self._margin_s):
            with self._lock:  # the others wait, then find fresh tokens
                if self.tokens.due(time.time(), self._margin_s):
                    self._renew(self.tokens)
        return self.tokens.bearer()

    def _renew(self, tokens: Tokens) -> None:
        url = f"{self._base}{REFRESH_PATH}"
        with self._client.post(url, json=tokens.renewal(), name="refresh",
                               catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:  # noqa: PLR2004
                response.failure(f"refresh answered {response.status_code}")
                return
            self.tokens = Tokens.of(response.json())

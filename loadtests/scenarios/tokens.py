"""A customer's token pair, and when to renew it: the one login protocol every load driver keeps.

Identity answers a login or a refresh with `{"access_token", "refresh_token"}`; the access token
is a short-lived JWT (identity's `ACCESS_TOKEN_TTL_S`, 300 s) whose `sub` is the user's id (an
order's `customer_id` behind the gateway) and whose `exp` says when it stops being accepted. A
session renews the pair at `REFRESH_PATH` once less than a margin is left (`Tokens.due`), and
only one renewal at a time: two with one refresh token would be a reuse, which identity answers
by revoking the whole family. Two transports follow this protocol: the Locust users
(`sessions.py`, gevent) and the asyncio drivers of `make bench` and `make chaos`
(`loadtests/customers.py`). Pure: no I/O, no Locust, no gevent.

The token is not verified here (the gateway verifies tokens); a client only reads its own token
to know when to renew it, by this process's wall clock against the token's `exp`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

REFRESH_PATH = "/v1/auth/refresh"


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str
    subject: str
    expires_at: float  # the access token's `exp`, seconds since the epoch

    @classmethod
    def of(cls, pair: dict[str, Any]) -> Tokens:
        claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
        return cls(pair["access_token"], pair["refresh_token"], str(claims["sub"]),
                   float(claims["exp"]))  # fmt: skip

    def due(self, now: float, margin_s: float) -> bool:
        return self.expires_at - now < margin_s

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}

    def renewal(self) -> dict[str, str]:
        """The body of the refresh request that renews this pair."""
        return {"refresh_token": self.refresh}

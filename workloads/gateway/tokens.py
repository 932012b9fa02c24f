"""The gateway's token check: identity's contract (`shared/tokens.py`) over the identity upstream.

The key set is fetched through the identity upstream (`GET /.well-known/jwks.json`), so with its
discovery, balancing and defences; `TokenVerifier` caches it and refetches on an unknown `kid`
(key rotation). Any token that does not verify is a 401 whose reason is logged, not sent. A
verifier that has never held a key set (identity down since the gateway started) answers 503:
the caller's token may be fine.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from workloads.gateway.access import InvalidTokenError, Principal
from workloads.gateway.upstreams import Upstream
from workloads.shared.problems import ProblemError
from workloads.shared.tokens import KeysUnavailableError, TokenError, TokenVerifier

log = logging.getLogger(__name__)
JWKS_PATH = "/.well-known/jwks.json"


class JwksVerifier:
    def __init__(self, identity: Upstream, *, cache_s: float) -> None:
        async def fetch() -> dict[str, Any]:
            answer = await identity.call("GET", JWKS_PATH)
            if answer.status_code != 200:  # noqa: PLR2004
                raise ValueError(f"{JWKS_PATH} answered {answer.status_code}")
            return cast(dict[str, Any], answer.json())

        self._tokens = TokenVerifier(JWKS_PATH, cache_s=cache_s, fetch=fetch)

    async def verify(self, token: str) -> Principal:
        try:
            claims = await self._tokens.verify(token)
        except KeysUnavailableError as exc:
            log.warning("cannot verify tokens: %s", exc)
            raise ProblemError(
                503, "Identity unavailable", "Tokens cannot be checked now; try again.",
                headers={"Retry-After": "5"},
            ) from exc  # fmt: skip
        except TokenError as exc:
            log.info("token refused: %s", exc)
            raise InvalidTokenError(str(exc)) from exc
        return Principal(claims.subject, frozenset({claims.role}))

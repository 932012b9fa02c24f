"""When a load user renews its tokens: from the access token's own expiry, a margin ahead."""

from __future__ import annotations

import jwt

from loadtests.scenarios.tokens import Tokens


def _pair(exp: int) -> dict[str, str]:
    access = jwt.encode({"sub": "user-1", "exp": exp}, "k" * 32, algorithm="HS256")
    return {"access_token": access, "refresh_token": "r" * 40}


def test_tokens_know_their_subject_and_expiry() -> None:
    tokens = Tokens.of(_pair(1_000))
    assert (tokens.subject, tokens.expires_at, tokens.refresh) == ("user-1", 1_000.0, "r" * 40)


def test_tokens_are_due_for_renewal_a_margin_before_they_expire() -> None:
    tokens = Tokens.of(_pair(1_000))
    assert not tokens.due(now=900, margin_s=60)
    assert tokens.due(now=941, margin_s=60)
    assert tokens.due(now=1_001, margin_s=60)

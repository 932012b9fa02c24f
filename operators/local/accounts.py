"""Accounts made with the stack's admin token at identity itself: admins, which no one can register.

Identity registers a customer for anyone, and an admin only for a caller holding `ADMIN_TOKEN`
(the operator's secret, never the gateway's to pass on), so making an admin is an operator's
act against identity's own address: `conveyor identity create-admin`, and the load runner's
admin accounts for a run. The password travels only in the request body, over loopback (or the
cluster network), and is never logged.

Failure behaviour: an e-mail already registered raises `AccountExistsError` (its password is not
changed: an admin is never silently re-keyed); any other refusal raises `AccountError` with
identity's status and problem title, which name the fix.
"""

from __future__ import annotations

import httpx


class AccountError(Exception):
    """Identity refused to create the account (status and title in the message)."""


class AccountExistsError(AccountError):
    """An account with this e-mail exists already."""


async def create_admin(
    http: httpx.AsyncClient, *, identity_url: str, admin_token: str, email: str, password: str
) -> str:
    """Register `email` as an admin at identity; its user id."""
    answer = await http.post(
        f"{identity_url.rstrip('/')}/v1/users",
        json={"email": email, "password": password, "role": "admin"},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    if answer.status_code == 201:  # noqa: PLR2004
        return str(answer.json()["user_id"])
    title = _title(answer)
    if answer.status_code == 409:  # noqa: PLR2004
        raise AccountExistsError(f"{email} is registered already ({title})")
    if answer.status_code == 422:  # noqa: PLR2004
        raise AccountError(f"identity refused the account ({title}): an e-mail, and a password"
                           " of 10 to 128 characters")  # fmt: skip
    raise AccountError(f"identity answered {answer.status_code}: {title}")


def _title(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("title", answer.reason_phrase))
    except ValueError:
        return answer.reason_phrase

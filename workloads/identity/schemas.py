"""Request and response models of the identity API (validation at the edge; nothing unknown)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from workloads.shared.tokens import Role

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=254,
        pattern=r"^[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+$",
    ),
]
# Long enough to resist guessing; capped so hashing cannot be made arbitrarily expensive.
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]
RefreshToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,128}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    email: Email
    password: Password
    role: Role = "customer"  # admin only with the admin token


class LoginIn(_In):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshIn(_In):
    refresh_token: RefreshToken


class UserOut(BaseModel):
    user_id: str
    email: str
    role: Role


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth type name
    expires_in: int  # seconds
    refresh_token: str


class RotatedKey(BaseModel):
    kid: str

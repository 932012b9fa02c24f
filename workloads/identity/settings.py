"""Settings of the identity service (plain environment variables).

`SIGNING_KEY_PASSPHRASE` (a secret) encrypts the signing keys' private halves at rest; while it
rotates, `SIGNING_KEY_PASSPHRASE_PREVIOUS` (a secret, optional) opens keys stored under the old
one, which start-up re-encrypts under the new (ADR 0051);
`ADMIN_TOKEN` (a secret) admits registering an admin and rotating keys. `ACCESS_TOKEN_TTL_S` is
an access token's life (also how long a retired key stays published), `REFRESH_TOKEN_TTL_S` a
refresh token's. Logins are limited per account (`LOGIN_LIMIT_PER_ACCOUNT` in
`LOGIN_WINDOW_S`) and per client IP (`LOGIN_LIMIT_PER_CLIENT`), in Redis (`REDIS_URL`); the
client IP is the connection's, or the one `X-Forwarded-For` gives when the connection comes from
a proxy in `TRUSTED_PROXIES` (addresses or CIDRs, comma-separated: the gateway's; none by
default, so behind an unlisted gateway every login counts against the gateway's address —
coarse, never spoofable; `workloads/shared/forwarded.py`). `KEY_RELOAD_S`: how often a replica
re-reads the signing keys, so a rotation made on another replica is used within it.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from workloads.shared.forwarded import networks
from workloads.shared.runtime import ServiceSettings
from workloads.shared.tokens import AUDIENCE, ISSUER


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    admin_token: SecretStr
    redis_url: SecretStr
    signing_key_passphrase: SecretStr = Field(min_length=16)
    signing_key_passphrase_previous: SecretStr | None = Field(default=None, min_length=16)
    issuer: str = ISSUER
    audience: str = AUDIENCE
    access_token_ttl_s: int = Field(default=300, ge=10, le=3600)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)
    login_limit_per_account: int = Field(default=5, ge=1)
    login_limit_per_client: int = Field(default=20, ge=1)
    login_window_s: float = Field(default=60.0, gt=0)
    redis_timeout_s: float = Field(default=0.5, gt=0)
    key_reload_s: float = Field(default=5.0, gt=0)
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        networks(value)  # a typo fails at start, naming the setting
        return value

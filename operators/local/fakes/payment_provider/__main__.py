"""`python -m operators.local.fakes.payment_provider`: serve the fake provider on loopback.

The local runner starts it like its other servers (operators/local/servers/payment_provider.py)
with its settings in `PAYMENT_PROVIDER_*` variables and its ledger in the state folder.
"""

from __future__ import annotations

import logging

import uvicorn

from operators.local.fakes.payment_provider.app import create_app
from operators.local.fakes.payment_provider.settings import ProviderSettings


def main() -> None:
    settings = ProviderSettings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # an access log line is harmless, but nothing here needs one
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()

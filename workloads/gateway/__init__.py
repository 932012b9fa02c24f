"""The gateway: the only public entry, routing `/v1/...` to the services behind it."""

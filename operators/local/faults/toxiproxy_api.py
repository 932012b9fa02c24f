"""A small typed client of Toxiproxy's HTTP API (v2.12): proxies, toxics, reset.

Every call raises `ToxiproxyError` with Toxiproxy's own message on a non-2xx answer, so a wrong
listen address ("cannot assign requested address") or a toxic type typo is named, not swallowed.
`reset()` re-enables every proxy and removes every toxic: the one call that undoes all faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

Stream = Literal["upstream", "downstream"]


class ToxiproxyError(RuntimeError):
    """Toxiproxy refused a request; the message is its answer."""


@dataclass(frozen=True)
class Proxy:
    name: str
    listen: str
    upstream: str
    enabled: bool = True


class ToxiproxyClient:
    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self._http = httpx.Client(base_url=url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.is_error:
            raise ToxiproxyError(f"{method} {path}: {response.status_code} {response.text.strip()}")
        return response.json() if response.content else None

    def proxies(self) -> dict[str, Proxy]:
        raw: dict[str, dict[str, Any]] = self._call("GET", "/proxies")
        return {
            name: Proxy(name, p["listen"], p["upstream"], bool(p["enabled"]))
            for name, p in raw.items()
        }

    def ensure(self, proxy: Proxy) -> None:
        """Create the proxy, or replace it when its addresses differ (idempotent)."""
        if self.proxies().get(proxy.name) == proxy:
            return
        self._call("POST", "/populate", [vars(proxy)])

    def delete(self, name: str) -> None:
        if name in self.proxies():
            self._call("DELETE", f"/proxies/{name}")

    def set_enabled(self, name: str, *, enabled: bool) -> None:
        """A disabled proxy closes its connections and refuses new ones: a hard cut."""
        self._call("POST", f"/proxies/{name}", {"enabled": enabled})

    def add_toxic(
        self,
        proxy: str,
        kind: str,
        attributes: dict[str, int | float],
        *,
        name: str | None = None,
        stream: Stream = "downstream",
        toxicity: float = 1.0,
    ) -> str:
        """Add a toxic (latency, timeout, bandwidth, reset_peer, ...); returns its name."""
        toxic_name = name or f"{kind}_{stream}"
        body = {
            "name": toxic_name,
            "type": kind,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes,
        }
        self._call("POST", f"/proxies/{proxy}/toxics", body)
        return toxic_name

    def toxics(self, proxy: str) -> list[str]:
        return [t["name"] for t in self._call("GET", f"/proxies/{proxy}/toxics")]

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    def reset(self) -> None:
        self._call("POST", "/reset")

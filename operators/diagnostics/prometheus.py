"""A small client for Prometheus' HTTP API: instant and range queries, and alerting rule states.

Only GET requests; every failure (connection refused, timeout, a non-success answer, a PromQL
error) raises `PrometheusError` with the address and Prometheus' own message, so the caller can
say "the stack is down" instead of printing a traceback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

TIMEOUT_S = 10.0


class PrometheusError(RuntimeError):
    """Prometheus could not be reached or refused a query."""


@dataclass(frozen=True)
class Series:
    """One series of a result: its labels and (unix time, value) points (NaN kept as NaN)."""

    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]

    @property
    def last(self) -> float:
        return self.points[-1][1] if self.points else math.nan


@dataclass(frozen=True)
class AlertRule:
    name: str
    state: str  # inactive | pending | firing
    labels: dict[str, str]


class PrometheusApi:
    def __init__(self, base_url: str, *, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=TIMEOUT_S)

    def _get(self, path: str, params: dict[str, str]) -> Any:
        url = f"{self.base_url}{path}"
        try:
            response = self._client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise PrometheusError(f"Prometheus at {self.base_url} did not answer: {exc}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise PrometheusError(
                f"Prometheus at {self.base_url} answered {response.status_code} without JSON"
            ) from exc
        if body.get("status") != "success":
            raise PrometheusError(
                f"Prometheus refused {params.get('query', path)!r}: "
                f"{body.get('errorType', '?')}: {body.get('error', '?')}"
            )
        return body["data"]

    def query(self, expr: str, *, at: float | None = None) -> list[Series]:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        data = self._get("/api/v1/query", params)
        if data["resultType"] == "scalar":
            return [Series({}, ((float(data["result"][0]), float(data["result"][1])),))]
        return [
            Series(item["metric"], ((float(item["value"][0]), float(item["value"][1])),))
            for item in data["result"]
        ]

    def query_range(self, expr: str, *, start: float, end: float, step_s: float) -> list[Series]:
        params = {
            "query": expr,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step_s:g}",
        }
        data = self._get("/api/v1/query_range", params)
        return [
            Series(item["metric"], tuple((float(t), float(v)) for t, v in item["values"]))
            for item in data["result"]
        ]

    def alert_rules(self) -> list[AlertRule]:
        """Every alerting rule Prometheus has loaded, with its current state."""
        data = self._get("/api/v1/rules", {"type": "alert"})
        return [
            AlertRule(rule["name"], rule.get("state", "inactive"), rule.get("labels", {}))
            for group in data["groups"]
            for rule in group["rules"]
            if rule.get("type") == "alerting"
        ]

    def close(self) -> None:
        self._client.close()

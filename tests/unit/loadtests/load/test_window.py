"""A counter's increase over the window: per series, new series from zero, resets from zero."""

from __future__ import annotations

import json

import httpx

from loadtests.load.window import increase
from operators.diagnostics.prometheus import PrometheusApi


def _api(
    at_start: list[tuple[dict[str, str], float]], at_end: list[tuple[dict[str, str], float]]
) -> PrometheusApi:
    def answer(request: httpx.Request) -> httpx.Response:
        series = at_start if request.url.params["time"].startswith("100.") else at_end
        result = [{"metric": m, "value": [0, str(v)]} for m, v in series]
        body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        return httpx.Response(200, text=json.dumps(body))

    return PrometheusApi(
        "http://prometheus", client=httpx.Client(transport=httpx.MockTransport(answer))
    )


def test_a_series_born_in_the_window_counts_from_zero() -> None:
    api = _api([({"s": "200"}, 10.0)], [({"s": "200"}, 15.0), ({"s": "500"}, 3.0)])
    assert increase(api, "x", 100.0, 200.0) == 8.0


def test_a_counter_reset_counts_from_zero_again() -> None:
    api = _api([({"s": "200"}, 50.0)], [({"s": "200"}, 4.0)])
    assert increase(api, "x", 100.0, 200.0) == 4.0

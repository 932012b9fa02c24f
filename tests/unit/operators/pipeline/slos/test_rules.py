"""The generator: records per window, burn-rate pairs, the low-traffic guard, absence, runbooks."""

from __future__ import annotations

from typing import Any

from operators.pipeline.slos.files import load
from operators.pipeline.slos.model import MissingSli, Sli
from operators.pipeline.slos.rules import WINDOWS, rule_file, scaled, slo_rules

CHECKOUT = load()["checkout.yaml"]


def _group(name: str) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {
        g["name"]: g["rules"] for g in rule_file(CHECKOUT)["groups"]
    }
    return groups[name]


def _alert(rules: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in rules if r.get("alert") == name)


def test_each_window_records_the_error_ratio_and_the_event_count() -> None:
    rules = _group("slo-checkout-availability")
    records = [r["record"] for r in rules if "record" in r]
    assert records == [
        *(f"slo:sli_error:ratio_rate{w}" for w in WINDOWS),
        *(f"slo:sli_events:increase{w}" for w in WINDOWS),
        "slo:objective:ratio",
    ]
    ratio_1h = rules[2]["expr"]
    assert ratio_1h == (
        'sum(rate(conveyor_http_requests_total{method="POST",route="/v1/orders",status=~"5.."}[1h]))'
        ' / sum(rate(conveyor_http_requests_total{method="POST",route="/v1/orders"}[1h]))'
    )
    assert rules[0]["labels"] == {"service": "checkout", "slo": "availability", "team": "commerce"}


def test_page_pairs_burn_at_14_4_and_6_and_need_enough_events() -> None:
    page = _alert(_group("slo-checkout-availability"), "CheckoutAvailabilityBurnRatePage")
    sel = '{service="checkout",slo="availability",team="commerce"}'
    assert page["expr"] == (
        f"(slo:sli_error:ratio_rate1h{sel} > 0.0144 and slo:sli_error:ratio_rate5m{sel} > 0.0144"
        f" and slo:sli_events:increase1h{sel} >= 100)"
        f" or (slo:sli_error:ratio_rate6h{sel} > 0.006 and slo:sli_error:ratio_rate30m{sel} > 0.006"
        f" and slo:sli_events:increase6h{sel} >= 100)"
    )
    assert page["labels"]["severity"] == "page"
    assert page["for"] == "2m"


def test_ticket_pairs_burn_at_3_and_1() -> None:
    ticket = _alert(_group("slo-checkout-availability"), "CheckoutAvailabilityBurnRateTicket")
    sel = '{service="checkout",slo="availability",team="commerce"}'
    assert (
        f"(slo:sli_error:ratio_rate1d{sel} > 0.003 and slo:sli_error:ratio_rate2h{sel} > 0.003"
        in (ticket["expr"])
    )
    assert (
        f"(slo:sli_error:ratio_rate3d{sel} > 0.001 and slo:sli_error:ratio_rate6h{sel} > 0.001"
        in (ticket["expr"])
    )
    assert ticket["for"] == "15m"
    assert ticket["labels"]["severity"] == "ticket"


def test_latency_counts_events_above_the_bucket_boundary_as_bad() -> None:
    rules = _group("slo-checkout-latency")
    assert rules[0]["expr"] == (
        '(sum(rate(conveyor_saga_duration_seconds_count{outcome="confirmed"}[5m]))'
        ' - sum(rate(conveyor_saga_duration_seconds_bucket{outcome="confirmed",le="5.0"}[5m])))'
        ' / sum(rate(conveyor_saga_duration_seconds_count{outcome="confirmed"}[5m]))'
    )
    absent = _alert(rules, "CheckoutLatencySLIAbsent")
    assert absent["expr"] == 'absent(conveyor_saga_duration_seconds_count{outcome="confirmed"})'
    assert absent["for"] == "10m"


def test_every_alert_links_its_runbook() -> None:
    for group in rule_file(CHECKOUT)["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                url = rule["annotations"]["runbook_url"]
                assert url == f"docs/runbooks/{rule['alert']}.md"


def test_a_missing_sli_generates_nothing() -> None:
    completion = next(s for s in CHECKOUT.slos if s.name == "saga-completion")
    missing = Sli(missing=MissingSli(metric="conveyor_x", reason="not exported yet"))
    assert slo_rules(CHECKOUT, completion.model_copy(update={"sli": missing})) == []


def test_saga_completion_is_a_share_of_time_with_an_order_open_past_ten_minutes() -> None:
    names = [g["name"] for g in rule_file(CHECKOUT)["groups"]]
    assert names == [
        "slo-checkout-availability", "slo-checkout-latency", "slo-checkout-saga-completion",
    ]  # fmt: skip
    rules = _group("slo-checkout-saga-completion")
    bad = rules[0]
    assert bad["record"] == "slo:sli_bad:bool"
    assert bad["expr"] == "max(conveyor_saga_open_oldest_age_seconds{}) > bool 600"
    sel = '{service="checkout",slo="saga-completion",team="commerce"}'
    by_name = {r.get("record"): r["expr"] for r in rules}
    assert by_name["slo:sli_error:ratio_rate1h"] == f"avg_over_time(slo:sli_bad:bool{sel}[1h])"
    assert by_name["slo:sli_events:increase3d"] == f"count_over_time(slo:sli_bad:bool{sel}[3d])"
    page = _alert(rules, "SagaCompletionBurnRatePage")
    assert f"slo:sli_events:increase1h{sel} >= 30" in page["expr"]
    absent = _alert(rules, "SagaCompletionSLIAbsent")
    assert absent["expr"] == "absent(conveyor_saga_open_oldest_age_seconds{})"


def test_a_speedup_divides_every_window_and_hold_and_labels_the_copy() -> None:
    assert [scaled(x, 12) for x in ("5m", "1h", "3d", "2m", "10m")] == [
        "25s", "300s", "21600s", "10s", "50s",
    ]  # fmt: skip
    fast = {g["name"]: g["rules"] for g in rule_file(CHECKOUT, speedup=12)["groups"]}
    rules = fast["slo-checkout-availability-speedup12"]
    assert all(r["labels"]["speedup"] == "12" for r in rules)
    assert [r["record"] for r in rules[:7]] == [
        f"slo:sli_error:ratio_rate{scaled(w, 12)}" for w in WINDOWS
    ]
    page = _alert(rules, "CheckoutAvailabilityBurnRatePage")
    assert page["for"] == "10s"
    assert "slo:sli_error:ratio_rate300s{" in page["expr"]
    assert 'speedup="12"' in page["expr"]
    assert ">= 9)" in page["expr"]  # the 100-event floor scaled with the long window, rounded up


def test_scope_narrows_every_selector_and_objective_moves_the_thresholds() -> None:
    availability = CHECKOUT.slos[0]
    rules = slo_rules(
        CHECKOUT, availability, scope={"namespace": "shop", "job": "p-order"}, objective=99.0
    )
    assert all('namespace="shop",job="p-order",method="POST"' in r["expr"] for r in rules[:14])
    page = _alert(rules, "CheckoutAvailabilityBurnRatePage")
    assert "> 0.144 " in page["expr"]  # 14.4 x (1 - 99 %)
    assert rules[0]["labels"]["namespace"] == "shop"

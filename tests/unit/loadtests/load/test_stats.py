"""Locust's stats CSV read into per-endpoint figures."""

from __future__ import annotations

from loadtests.load import stats

CSV = (
    '"Type","Name","Request Count","Failure Count","Median Response Time",'
    '"Average Response Time","Min Response Time","Max Response Time","Average Content Size",'
    '"Requests/s","Failures/s","50%","66%","75%","80%","90%","95%","98%","99%","99.9%",'
    '"99.99%","100%"\n'
    '"POST","/v1/orders",20,1,79,90,10,300,40,1.5,0,79,80,90,100,200,300,300,300,300,300,300\n'
    '"SAGA","accepted → confirmed",18,0,460,470,300,770,0,1.2,0,460,500,600,600,700,770,770,'
    "770,770,770,770\n"
    '"","Aggregated",38,1,90,100,10,770,20,2.7,0,90,100,200,300,400,600,770,770,770,770,770\n'
)


def test_rows_become_endpoints_with_percentiles() -> None:
    rows = stats.parse(CSV)
    post = rows[0]
    assert (post.type, post.name, post.requests, post.failures) == ("POST", "/v1/orders", 20, 1)
    assert (post.p50_ms, post.p95_ms, post.p99_ms) == (79.0, 300.0, 300.0)


def test_sagas_and_totals_are_kept_apart_from_http_requests() -> None:
    rows = stats.parse(CSV)
    assert [e.name for e in stats.http_only(rows)] == ["/v1/orders"]
    assert list(stats.sagas(rows)) == ["accepted → confirmed"]
    total = stats.total(rows)
    assert total is not None
    assert total.requests == 38


def test_not_available_percentiles_are_none() -> None:
    text = (
        CSV.splitlines()[0]
        + '\n"GET","/x",0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n'
    )
    (row,) = stats.parse(text)
    assert row.p99_ms is None

"""Read-only views of a running stack for a person at a terminal: SLOs and stuck orders.

`slo_state` reads the live SLO state from Prometheus' HTTP API (through the recording rules'
names, `operators/pipeline/slos/records.py`), `slo_page` and `charts` render it as one
self-contained HTML page (`conveyor slo report`); `orders` reads an order's history read-only,
`verdict` says in one line why it is stuck, `order_trace` finds its trace id
(`conveyor orders inspect | stuck`). Rendering and verdicts are pure; the readers do I/O and
fail with an error that names the fix (usually `conveyor local up`). Nothing here writes to a
server.
"""

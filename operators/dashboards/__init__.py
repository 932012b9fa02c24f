"""Grafana dashboards as code: built with grafana-foundation-sdk, committed as JSON.

Each dashboard is a pure function returning the SDK's builder (`slo_overview`, `services`,
`saga`, `messaging`, `storage`); `files.rendered()` turns them into the exact text committed in
`observability/dashboards/`, `conveyor dashboards generate` writes it, and a unit test fails when a
committed file differs from what the code renders (drift). Every query reads the metrics that
`workloads/shared/metrics.py` exposes (a unit test checks each name against it), through a
`${datasource}` variable and a per-workload `$workload` variable, so one file serves the laptop's
Prometheus and the cluster's. `schema` validates each file against Grafana's own dashboard schema,
generated from the pinned `@grafana/schema` npm package (observability/schema/).

This room imports `workloads` (metric names, bucket bounds) and `operators.paths`; it does no I/O
but reading and writing its own files, and running npm for the schema check.
"""

"""The histogram bucket boundaries the services' latency metrics use, free of any client library.

The SLO generator (operators/pipeline/slos/) checks latency thresholds against these boundaries,
and the operator's image carries no Prometheus client, so the facts live here and
`workloads/shared/metrics.py` builds its histograms from them.
"""

from __future__ import annotations

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

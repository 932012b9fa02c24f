"""The kopf shell around the OrderPipeline model: the part of the operator that talks to a cluster.

`handlers` registers the thin kopf decorators and nothing else; what they call lives by role:
`state` (the `OperatorState` the handlers share), `kopf_settings` and `watched` (how kopf runs
and what it watches), `reconcile` (applies what `operators.pipeline` renders and writes status),
`repair` (drift repair on child events), `status_refresh` (the debounced status refresh),
`children` (server-side applies, prunes and reads), `lag` and `kafka_connection` (consumer lag
from the brokers, for `operators.pipeline.lag_scaling`), `liveness` and `watch_health` (the
liveness probe). `python -m operators.controller` runs it (the container's entry point).
"""

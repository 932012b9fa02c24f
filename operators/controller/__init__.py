"""The kopf shell around the OrderPipeline model: the part of the operator that talks to a cluster.

`handlers` registers the thin kopf decorators; `reconcile` applies what `operators.pipeline` renders
and writes status; `children` does the server-side applies, prunes and reads; `lag` reads consumer
lag from the brokers; `watch_health` backs the liveness probe. `python -m operators.controller` runs
it (the container's entry point).
"""

"""The OrderPipeline as data and the pure functions over it.

`spec` is the typed contract (the same as the CRD in operators/crds/); `render` turns a spec into
the Kubernetes children the operator applies; `status` computes the status body from what the
cluster reports; `autoscaling` decides lag-based replica counts. Nothing here does I/O: the kopf
handlers (operators/controller/handlers.py) and the local runner call these and do the talking.
"""

"""Locust scenarios (locustfiles), one module per scenario; `make load SCENARIO=<name>` runs one.

`browse` (catalog reads with think times), `checkout` (orders at a target rate, each followed to
its terminal state), `churn` (admins changing stock and prices while customers browse and buy),
`black_friday` (a LoadTestShape: normal, ten times normal, back; a few hot products) and `mixed`
(browse and checkout together: the demo, and the soak when run for hours). Where they send
requests is `settings.LoadSettings` (environment `CONVEYOR_LOAD_*`), which the runner
(`loadtests.load`) fills in for the Locust processes: the gateway's one URL when it is given,
each service's own URL until then. Nothing here starts or reads the stack.
"""

"""`make load`: one Locust scenario, headless (optionally a master and workers), then its verdict.

`runner` prepares the products, starts Locust (`process`), shows a live line from Locust's own
CSV (`stats`), follows the run's orders to their end in the order database (`outcomes`), reads
the SLOs over the run's exact window from Prometheus (`window`) and judges them (`verdict`, pure),
and writes `build/load/<scenario>.json` beside Locust's CSV and HTML report.
"""

"""SLOs as code: specs (observability/slos/*.yaml) -> Prometheus recording and alerting rules.

`model` validates a spec, `rules` generates the rules (pure), `files` reads specs and writes rule
files. The CLI (`conveyor slo generate`) and the operator (operators/pipeline/slo.py) both render
through `rules`, so the committed rule files and every pipeline's PrometheusRule agree.
"""

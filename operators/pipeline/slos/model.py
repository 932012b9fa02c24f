"""SLO specifications as typed, validated data (observability/slos/*.yaml).

Sloth-compatible in meaning (`service`, `labels`, `slos[].name/objective/description/sli/alerting`)
with a structured SLI so that the generator can scope every selector to one pipeline: `events`
(errors over all events of one counter, as PromQL label matchers), `latency` (events above a
threshold of one histogram; the threshold must be one of the histogram's bucket boundaries in
workloads/shared/metrics.py, or the SLI could not be computed exactly), `gauge` (a time-slice SLI:
the share of rule evaluations in which the gauge's maximum is above `bad_above`, for states rather
than events, such as the age of the oldest open order) or `missing` (an SLI the services cannot
express yet: it is kept in the spec, named in the README and generates nothing).
Unknown keys are refused; a refusal names the field (pydantic's location path).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from workloads.shared.metric_buckets import LATENCY_BUCKETS

NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"
METRIC = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
# A comma-separated list of PromQL label matchers: name="value", name!="v", name=~"re", name!~"re".
MATCHER = r'[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"'
MATCHERS = rf"^({MATCHER}(\s*,\s*{MATCHER})*)?$"
DURATION = r"^[0-9]+[smhd]$"

Name = Annotated[str, StringConstraints(pattern=NAME, max_length=63)]
Matchers = Annotated[str, StringConstraints(pattern=MATCHERS, max_length=512)]
Labels = dict[Annotated[str, StringConstraints(pattern=LABEL)], str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventsSli(_Model):
    """Bad events / all events of one counter: `errors` matchers narrow `total` to the bad ones."""

    metric: Annotated[str, StringConstraints(pattern=METRIC)]
    total: Matchers = ""
    errors: Annotated[Matchers, StringConstraints(min_length=1)]


class LatencySli(_Model):
    """Events slower than `threshold_seconds` / all events of one histogram (`<metric>_bucket`)."""

    histogram: Annotated[str, StringConstraints(pattern=METRIC)]
    total: Matchers = ""
    threshold_seconds: float = Field(gt=0)

    @model_validator(mode="after")
    def _threshold_is_a_bucket(self) -> LatencySli:
        if self.threshold_seconds not in LATENCY_BUCKETS:
            raise ValueError(
                f"threshold_seconds {self.threshold_seconds} is not a bucket boundary of "
                f"{self.histogram} (workloads/shared/metric_buckets.py LATENCY_BUCKETS: "
                f"{list(LATENCY_BUCKETS)})"
            )
        return self

    @property
    def le(self) -> str:
        # prometheus_client writes bucket bounds as Go floats: 5.0 -> "5.0", 0.005 -> "0.005".
        return repr(float(self.threshold_seconds))


class GaugeSli(_Model):
    """Bad time / all time: evaluations in which `max(metric{total})` exceeds `bad_above`."""

    metric: Annotated[str, StringConstraints(pattern=METRIC)]
    total: Matchers = ""
    bad_above: float


class MissingSli(_Model):
    """An SLI no exported metric can express truthfully: named here, generated nowhere."""

    metric: Annotated[str, StringConstraints(pattern=METRIC)]
    reason: Annotated[str, StringConstraints(min_length=1)]


class Sli(_Model):
    events: EventsSli | None = None
    latency: LatencySli | None = None
    gauge: GaugeSli | None = None
    missing: MissingSli | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Sli:
        kinds = ("events", "latency", "gauge", "missing")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(kinds)} (given: {given})")
        return self


class Alerting(_Model):
    """Alert names and the guards the generator adds around the burn-rate conditions."""

    name: Annotated[str, StringConstraints(pattern=ALERT_NAME, max_length=60)]
    summary: Annotated[str, StringConstraints(min_length=1)]
    # No burn-rate alert while the long window holds fewer events than this: at very low traffic
    # one failed request is a 100 % error ratio, and nobody should be woken for it.
    min_events: int = Field(default=100, ge=0)
    # The SLI's series are gone (scrape broken, metric renamed, service down) for this long.
    absent_for: Annotated[str, StringConstraints(pattern=DURATION)] = "10m"
    labels: Labels = Field(default_factory=dict)


class Slo(_Model):
    name: Name
    objective: float = Field(gt=0, lt=100)  # percent of good events over the 30-day window
    description: Annotated[str, StringConstraints(min_length=1)]
    # The workload whose metrics the SLI reads; "*" means each workload of a pipeline (the operator
    # instantiates it per workload with the pipeline's own availability target).
    workload: Name | Literal["*"]
    sli: Sli
    alerting: Alerting

    @property
    def error_budget(self) -> float:
        return (100.0 - self.objective) / 100.0


class SloFile(_Model):
    version: Literal["conveyor/v1"]
    service: Name
    labels: Labels = Field(default_factory=dict)
    slos: list[Slo] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_unique(self) -> SloFile:
        names = [s.name for s in self.slos]
        alerts = [s.alerting.name for s in self.slos]
        for what, values in (("slos[].name", names), ("slos[].alerting.name", alerts)):
            doubled = sorted({v for v in values if values.count(v) > 1})
            if doubled:
                raise ValueError(f"{what} repeated: {doubled}")
        return self

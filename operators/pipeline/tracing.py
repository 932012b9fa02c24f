"""`spec.tracing`: how much of the pipeline's traffic is traced (ADR 0058). Pure.

Head sampling, parent-based downstream: the share of new traces kept. Every workload gets it as
`TRACE_SAMPLE_RATIO` (workloads/shared/telemetry.py), which a workload's own `env` may override.
1 keeps every order's trace (the local pipeline: each order can be inspected); a production
pipeline keeps a share, as each kept span costs CPU in the service, the collector and the trace
store. A ratio outside 0..1 is refused by the model and by the CRD.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

TRACE_SAMPLE_RATIO_ENV = "TRACE_SAMPLE_RATIO"


class TracingSpec(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True, strict=True)

    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0, alias="sampleRatio")

"""Change a flag in the stack's file and wait until every running replica evaluates the new value.

What a replica evaluates is on its /metrics (`conveyor_flag_value{flag}`, read at scrape time),
so a test waits on that observable instead of inferring it from outcomes: behaviour checked
after `evaluated_everywhere` returns is the new value's, and a replica that never reloads fails
here, naming itself and the value it still has.
"""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from operators.local import flags_file
from operators.local.plan import read
from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.shared.flags.names import KnownFlag

FLAG_VALUE = "conveyor_flag_value"


def set_flag(stack: LocalStack, name: str, value: str) -> None:
    """As `conveyor flags set NAME VALUE` does."""
    spec = read(stack.settings.pipeline).spec
    flags_file.set_flag(flags_file.location(stack.settings), name, value, spec=spec)


async def evaluated(http: httpx.AsyncClient, address: str, flag: KnownFlag) -> float | None:
    """The value the process at `address` evaluates for `flag` now (None: not exported)."""
    response = await http.get(f"http://{address}/metrics")
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == FLAG_VALUE and sample.labels.get("flag") == flag.key:
                return sample.value
    return None


async def evaluated_everywhere(
    stack: LocalStack,
    http: httpx.AsyncClient,
    workload: str,
    flag: KnownFlag,
    value: float,
    *,
    within_s: float = 30,
) -> None:
    """Until every running replica of `workload` evaluates `flag` as `value`."""
    replicas = [r for r in stack.workloads.status() if r.name == workload and r.pid is not None]
    assert replicas, f"no running {workload} replica"

    async def everywhere() -> None:
        seen: dict[str, float | None] = {}
        for replica in replicas:
            try:
                seen[f"{workload}-{replica.replica}"] = await evaluated(http, replica.address, flag)
            except httpx.HTTPError as exc:  # a replica may be restarting
                raise AssertionError(f"{workload}-{replica.replica}: {exc!r}") from exc
        stale = {name: found for name, found in seen.items() if found != value}
        assert not stale, f"{flag.key}: want {value} everywhere, these still evaluate {stale}"

    await eventually(everywhere, within_s=within_s, every_s=0.1)

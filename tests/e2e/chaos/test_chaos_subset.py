"""A short subset of `make chaos` in `make test`: one service SIGKILLed, the broker restarted,
poison messages; each under load, each judged by every invariant of the full suite.

The full suite (all scenarios, longer faults) is `make chaos`; this keeps the framework and the
fixes it led to (ADR 0025) from rotting between runs of it.
"""

from __future__ import annotations

import random

from loadtests.chaos.runner import Pace, run_one
from loadtests.chaos.scenario import Scenario
from loadtests.chaos.scenarios import kafka_restart
from loadtests.chaos.scenarios.poison import PoisonMessages
from loadtests.chaos.scenarios.sigkill import SigkillEachService
from operators.local.stack import LocalStack

SEED = 2510
QUICK = Pace(rate_per_s=5, warm_up_s=2, after_s=3, settle_s=90)
SUBSET: tuple[Scenario, ...] = (
    SigkillEachService(services=1),
    kafka_restart.SCENARIO,
    PoisonMessages(seconds=(4, 6)),
)


async def test_the_chaos_subset_loses_nothing_and_keeps_every_invariant(
    stack: LocalStack,
) -> None:
    rng = random.Random(SEED)
    failed = []
    for scenario in SUBSET:
        result = await run_one(stack, scenario, rng, pace=QUICK, log=lambda _line: None)
        assert result.accepted > 0, f"{scenario.name}: the load got no order accepted"
        if not result.passed:
            failed.append(f"{scenario.name} (plan {result.plan}): {result.error or ''}")
            failed += [f"  {violation}" for violation in result.violations]
    assert not failed, "\n".join(failed)

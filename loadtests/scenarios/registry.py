"""The scenarios `make load SCENARIO=<name>` knows: their locustfile and their default load.

`buyer_share` is the buyers' share of the users (the locustfile's weights), from which the
runner sets `buyers` so that buyers together pace for `rate` orders/s; `admin_share` likewise
sizes the admin accounts the runner creates for a run through the gateway. `soak` is `mixed` run for
hours with memory sampled (never in CI). Defaults are what a 2-core laptop carries next to the
whole stack; a cluster's run passes `USERS=`, `RATE=`, `DURATION=`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Scenario:
    name: str
    locustfile: str  # module in this package
    buyer_share: float  # 0: no orders
    users: int
    rate: float  # orders/s at normal load
    duration_s: float
    hot_products: int = 0
    sample_memory: bool = False
    admin_share: float = 0.0

    def admins(self, users: int) -> int:
        return max(1, round(users * self.admin_share)) if self.admin_share else 0

    @property
    def path(self) -> Path:
        return HERE / f"{self.locustfile}.py"

    def buyers(self, users: int) -> int:
        return max(1, round(users * self.buyer_share)) if self.buyer_share else 1


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("browse", "browse", 0.0, users=50, rate=1.0, duration_s=60),
        Scenario("checkout", "checkout", 1.0, users=20, rate=10.0, duration_s=60),
        Scenario("churn", "churn", 2 / 6, users=30, rate=10.0, duration_s=120, admin_share=1 / 6),
        Scenario(
            "black_friday", "black_friday", 0.25, users=20, rate=2.0, duration_s=300, hot_products=5
        ),
        Scenario("mixed", "mixed", 0.25, users=40, rate=10.0, duration_s=60),
        Scenario(
            "soak", "mixed", 0.25, users=40, rate=5.0, duration_s=4 * 3600, sample_memory=True
        ),
    )
}


def scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"no scenario {name!r}: choose one of {', '.join(SCENARIOS)}") from None

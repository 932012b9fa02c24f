"""What the invariants are checked against: plain data read back after a scenario.

Built by loadtests/chaos/collect.py from the services' databases and the fake card provider's
ledger, or by hand in the unit tests; invariants.py never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loadtests.chaos.scenario import FaultWindow

TERMINAL = frozenset({"CONFIRMED", "CANCELLED", "SHIPPED"})
SOLD = frozenset({"CONFIRMED", "SHIPPED"})


@dataclass(frozen=True)
class OrderRecord:
    """An order the driver got a 202 for, as the order service has it (status None: no row)."""

    order_id: str
    accepted_at: float  # wall-clock seconds, when the 202 arrived
    status: str | None
    total_cents: int = 0
    cancel_reason: str | None = None
    terminal_at: float | None = None  # when its saga ended: first OrderConfirmed/Cancelled
    lines: tuple[tuple[str, int], ...] = ()  # (product id, quantity)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def sold(self) -> bool:
        return self.status in SOLD


@dataclass(frozen=True)
class ProductStock:
    """Inventory's books for one seeded product: what it started with and where units are."""

    product_id: str
    initial: int
    available: int
    held: int
    committed: int


@dataclass(frozen=True)
class ProviderAccount:
    """The fake provider's ledger for one order: succeeded charges and refunds, with cents."""

    charges: int = 0
    charged_cents: int = 0
    refunds: int = 0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.charged_cents - self.refunded_cents


@dataclass(frozen=True)
class Effects:
    """Per order, how many times each effect of an event was recorded.

    history: rows of each event type in the order's own history (order_events);
    reservations: inventory's reservation rows by status; notifications: templates recorded.
    """

    history: dict[str, dict[str, int]] = field(default_factory=dict)
    reservations: dict[str, dict[str, int]] = field(default_factory=dict)
    notifications: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    orders: tuple[OrderRecord, ...]
    stock: tuple[ProductStock, ...]
    provider: dict[str, ProviderAccount]
    effects: Effects
    faults: tuple[FaultWindow, ...] = ()

"""A broken invariant, naming what broke it (order ids, product ids, message keys)."""

from __future__ import annotations

from dataclasses import dataclass

SHOWN = 20  # ids printed per violation (the report keeps them all)


@dataclass(frozen=True)
class Violation:
    invariant: str
    ids: tuple[str, ...]
    detail: str

    def __str__(self) -> str:
        shown = ", ".join(self.ids[:SHOWN]) + (" …" if len(self.ids) > SHOWN else "")
        return f"{self.invariant}: {self.detail} [{shown}]"

"""Choosing a replica: round robin, or least outstanding requests. Pure, one event loop.

Both choose among the replicas that are healthy now and that this request has not tried yet (a
retry goes elsewhere when it can). Round robin rotates a counter over the candidates, so two
replicas see alternate requests; least outstanding picks the one with the fewest calls in flight
through this gateway process (ties by the rotating counter), so a slow replica, which holds its
requests longer, is given fewer new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Policy = Literal["round_robin", "least_outstanding"]


@dataclass
class Replica:
    url: str
    healthy: bool = False  # until the first probe answers
    outstanding: int = 0  # calls in flight through this process
    failures: int = 0  # health probes failed in a row (timeouts, errors, not-200 answers)
    refused: bool = False  # a connection to it was refused: nothing listens there now


class Balancer(Protocol):
    def choose(self, candidates: Sequence[Replica]) -> Replica: ...


class RoundRobin:
    def __init__(self) -> None:
        self._next = 0

    def choose(self, candidates: Sequence[Replica]) -> Replica:
        chosen = candidates[self._next % len(candidates)]
        self._next += 1
        return chosen


class LeastOutstanding:
    def __init__(self) -> None:
        self._turn = RoundRobin()

    def choose(self, candidates: Sequence[Replica]) -> Replica:
        fewest = min(r.outstanding for r in candidates)
        return self._turn.choose([r for r in candidates if r.outstanding == fewest])


def balancer(policy: Policy) -> Balancer:
    return RoundRobin() if policy == "round_robin" else LeastOutstanding()

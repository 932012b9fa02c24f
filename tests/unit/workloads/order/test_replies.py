"""A step counts as queued only while the service it waits for is answering other orders."""

from __future__ import annotations

from workloads.order.adapters.replies import RecentReplies
from workloads.order.domain.order import Step


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_reply_of_a_service_marks_its_steps_progressing_for_the_window_only() -> None:
    clock = Clock()
    recent = RecentReplies(window_s=5, clock=clock)
    assert not recent.progressing(Step.RESERVING_INVENTORY), "nothing seen yet"
    recent.saw("InventoryReserved")
    assert recent.progressing(Step.RESERVING_INVENTORY)
    assert recent.progressing(Step.RELEASING_INVENTORY)
    assert not recent.progressing(Step.PROCESSING_PAYMENT), "payment never answered"
    clock.now += 6
    assert not recent.progressing(Step.RESERVING_INVENTORY), "inventory went quiet"


def test_events_that_are_no_reply_of_a_dependency_are_ignored() -> None:
    recent = RecentReplies(clock=Clock())
    recent.saw("OrderShipped")
    assert not any(recent.progressing(step) for step in Step)

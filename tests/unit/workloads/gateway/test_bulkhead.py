"""The bulkhead: a limit, a short first-come-first-served wait, no slot ever lost."""

from __future__ import annotations

import asyncio

import pytest

from workloads.gateway.bulkhead import Bulkhead, BulkheadFullError


async def _queued(bulkhead: Bulkhead, waiters: int) -> None:
    """Let the event loop run the started calls until `waiters` of them wait for a slot."""
    for _ in range(100):
        if bulkhead.waiting >= waiters:
            return
        await asyncio.sleep(0)  # one turn of the loop, not a wait for time
    raise AssertionError(f"{bulkhead.waiting} calls wait, not {waiters}")


async def test_a_call_that_finds_every_slot_taken_gets_the_next_one_freed() -> None:
    bulkhead = Bulkhead(2, max_wait_s=5)
    await bulkhead.acquire()
    await bulkhead.acquire()
    waiter = asyncio.create_task(bulkhead.acquire())
    await _queued(bulkhead, 1)
    bulkhead.release()
    await waiter  # handed the freed slot
    assert (bulkhead.in_flight, bulkhead.waiting) == (2, 0)


async def test_a_slot_goes_to_the_longest_waiter_not_to_a_newcomer() -> None:
    bulkhead = Bulkhead(2, max_wait_s=5)
    await bulkhead.acquire()
    await bulkhead.acquire()
    order: list[str] = []

    async def call(name: str) -> None:
        await bulkhead.acquire()
        order.append(name)

    first = asyncio.create_task(call("first"))
    await _queued(bulkhead, 1)
    second = asyncio.create_task(call("second"))
    await _queued(bulkhead, 2)
    bulkhead.release()
    await first
    bulkhead.release()
    await second
    assert order == ["first", "second"]


async def test_the_wait_is_bounded_and_the_queue_too() -> None:
    bulkhead = Bulkhead(1, max_wait_s=0.01)
    await bulkhead.acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()  # nothing freed within the wait
    assert bulkhead.waiting == 0
    patient = Bulkhead(1, max_wait_s=5)
    await patient.acquire()
    queued = asyncio.create_task(patient.acquire())
    await _queued(patient, 1)
    with pytest.raises(BulkheadFullError):
        await patient.acquire()  # one waiter per slot at most: refused at once
    queued.cancel()


async def test_no_wait_means_refused_at_once() -> None:
    bulkhead = Bulkhead(1, max_wait_s=0)
    await bulkhead.acquire()
    with pytest.raises(BulkheadFullError):
        await bulkhead.acquire()


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_slot() -> None:
    bulkhead = Bulkhead(1, max_wait_s=5)
    await bulkhead.acquire()
    gone = asyncio.create_task(bulkhead.acquire())
    await _queued(bulkhead, 1)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert bulkhead.waiting == 0
    bulkhead.release()
    assert bulkhead.in_flight == 0
    await bulkhead.acquire()  # the slot is free again


async def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on() -> None:
    bulkhead = Bulkhead(2, max_wait_s=5)
    await bulkhead.acquire()
    await bulkhead.acquire()
    unlucky = asyncio.create_task(bulkhead.acquire())
    await _queued(bulkhead, 1)
    next_in_line = asyncio.create_task(bulkhead.acquire())
    await _queued(bulkhead, 2)
    bulkhead.release()  # hands the slot to `unlucky`…
    unlucky.cancel()  # …which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await next_in_line  # the slot went on
    assert (bulkhead.in_flight, bulkhead.waiting) == (2, 0)

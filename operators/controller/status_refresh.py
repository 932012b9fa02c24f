"""Debounced status refresh: a pipeline's status follows its Deployments within about a second.

Deployment status events come in bursts (one per pod that becomes ready). `schedule_status`
coalesces a burst into one refresh that starts 0.3 s after the first event, and runs once more if
events arrived while a refresh was reading, so the last change is never lost. At most one refresh
per pipeline runs at a time; the tasks live in the operator state, and cleanup cancels them.

Failure behaviour: a refresh that fails is logged with its reason and dropped; the next Deployment
event or the periodic resync refreshes again. A pipeline that is gone, being deleted or whose spec
the model refuses is skipped (the reconcile handlers report an invalid spec). A failure that the
last reconcile reported stays in the status until a reconcile succeeds; a refresh that read the
pipeline before a reconcile wrote it gets a conflict and reads again (never writes an old view).
"""

from __future__ import annotations

import asyncio
import logging

from operators.controller import reconcile as flow
from operators.controller.state import OperatorState

DEBOUNCE_S = 0.3

log = logging.getLogger(__name__)


def schedule_status(state: OperatorState, namespace: str, name: str) -> None:
    """Refresh a pipeline's status soon: once for a burst of Deployment events, and once more
    if events arrive while a refresh is already reading (so the last change is never lost)."""
    key = (namespace, name)
    state.dirty_status.add(key)
    running = state.pending_status.get(key)
    if running is not None and not running.done():
        return
    state.pending_status[key] = asyncio.create_task(_refresh_later(state, namespace, name))


def cancel_pending(state: OperatorState) -> None:
    """Stop every scheduled refresh (the operator is shutting down)."""
    for task in state.pending_status.values():
        task.cancel()


async def _refresh_later(state: OperatorState, namespace: str, name: str) -> None:
    key = (namespace, name)
    try:
        while key in state.dirty_status:
            await asyncio.sleep(DEBOUNCE_S)
            state.dirty_status.discard(key)
            await refresh_status_now(state, namespace, name)
    except asyncio.CancelledError:
        raise
    except Exception:  # the next event or the resync refreshes again; say why this one failed
        log.exception("status refresh of %s/%s failed", namespace, name)
    finally:
        state.pending_status.pop(key, None)


async def refresh_status_now(state: OperatorState, namespace: str, name: str) -> None:
    """Recompute and write the pipeline's status from its children as they are now."""
    pipeline = await state.children.pipeline(name, namespace)
    if pipeline is None or pipeline["metadata"].get("deletionTimestamp"):
        return
    try:
        spec = flow.parse_spec(pipeline)
    except flow.InvalidSpecError:
        return
    # A failure reported by the last reconcile stands until a reconcile succeeds.
    await flow.refresh_status(state.children, pipeline, spec, keep_reported=True)

"""Inbox: remember which events a consumer group applied, in the transaction of the effect.

`claim` inserts (group, event id) and reports whether this is the first time. Two deliveries of
the same event racing in two transactions serialise on the primary key: the second waits for the
first to commit and then finds the row, so the effect happens once whatever the redelivery.
"""

from __future__ import annotations

from workloads.shared.database import Connection
from workloads.shared.messaging.envelope import Envelope


async def claim(conn: Connection, group: str, envelope: Envelope) -> bool:
    """True when this group has not applied the event before (and now owns applying it)."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer_group, event_id, event_type) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        group,
        envelope.event_id,
        envelope.event_type,
    )
    return inserted is not None

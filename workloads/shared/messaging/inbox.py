"""Inbox: remember which events a consumer group applied, in the transaction of the effect.

`claim` inserts (group, event id) and reports whether this is the first time. Two deliveries of
the same event racing in two transactions serialise on the primary key: the second waits for the
first to commit and then finds the row, so the effect happens once whatever the redelivery.
`claim_many` does the same for a consumer's batch in one statement (one round trip, not one per
event); an event twice in the batch is claimed once.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.shared.database import Connection
from workloads.shared.messaging.envelope import Envelope


async def claim(conn: Connection, group: str, envelope: Envelope) -> bool:
    """True when this group has not applied the event before (and now owns applying it)."""
    return str(envelope.event_id) in await claim_many(conn, group, [envelope])


async def claim_many(conn: Connection, group: str, envelopes: Sequence[Envelope]) -> set[str]:
    """The event ids of `envelopes` this group had not applied (now claimed), in one statement.

    Rows are inserted in the batch's order, so two transactions claiming the same redelivered
    batch wait for each other in one order and cannot deadlock.
    """
    if not envelopes:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer_group, event_id, event_type)"
        " SELECT $1, e.id, e.type FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY"
        " AS e(id, type, n) ORDER BY e.n ON CONFLICT DO NOTHING RETURNING event_id::text",
        group,
        [e.event_id for e in envelopes],
        [e.event_type for e in envelopes],
    )
    return {row["event_id"] for row in rows}

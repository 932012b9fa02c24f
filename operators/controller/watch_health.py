"""Notice a watch stream that died silently, so the liveness probe can get the operator restarted.

A known kopf failure mode: the watch connection stays open but stops delivering events (a proxy or
load balancer dropped it half-way), and the operator looks healthy while it ignores every change.
The remedy here compares two views. The handlers record the resourceVersion of every
OrderPipeline event they receive; the probe lists OrderPipelines directly. An object whose listed
version the watch has not delivered within the grace period means the stream is stale, and the
probe fails. A replica that peering has paused (another replica outranks it) receives no events
by design and is never judged stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass
class WatchHealth:
    grace_s: float = 60.0
    seen: dict[str, str] = field(default_factory=dict)  # uid -> resourceVersion via the watch
    unseen_since: dict[str, float] = field(default_factory=dict)  # uid -> first noticed behind

    def saw(self, uid: str, resource_version: str) -> None:
        self.seen[uid] = resource_version
        self.unseen_since.pop(uid, None)  # the stream delivers: restart the clock

    def observe(self, event_type: str | None, uid: str, resource_version: str) -> None:
        """Record one watch event: a deletion forgets the object, anything else is seen."""
        if event_type == "DELETED":
            self.forget(uid)
        else:
            self.saw(uid, resource_version)

    def forget(self, uid: str) -> None:
        self.seen.pop(uid, None)
        self.unseen_since.pop(uid, None)

    def stale(self, listed: Mapping[str, str], now: float) -> list[str]:
        """Uids whose listed version the watch has not delivered for longer than the grace."""
        behind = {uid for uid, version in listed.items() if self.seen.get(uid) != version}
        for uid in list(self.unseen_since):
            if uid not in behind:
                del self.unseen_since[uid]
        for uid in behind:
            self.unseen_since.setdefault(uid, now)
        return sorted(uid for uid in behind if now - self.unseen_since[uid] > self.grace_s)


def outranked(peers: Mapping[str, Any], *, own_priority: int, now: datetime) -> bool:
    """Whether a live peer in a kopf peering status has a higher priority than this replica."""
    for info in peers.values():
        if not isinstance(info, Mapping):
            continue
        try:
            priority = int(info.get("priority", 0))
            lifetime = float(info.get("lifetime", 60))
            last_seen = datetime.fromisoformat(str(info["lastseen"]))
        except (KeyError, TypeError, ValueError):
            continue
        if last_seen.tzinfo is None:
            last_seen = last_seen.replace(tzinfo=now.tzinfo)
        if priority > own_priority and last_seen + timedelta(seconds=lifetime) > now:
            return True
    return False

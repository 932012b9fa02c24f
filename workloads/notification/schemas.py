"""The notification service's HTTP shapes: the notifications recorded for one order."""

from __future__ import annotations

from pydantic import BaseModel


class NotificationView(BaseModel):
    template: str
    channel: str
    body: str


class OrderNotifications(BaseModel):
    """Every notification of the order, oldest first; empty when there are none (yet)."""

    order_id: str
    notifications: list[NotificationView]

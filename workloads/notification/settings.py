"""Settings of the notification service (plain environment variables)."""

from __future__ import annotations

from workloads.shared.runtime import ServiceSettings


class NotificationSettings(ServiceSettings):
    service_name: str = "notification"

"""Fixtures for the policy tests: the hand-written small graph."""

from __future__ import annotations

from tests.support.policy_graphs import small

__all__ = ["small"]

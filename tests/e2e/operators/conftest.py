"""The workloads' e2e fixtures (a saga client, workloads put back afterwards), shared here."""

from tests.e2e.workloads.conftest import client, workloads_restored

__all__ = ["client", "workloads_restored"]

"""Conveyor's commerce workloads and the shared library they all stand on."""

"""Faults the chaos suite puts between a service and its servers: a TCP proxy, a partition, a disk.

Each piece changes the host only through an object that can undo it, idempotently, and undoes it
even after a failure (docs/adr/0026-faults-without-netem.md).
"""

"""Fakes of the external systems Conveyor talks to, run by the local runner as real processes.

A fake is local tooling, not a Conveyor workload: it stands where a third party's service would
(a card provider today), speaks that kind of service's HTTP API over loopback, keeps its own
durable state under the runner's state folder, and lets tests change its behaviour at run time.
"""

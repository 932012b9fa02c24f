"""The local runner: real servers and workloads on loopback, with all state in one folder.

Every server is a real process started from the machine's own packages (PostgreSQL, Redis,
Prometheus) or from Maven Central artifacts (Kafka). The runner only ever stops what it started:
it tracks its children by pid files in the state folder and checks the command line before it
signals a pid, so a recycled pid or a server started by someone else is never touched.
"""

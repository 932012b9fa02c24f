"""The cross-cutting library every Conveyor service stands on (docs/adr/0017).

Connection helpers here are the only way services reach PostgreSQL, Redis and Kafka, so settings,
timeouts and delivery guarantees are decided once.
"""

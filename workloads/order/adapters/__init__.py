"""The order service's persistence: event store, snapshot row and the saga's unit of work."""

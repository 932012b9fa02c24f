"""The order service: accepts orders, runs each one's saga, keeps the order's event history."""

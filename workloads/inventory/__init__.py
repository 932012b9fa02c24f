"""The inventory service: stock per product, reservations that expire, never an oversell."""

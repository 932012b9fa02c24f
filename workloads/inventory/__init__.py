"""The inventory service: stock per product, reservations that expire only for cancelled orders."""

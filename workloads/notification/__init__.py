"""The notification service: records, once, the message it would send for each order outcome."""

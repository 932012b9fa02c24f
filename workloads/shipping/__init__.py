"""The shipping service: one shipment per confirmed order, announced once as `OrderShipped`."""

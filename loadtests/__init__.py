"""Load drivers for Conveyor: the saga driver behind `make demo` and `make bench` (Locust later)."""

"""The order aggregate and its saga, as pure functions: no I/O, no clock, no randomness."""

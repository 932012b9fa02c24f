"""The `conveyor` command line: one entry point behind every Makefile target."""

"""Everything that operates an order pipeline.

The kopf operator runs a pipeline on Kubernetes; the local runner (`operators.local`) runs the same
system as processes on a laptop; the `conveyor` command line (`operators.cli`) is the human
operator's single entry point to both, and to the tooling around them.
"""

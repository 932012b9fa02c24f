"""One module per chaos scenario, each exposing `SCENARIO` (listed in ../registry.py)."""

"""Conveyor's own checkov checks, loaded with `--external-checks-dir` inside `.venv-checkov`."""

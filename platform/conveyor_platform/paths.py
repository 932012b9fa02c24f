"""Where the repository is, for the platform program: its one place to compute it.

The program stands apart from the rest of the tree (it imports neither `operators` nor the
services), so it cannot read `operators/paths.py`; this module is its twin, and every file the
program reads (stack configs, CRDs, the operator's manifests, dashboards) is named from here.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS_DIR = REPO_ROOT / "environments"
BUILD_DIR = REPO_ROOT / "build"

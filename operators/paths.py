"""Where the repository is: the one place that computes it.

Every module that needs a file of the tree (examples, CRDs, the build folder, the local state dir)
reads these constants; a move of this module is the only change a different layout needs.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO_ROOT / "build"

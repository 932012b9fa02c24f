# ruff: noqa: A005 - Pulumi runs this directory; it is never imported as `platform`
"""The Pulumi entry point (`main: platform/`): everything lives in `conveyor_platform`.

The package is importable because the project's distribution installs it (pyproject.toml), and
also when Pulumi runs this directory directly (it is on `sys.path` then).
"""

from conveyor_platform import program

program.main()

"""Run checkov (from its own environment) and judge the result against the skips file.

checkov's pins clash with pulumi's, so it lives in `.venv-checkov` and runs as a subprocess;
`--skip-download` keeps it offline and deterministic. Every failed check must be listed in
`skips.yaml` with a reason, and every listed skip must still match a failure in the scanned
environment: a stale skip fails the scan too, so the list never hides more than it says.
Generic over frameworks: the synthesized graph is scanned as `terraform_plan`, rendered manifests
as `kubernetes` (`scan([manifest_dir], framework="kubernetes", repo_root=...)`).

The repository root is the caller's to give (`repo_root`, keyword-only): checkov runs from
`<repo_root>/.venv-checkov/bin/checkov` with the root as its working directory. This package
never works out where the repository is (it may not import the tooling that knows).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies.skips import Skip
from policies.skips import load as load_skips

CHECKOV_IN_ROOT = Path(".venv-checkov") / "bin" / "checkov"
CUSTOM_CHECKS = Path(__file__).with_name("checkov")


class CheckovMissingError(RuntimeError):
    """checkov's environment is not there; `make setup` creates it."""


class CheckovRunError(RuntimeError):
    """checkov itself failed (bad input, crash), as opposed to reporting failed checks."""


@dataclass(frozen=True)
class Finding:
    check_id: str
    name: str
    resource: str
    file: str


@dataclass(frozen=True)
class ScanResult:
    framework: str
    environment: str | None
    passed: list[Finding]
    failed: list[Finding]
    skipped: list[tuple[Finding, Skip]]
    stale_skips: list[Skip] = field(default_factory=list)
    parsing_errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stale_skips and not self.parsing_errors


def _findings(report: dict[str, Any], key: str) -> list[Finding]:
    return [
        Finding(
            check_id=c["check_id"],
            name=c.get("check_name") or "",
            resource=c.get("resource") or "",
            file=c.get("file_abs_path") or c.get("file_path") or "",
        )
        for c in report.get("results", {}).get(key, [])
    ]


def judge(
    report: dict[str, Any], framework: str, environment: str | None, skips: Sequence[Skip]
) -> ScanResult:
    """Split checkov's failures into allowed (a skip matches) and not; find stale skips (pure)."""
    applicable = [s for s in skips if s.framework == framework and s.applies_in(environment)]
    used: set[int] = set()
    failed: list[Finding] = []
    skipped: list[tuple[Finding, Skip]] = []
    for finding in _findings(report, "failed_checks"):
        match = next(
            (i for i, s in enumerate(applicable) if s.matches(finding.check_id, finding.resource)),
            None,
        )
        if match is None:
            failed.append(finding)
        else:
            used.add(match)
            skipped.append((finding, applicable[match]))
    return ScanResult(
        framework=framework,
        environment=environment,
        passed=_findings(report, "passed_checks"),
        failed=failed,
        skipped=skipped,
        stale_skips=[s for i, s in enumerate(applicable) if i not in used],
        parsing_errors=int(report.get("summary", {}).get("parsing_errors", 0)),
    )


def run_checkov(
    paths: Sequence[Path],
    framework: str,
    *,
    repo_root: Path,
    external_checks: Path | None = CUSTOM_CHECKS,
) -> dict[str, Any]:
    """checkov's JSON report for `paths` (files or directories), checks from no download."""
    checkov = repo_root / CHECKOV_IN_ROOT
    if not checkov.exists():
        raise CheckovMissingError(
            f"{checkov} is missing: run `make setup` (it syncs .venv-checkov)"
        )
    command = [str(checkov), "--framework", framework, "--skip-download", "--output", "json"]
    for path in paths:
        command += ["-d" if path.is_dir() else "-f", str(path)]
    if external_checks is not None:
        command += ["--external-checks-dir", str(external_checks)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=repo_root)
    # checkov exits 1 when a check fails; anything else, or no JSON, is checkov failing.
    if done.returncode not in (0, 1) or not done.stdout.strip().startswith(("{", "[")):
        raise CheckovRunError(f"checkov exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout)
    if isinstance(report, list):  # one report per framework; several only with several frameworks
        report = next((r for r in report if r.get("check_type") == framework), {})
    return dict(report)


def scan(
    paths: Sequence[Path],
    framework: str = "terraform_plan",
    *,
    repo_root: Path,
    environment: str | None = None,
    skips: Sequence[Skip] | None = None,
    external_checks: Path | None = CUSTOM_CHECKS,
) -> ScanResult:
    report = run_checkov(paths, framework, repo_root=repo_root, external_checks=external_checks)
    return judge(report, framework, environment, load_skips() if skips is None else skips)


def _only(report: dict[str, Any], path: Path) -> dict[str, Any]:
    """The part of a report about one scanned file."""
    results = report.get("results", {})
    return {
        "results": {
            key: [c for c in checks if Path(c.get("file_abs_path", "")).resolve() == path.resolve()]
            for key, checks in results.items()
        },
        "summary": report.get("summary", {}),
    }


def scan_each(
    plans: dict[str, Path],
    framework: str = "terraform_plan",
    *,
    repo_root: Path,
    skips: Sequence[Skip] | None = None,
    external_checks: Path | None = CUSTOM_CHECKS,
) -> dict[str, ScanResult]:
    """One checkov run over several environments' files (start-up costs seconds), judged apart."""
    report = run_checkov(
        list(plans.values()), framework, repo_root=repo_root, external_checks=external_checks
    )
    chosen = load_skips() if skips is None else skips
    return {env: judge(_only(report, path), framework, env, chosen) for env, path in plans.items()}

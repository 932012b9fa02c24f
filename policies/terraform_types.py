"""Pulumi type tokens to Terraform resource types, from the pulumi-aws bridge metadata.

pulumi-aws is bridged from the Terraform AWS provider; its `bridge-metadata.json` records which
Terraform resource each Pulumi token wraps (`renames.resources`) and which properties the bridge
renamed instead of camel-casing (`renames.renamedProperties`, e.g. the pluralised `parameters`
for Terraform's repeated `parameter` block). The project commits the subset it uses in
`terraform_types.json`, pinned to the pulumi-aws version in the lock; `refresh` regenerates it
from the upstream file (the Go module of the provider), and a test fails when the pin drifts
from the installed package. Why a committed subset and not a download: see ADR 0010.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

TYPES_FILE = Path(__file__).with_name("terraform_types.json")
GO_MODULE = "github.com/pulumi/pulumi-aws/provider/v7"
METADATA_IN_MODULE = Path("cmd/pulumi-resource-aws/bridge-metadata.json")


@dataclass(frozen=True)
class TypeMap:
    """The committed subset: Pulumi token -> Terraform type, and per-token property renames."""

    pulumi_aws_version: str
    resources: dict[str, str]
    properties: dict[str, dict[str, str]]


class UnmappedTypeError(LookupError):
    """An aws resource in the graph has no Terraform type: policy would silently skip it."""


def load(path: Path = TYPES_FILE) -> TypeMap:
    raw = json.loads(path.read_text())
    return TypeMap(
        pulumi_aws_version=raw["pulumi_aws_version"],
        resources=dict(raw["resources"]),
        properties={k: dict(v) for k, v in raw["properties"].items()},
    )


def extract(bridge_metadata: dict[str, Any], tokens: list[str], version: str) -> dict[str, Any]:
    """The file's content for `tokens`, read from upstream bridge metadata (pure)."""
    renames = bridge_metadata["renames"]
    known: dict[str, str] = renames["resources"]
    missing = sorted(t for t in tokens if t not in known)
    if missing:
        raise UnmappedTypeError(f"not in the bridge metadata: {', '.join(missing)}")
    renamed: dict[str, dict[str, str]] = renames.get("renamedProperties", {})
    return {
        "pulumi_aws_version": version,
        "source": f"{GO_MODULE}@v{version} {METADATA_IN_MODULE} "
        "(renames.resources, renames.renamedProperties)",
        "regenerate": ".venv/bin/python -m policies.terraform_types refresh",
        "resources": {t: known[t] for t in sorted(tokens)},
        "properties": {
            t: dict(sorted(renamed[t].items())) for t in sorted(tokens) if renamed.get(t)
        },
    }


def _download_metadata(version: str) -> Path:
    """The metadata file from the Go module cache (`go mod download` verifies its checksum)."""
    done = subprocess.run(
        ["go", "mod", "download", "-json", f"{GO_MODULE}@v{version}"],
        capture_output=True,
        text=True,
        check=False,
    )
    info = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Dir" not in info:
        raise SystemExit(
            f"could not fetch {GO_MODULE}@v{version}: {info.get('Error', done.stderr.strip())}\n"
            "pass the file instead: --metadata path/to/bridge-metadata.json"
        )
    return Path(info["Dir"]) / METADATA_IN_MODULE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m policies.terraform_types")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh", help="rewrite terraform_types.json from upstream")
    refresh.add_argument("--metadata", type=Path, help="a local bridge-metadata.json")
    refresh.add_argument("--add", action="append", default=[], help="another Pulumi token")
    args = parser.parse_args(argv)
    version = metadata.version("pulumi-aws")
    source = args.metadata or _download_metadata(version)
    tokens = sorted(set(load().resources) | set(args.add))
    content = extract(json.loads(source.read_text()), tokens, version)
    TYPES_FILE.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(f"{TYPES_FILE}: {len(tokens)} types from {source}\n")


if __name__ == "__main__":
    main()

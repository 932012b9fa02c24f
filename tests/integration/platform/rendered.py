"""What Helm renders from a release's values with its chart's defaults, offline (ADR 0049).

The charts are the vendored archives of platform/charts/ (charts.yaml names each one's upstream
commit and digest); Helm is built from its Go module (operators/local/helm_build.py). A chart is
unpacked with its dependencies into its `charts/` folder, as its published package carries them,
and `helm template` renders it under the release name and namespace the add-ons use, for the
cluster's Kubernetes version. An archive whose digest differs from charts.yaml is refused before
anything is unpacked; a render Helm refuses raises with Helm's own message.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from operators.paths import REPO_ROOT
from policies.synth_graph import Graph

CHARTS_DIR = REPO_ROOT / "platform" / "charts"


class VendoredChartError(RuntimeError):
    """A vendored chart is missing, altered, or cannot be rendered; the message says which."""


@dataclass(frozen=True)
class VendoredChart:
    chart: str
    version: str
    sha256: str
    parent: str | None = None

    def archive(self, charts_dir: Path = CHARTS_DIR) -> Path:
        return charts_dir / f"{self.chart}-{self.version}.tgz"


def vendored(charts_dir: Path = CHARTS_DIR) -> list[VendoredChart]:
    """The entries of charts.yaml."""
    document = yaml.safe_load((charts_dir / "charts.yaml").read_text(encoding="utf-8"))
    return [
        VendoredChart(
            chart=entry["chart"],
            version=str(entry["version"]),
            sha256=entry["sha256"],
            parent=entry.get("parent"),
        )
        for entry in document["charts"]
    ]


def verified(chart: VendoredChart, charts_dir: Path = CHARTS_DIR) -> Path:
    """The chart's archive, after its digest was found equal to the one charts.yaml records."""
    path = chart.archive(charts_dir)
    if not path.exists():
        raise VendoredChartError(f"{path} is missing (platform/charts/charts.yaml lists it)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != chart.sha256:
        raise VendoredChartError(
            f"{path.name}: sha256 {digest} is not the {chart.sha256} charts.yaml records"
        )
    return path


def _unpack(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def assemble(chart: str, into: Path, charts_dir: Path = CHARTS_DIR) -> Path:
    """`chart` unpacked into `into`, its dependencies in its charts/ folder; its folder."""
    charts = vendored(charts_dir)
    top = next((c for c in charts if c.chart == chart and c.parent is None), None)
    if top is None:
        raise VendoredChartError(f"{chart} is not vendored in {charts_dir}")
    _unpack(verified(top, charts_dir), into)
    folder = into / chart
    for dependency in (c for c in charts if c.parent == chart):
        _unpack(verified(dependency, charts_dir), folder / "charts")
    return folder


def kube_version(graph: Graph) -> str:
    """The Kubernetes version of the stack's EKS cluster, as Helm's `--kube-version` wants it."""
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    return f"v{cluster.inputs['version']}.0"


def render(
    helm: Path,
    chart: str,
    values: dict[str, Any],
    *,
    namespace: str,
    kube: str,
    workdir: Path,
    charts_dir: Path = CHARTS_DIR,
) -> list[dict[str, Any]]:
    """Every object `helm template` renders for the release `chart` (named like its chart)."""
    folder = assemble(chart, workdir / "charts", charts_dir)
    values_file = workdir / f"{chart}-values.yaml"
    values_file.write_text(yaml.safe_dump(values), encoding="utf-8")
    command = [str(helm), "template", chart, str(folder), f"--namespace={namespace}"]
    command += [f"--kube-version={kube}", f"--values={values_file}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0:
        raise VendoredChartError(f"helm template {chart} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def crd_schema(chart: str, member: str, version: str = "v1") -> dict[str, Any]:
    """The openAPIV3Schema of a CRD the vendored `chart` carries (`member`: its path inside)."""
    top = next(c for c in vendored() if c.chart == chart and c.parent is None)
    with tarfile.open(verified(top)) as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise VendoredChartError(f"{member} is not a file of {top.archive().name}")
        crd = next(d for d in yaml.safe_load_all(handle.read()) if d)
    served = next(v for v in crd["spec"]["versions"] if v["name"] == version)
    schema: dict[str, Any] = served["schema"]["openAPIV3Schema"]
    return schema


def pruning(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every object closed where the API server prunes unknown fields, so a
    validator names a field the server would silently drop."""
    closed = dict(schema)
    if "properties" in closed:
        closed["properties"] = {k: pruning(v) for k, v in closed["properties"].items()}
        if not closed.get("x-kubernetes-preserve-unknown-fields"):
            closed.setdefault("additionalProperties", False)
    if isinstance(closed.get("items"), dict):
        closed["items"] = pruning(closed["items"])
    return closed


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]

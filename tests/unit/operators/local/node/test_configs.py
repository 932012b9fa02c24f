"""The node's configuration files keep every path in the node's folder and every setting this
kernel needs (docs/adr/0032): checked on the rendered text, no I/O."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from operators.local.node import configs
from operators.local.node.configs import NodePaths
from operators.local.node.dns import corefile
from operators.local.node.dns_build import SOURCE, CoreDnsBinary, coredns_version
from operators.local.node.settings import NodeSettings

ROOT = Path("/work/checkout/.local/node")
PATHS = NodePaths(ROOT)
SETTINGS = NodeSettings(node_subnet="10.213.0.0/24", node_bridge="cnv-test0")


def test_containerd_keeps_root_state_socket_and_runc_state_in_the_node_folder() -> None:
    config = tomllib.loads(configs.containerd_config(PATHS, SETTINGS))
    assert Path(config["root"]).is_relative_to(ROOT)
    assert Path(config["state"]).is_relative_to(ROOT)
    assert Path(config["grpc"]["address"]).is_relative_to(ROOT)
    plugins = config["plugins"]
    assert Path(plugins["io.containerd.internal.v1.opt"]["path"]).is_relative_to(ROOT)
    cri = plugins["io.containerd.grpc.v1.cri"]
    runc = cri["containerd"]["runtimes"]["runc"]["options"]
    assert Path(runc["Root"]).is_relative_to(ROOT)
    assert Path(cri["cni"]["conf_dir"]).is_relative_to(ROOT)


def test_containerd_uses_cgroupfs_runc_and_never_raises_oom_scores() -> None:
    cri = tomllib.loads(configs.containerd_config(PATHS, SETTINGS))["plugins"][
        "io.containerd.grpc.v1.cri"
    ]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["sandbox_image"] == configs.PAUSE_IMAGE
    assert cri["stream_server_address"] == "127.0.0.1"
    options = cri["containerd"]["runtimes"]["runc"]["options"]
    assert options["SystemdCgroup"] is False
    assert options["BinaryName"] == configs.RUNC


def test_pods_get_addresses_on_the_projects_bridge_without_masquerade() -> None:
    bridge, portmap, loopback = json.loads(configs.cni_conflist(PATHS, SETTINGS))["plugins"]
    assert bridge["bridge"] == "cnv-test0"
    assert bridge["ipMasq"] is False
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.213.0.0/24", "gateway": "10.213.0.1"}]]
    assert Path(bridge["ipam"]["dataDir"]).is_relative_to(ROOT)
    assert (portmap["type"], loopback["type"]) == ("portmap", "loopback")


def test_the_kubelet_serves_on_the_node_address_with_webhook_auth_and_cgroupfs() -> None:
    config = yaml.safe_load(configs.kubelet_config(PATHS, SETTINGS, ca_cert=ROOT / "ca.crt"))
    assert config["address"] == SETTINGS.node_ip == "10.213.0.1"
    assert config["readOnlyPort"] == 0
    assert config["healthzBindAddress"] == "127.0.0.1"
    assert config["authentication"]["anonymous"]["enabled"] is False
    assert config["authorization"]["mode"] == "Webhook"
    assert (config["cgroupDriver"], config["failCgroupV1"]) == ("cgroupfs", False)
    assert Path(config["podLogsDir"]).is_relative_to(ROOT)
    assert Path(config["volumePluginDir"]).is_relative_to(ROOT)


def test_kube_proxy_leaves_host_wide_conntrack_and_localnet_settings_alone() -> None:
    config = yaml.safe_load(configs.kube_proxy_config(SETTINGS, kubeconfig=ROOT / "k"))
    assert config["conntrack"]["maxPerCore"] == 0
    assert config["iptables"]["localhostNodePorts"] is False
    assert config["nodePortAddresses"] == ["10.213.0.0/24"]
    assert config["healthzBindAddress"].startswith("127.0.0.1:")


@pytest.mark.parametrize("subnet", ["8.8.8.0/24", "10.213.0.0/30", "fd00::/64"])
def test_the_node_subnet_must_be_private_ipv4_and_big_enough(subnet: str) -> None:
    with pytest.raises(ValidationError):
        NodeSettings(node_subnet=subnet)


def test_pods_ask_the_nodes_coredns_and_no_upstream_resolver() -> None:
    config = yaml.safe_load(configs.kubelet_config(PATHS, SETTINGS, ca_cert=ROOT / "ca.crt"))
    assert config["clusterDNS"] == ["10.213.0.1"]
    assert config["clusterDomain"] == "cluster.local"
    assert config["resolvConf"] == ""  # the host's resolvers are never handed to pods


def test_coredns_serves_only_the_cluster_zone_on_the_node_address() -> None:
    text = corefile(
        zone="cluster.local", node_ip="10.213.0.1", ready_port=18181, kubeconfig="/k/admin.conf"
    )
    lines = [line.strip() for line in text.splitlines()]
    assert "bind 10.213.0.1" in lines  # never the host's other addresses
    assert "ready 127.0.0.1:18181" in lines
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in lines
    assert "kubeconfig /k/admin.conf" in lines
    plugins = {line.split()[0] for line in lines if line and line[0].isalpha()}
    assert not plugins & {"forward", "proxy", "fallthrough"}, plugins  # nothing leaves


def test_the_coredns_build_is_keyed_by_its_pinned_version_and_sources(tmp_path: Path) -> None:
    binary = CoreDnsBinary(cache_dir=tmp_path)
    assert binary.version == coredns_version((SOURCE / "go.mod").read_text())
    assert binary.root.parent == tmp_path / "coredns"
    assert binary.root.name.startswith(f"{binary.version}-")
    assert not binary.built()
    changed = tmp_path / "src"
    changed.mkdir()
    for name in ("main.go", "go.mod", "go.sum"):
        (changed / name).write_bytes((SOURCE / name).read_bytes())
    (changed / "main.go").write_text((SOURCE / "main.go").read_text() + "\n// changed\n")
    assert CoreDnsBinary(cache_dir=tmp_path, source=changed).root != binary.root

"""The node's configuration files, rendered from settings and paths: pure functions, no I/O.

Each choice here answers something measured on this machine (docs/adr/0032): cgroup v1 hybrid
hierarchies (runc with the cgroupfs driver, never systemd), no CAP_SYS_RESOURCE (containerd must
not raise OOM scores), a private bridge for pods and the node, and every path under the node's
own folder so nothing lands in /var/lib or /opt. What still escapes (shim sockets under
/run/containerd, /var/log/containers, netns bind mounts) is swept by `host.py` on `down`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from operators.local.kube.credentials import NODE_NAME
from operators.local.node.settings import NodeSettings

PAUSE_IMAGE = "localhost/conveyor-pause:catatonit"
CNI_BIN_DIR = "/usr/lib/cni"
RUNC = "/usr/sbin/runc"
CGROUP_ROOT = "/conveyor-node"
CNI_NETWORK = "conveyor-node"


@dataclass(frozen=True)
class NodePaths:
    root: Path  # .local/node

    @property
    def containerd_root(self) -> Path:
        return self.root / "containerd" / "root"

    @property
    def containerd_state(self) -> Path:
        return self.root / "containerd" / "state"

    @property
    def containerd_socket(self) -> Path:
        return self.root / "containerd" / "containerd.sock"

    @property
    def containerd_config(self) -> Path:
        return self.root / "containerd" / "config.toml"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.root / "kubelet.yaml"

    @property
    def kube_proxy_config(self) -> Path:
        return self.root / "kube-proxy.yaml"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def containerd_config(paths: NodePaths, settings: NodeSettings) -> str:
    """containerd 1.6's config (version 2): own root, state and socket; CRI for the kubelet."""
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    sections: dict[str, dict[str, object]] = {
        "": {
            "version": 2,
            "root": paths.containerd_root,
            "state": paths.containerd_state,
        },
        "grpc": {"address": paths.containerd_socket},
        "ttrpc": {"address": f"{paths.containerd_socket}.ttrpc"},
        "metrics": {"address": f"127.0.0.1:{settings.containerd_metrics_port}"},
        'plugins."io.containerd.internal.v1.opt"': {"path": paths.root / "containerd" / "opt"},
        cri: {
            "sandbox_image": PAUSE_IMAGE,
            "restrict_oom_score_adj": True,  # root lacks CAP_SYS_RESOURCE here
            "disable_apparmor": True,
            "enable_selinux": False,
            "stream_server_address": "127.0.0.1",
            "stream_server_port": "0",
        },
        f"{cri}.containerd": {"snapshotter": "overlayfs", "default_runtime_name": "runc"},
        f"{cri}.containerd.runtimes.runc": {"runtime_type": "io.containerd.runc.v2"},
        f"{cri}.containerd.runtimes.runc.options": {
            "SystemdCgroup": False,  # cgroupfs: no systemd, v1 hierarchies
            "BinaryName": RUNC,
            "Root": paths.containerd_state / "runc",
        },
        f"{cri}.cni": {
            "bin_dir": CNI_BIN_DIR,
            "conf_dir": paths.cni_conf_dir,
            "max_conf_num": 1,
        },
    }
    lines: list[str] = []
    for section, values in sections.items():
        if section:
            lines.append(f"\n[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def cni_conflist(paths: NodePaths, settings: NodeSettings) -> str:
    """bridge (the project's, pods' gateway = node address, no masquerade) + portmap + loopback."""
    config = {
        "cniVersion": "0.4.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": settings.node_bridge,
                "isGateway": True,
                "ipMasq": False,  # nothing leaves the machine: no NAT to the outside
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(paths.cni_ipam_dir),
                    "ranges": [[{"subnet": settings.node_subnet, "gateway": settings.node_ip}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "loopback"},
        ],
    }
    return json.dumps(config, indent=2) + "\n"


def kubelet_config(paths: NodePaths, settings: NodeSettings, *, ca_cert: Path) -> str:
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": settings.node_ip,
        "port": settings.kubelet_port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": settings.kubelet_healthz_port,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca_cert)},
        },
        "authorization": {"mode": "Webhook"},
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": CGROUP_ROOT,
        "cgroupsPerQOS": True,
        "failCgroupV1": False,  # this kernel mounts v1 hierarchies (hybrid)
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{paths.containerd_socket}",
        "imageServiceEndpoint": f"unix://{paths.containerd_socket}",
        "podLogsDir": str(paths.pod_logs),
        "volumePluginDir": str(paths.kubelet_root / "volume-plugins"),
        # Pods ask the node's CoreDNS (operators/local/node/dns.py, ADR 0057) and nothing else.
        "clusterDNS": [settings.node_ip],
        "clusterDomain": settings.cluster_domain,
        "resolvConf": "",  # no upstream: a name outside the cluster's zone is not resolved
        "imageGCHighThresholdPercent": 100,  # images are imported, never pulled: keep them
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "maxPods": 60,
        "serializeImagePulls": False,
        "protectKernelDefaults": False,
        "makeIPTablesUtilChains": True,
        "registerNode": True,
        "staticPodPath": "",
        "localStorageCapacityIsolation": True,
    }
    return yaml.safe_dump(config, sort_keys=False)


def kube_proxy_config(settings: NodeSettings, *, kubeconfig: Path) -> str:
    """iptables mode, touching no conntrack sysctl and no route_localnet (both host-wide)."""
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "hostnameOverride": NODE_NAME,
        "bindAddress": settings.node_ip,
        "healthzBindAddress": f"127.0.0.1:{settings.kube_proxy_healthz_port}",
        "metricsBindAddress": f"127.0.0.1:{settings.kube_proxy_metrics_port}",
        "mode": "iptables",
        "clusterCIDR": settings.node_subnet,
        "nodePortAddresses": [settings.node_subnet],
        "iptables": {"localhostNodePorts": False, "masqueradeAll": False},
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
    }
    return yaml.safe_dump(config, sort_keys=False)

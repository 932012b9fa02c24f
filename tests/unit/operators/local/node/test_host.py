"""`leftovers` names every host change a teardown failed to undo, and nothing else."""

from __future__ import annotations

from operators.local.node.host import HostState, leftovers

BEFORE = HostState(
    sysctls={"net/ipv4/ip_forward": "0", "vm/overcommit_memory": "0"},
    paths=["/run/netns"],
    chains=["iptables/filter/KUBE-OTHER"],
    mounts=[],
    cgroups=[],
    links=[],
)


def test_an_unchanged_host_has_no_leftovers() -> None:
    assert leftovers(BEFORE, BEFORE) == []


def test_every_kind_of_change_is_named() -> None:
    after = HostState(
        sysctls={"net/ipv4/ip_forward": "1", "vm/overcommit_memory": "0"},
        paths=["/run/netns", "/var/log/containers"],
        chains=["iptables/filter/KUBE-OTHER", "iptables/filter/KUBE-FIREWALL"],
        mounts=["/w/.local/node/kubelet"],
        cgroups=["/sys/fs/cgroup/memory/conveyor-node"],
        links=["cnv-node0"],
    )
    assert leftovers(BEFORE, after) == [
        "sysctl net/ipv4/ip_forward: 0 → 1",
        "paths: /var/log/containers",
        "chains: iptables/filter/KUBE-FIREWALL",
        "mounts: /w/.local/node/kubelet",
        "cgroups: /sys/fs/cgroup/memory/conveyor-node",
        "links: cnv-node0",
    ]

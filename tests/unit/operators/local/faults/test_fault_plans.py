"""The pure parts of the fault pieces: names and ports, iptables rules, the Go proxy, the build."""

from __future__ import annotations

import pytest

from operators.local.faults.addresses import PROXIED, chaos_addresses, proxy_address, proxy_port
from operators.local.faults.namespaces import partition_rules
from operators.local.faults.toxiproxy_build import go_proxy, tools_go, wrapper_go_mod
from operators.local.settings import LocalStackSettings


def test_names_carry_the_subnet_and_fit_the_kernels_interface_limit() -> None:
    a = chaos_addresses(LocalStackSettings(chaos_subnet="10.222.22.0/24"))
    assert (a.bridge, a.host_veth, a.namespace) == ("cvbr222-22", "cvh222-22", "conveyor-222-22")
    assert (a.host_ip, a.ns_ip, a.prefix_len) == ("10.222.22.1", "10.222.22.2", 24)
    longest = chaos_addresses(LocalStackSettings(chaos_subnet="10.255.255.0/24"))
    assert all(len(n) <= 15 for n in (longest.bridge, longest.host_veth, longest.ns_veth))


def test_a_subnet_outside_the_private_10_range_is_refused() -> None:
    with pytest.raises(ValueError, match="chaos_subnet"):
        LocalStackSettings(chaos_subnet="192.168.1.0/24")


def test_proxies_listen_on_the_bridge_after_the_api_port() -> None:
    settings = LocalStackSettings(toxiproxy_port=22474, chaos_subnet="10.222.22.0/24")
    assert [proxy_port(settings, s) for s in PROXIED] == [22475, 22476, 22477]
    assert proxy_address(settings, "kafka") == "10.222.22.1:22475"


def test_partition_rules_cut_each_port_by_mode() -> None:
    drop = partition_rules("10.0.0.1", [5, 3], "drop", 1.0)
    assert [r[5] for r in drop] == ["3", "5"]
    assert drop[0][-2:] == ["-j", "DROP"]
    assert partition_rules("10.0.0.1", [3], "reject", 1.0)[0][-4:] == [
        "-j", "REJECT", "--reject-with", "tcp-reset",
    ]  # fmt: skip
    loss = partition_rules("10.0.0.1", [3], "loss", 0.25)[0]
    assert loss[loss.index("--probability") + 1] == "0.25"
    with pytest.raises(ValueError, match="probability"):
        partition_rules("10.0.0.1", [3], "loss", 0)


@pytest.mark.parametrize(
    ("configured", "used"),
    [
        (None, "https://proxy.golang.org"),
        ("https://proxy.golang.org,direct", "https://proxy.golang.org"),
        ("https://a.example|https://b.example,direct", "https://a.example,https://b.example"),
        ("direct", "https://proxy.golang.org"),
    ],
)
def test_the_build_asks_the_module_proxy_alone(configured: str | None, used: str) -> None:
    assert go_proxy(configured) == used


def test_the_wrapper_module_pins_the_release_and_both_commands() -> None:
    assert "require github.com/Shopify/toxiproxy/v2 v2.12.0" in wrapper_go_mod("v2.12.0")
    assert '"github.com/Shopify/toxiproxy/v2/cmd/server"' in tools_go()
    assert '"github.com/Shopify/toxiproxy/v2/cmd/cli"' in tools_go()

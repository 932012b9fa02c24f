"""Whose address a per-client limit counts: the peer's, unless a trusted proxy names another."""

from __future__ import annotations

import pytest

from workloads.shared.forwarded import client_address, networks

GATEWAY = networks("127.0.0.1/32")


def test_with_no_trusted_proxy_the_forwarded_header_is_ignored() -> None:
    assert client_address("127.0.0.1", "203.0.113.9", trusted=()) == "127.0.0.1"


def test_an_untrusted_peer_cannot_name_another_client() -> None:
    assert client_address("127.0.0.9", "203.0.113.9", trusted=GATEWAY) == "127.0.0.9"


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address("127.0.0.1", "127.12.0.7", trusted=GATEWAY) == "127.12.0.7"


def test_what_a_client_wrote_left_of_the_proxy_s_entry_is_never_believed() -> None:
    spoofed = "198.51.100.1, 127.12.0.7"
    assert client_address("127.0.0.1", spoofed, trusted=GATEWAY) == "127.12.0.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    proxies = networks("127.0.0.1/32, 10.0.0.0/8")
    assert client_address("127.0.0.1", "203.0.113.9, 10.1.2.3", trusted=proxies) == "203.0.113.9"


def test_garbage_stops_the_walk_at_the_last_address_a_proxy_put_there() -> None:
    assert client_address("127.0.0.1", "not-an-ip", trusted=GATEWAY) == "127.0.0.1"
    assert client_address("127.0.0.1", "", trusted=GATEWAY) == "127.0.0.1"


def test_no_peer_is_unknown() -> None:
    assert client_address(None, None, trusted=GATEWAY) == "unknown"


def test_a_malformed_network_setting_is_refused() -> None:
    assert networks("") == ()
    with pytest.raises(ValueError, match="does not appear to be"):
        networks("127.0.0.1/33")

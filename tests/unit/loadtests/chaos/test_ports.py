"""A stack port the kernel may hand out as a client's source port is found, a reserved one not."""

from __future__ import annotations

from loadtests.chaos.ports import exposed, parse_ranges

EPHEMERAL = (32768, 60999)


def test_the_kernel_files_parse_into_ranges() -> None:
    assert parse_ranges("32768\t60999\n") == [EPHEMERAL]
    assert parse_ranges("33000-33999,40000\n") == [(33000, 33999), (40000, 40000)]
    assert parse_ranges("\n") == []


def test_ports_below_the_ephemeral_range_are_safe() -> None:
    assert exposed([15432, 16379, 18001, 19092], EPHEMERAL, []) == []


def test_a_port_in_the_ephemeral_range_is_exposed_unless_reserved() -> None:
    ports = [33092, 33432, 31092]
    assert exposed(ports, EPHEMERAL, []) == [33092, 33432]
    assert exposed(ports, EPHEMERAL, [(33000, 33999)]) == []
    assert exposed(ports, EPHEMERAL, [(33092, 33092)]) == [33432]

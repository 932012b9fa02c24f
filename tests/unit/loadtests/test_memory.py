"""PSS from smaps_rollup, and growth per hour between two snapshots."""

from __future__ import annotations

import pytest

from loadtests.memory import growth_mib_per_hour, parse_pss_kib

ROLLUP = """55d4c8a00000-7ffd1a5f4000 ---p 00000000 00:00 0    [rollup]
Rss:              123456 kB
Pss:               65432 kB
Pss_Anon:          40000 kB
"""


def test_the_pss_line_is_read_in_kib() -> None:
    assert parse_pss_kib(ROLLUP) == 65432


def test_a_rollup_without_pss_is_refused() -> None:
    with pytest.raises(ValueError, match="Pss"):
        parse_pss_kib("Rss: 1 kB\n")


def test_growth_is_scaled_to_an_hour() -> None:
    first = {"order-0": 100 * 2**20}
    last = {"order-0": 110 * 2**20}
    assert growth_mib_per_hour(first, last, 1800) == {"order-0": 20.0}

from __future__ import annotations

import pytest

from loadtests.cpu import ProcStat, parse_stat, per_thousand, tree_ticks

# Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
#         utime stime cutime cstime ...
LINE = "4242 (postgres: order ) idle) S 100 4242 4242 0 -1 4194560 500 0 0 0 37 11 5 2 20 0 1"


def test_parse_stat_reads_ppid_and_cpu_fields_even_when_the_name_holds_spaces_and_parens() -> None:
    assert parse_stat(LINE) == ProcStat(pid=4242, ppid=100, utime=37, stime=11, cutime=5, cstime=2)


def test_parse_stat_rejects_text_that_is_not_a_stat_line() -> None:
    with pytest.raises(ValueError, match="not a /proc"):
        parse_stat("garbage")


def _stat(pid: int, ppid: int, own: int, reaped: int = 0) -> ProcStat:
    return ProcStat(pid=pid, ppid=ppid, utime=own, stime=0, cutime=reaped, cstime=0)


def test_a_tree_counts_the_root_its_reaped_children_and_every_live_descendant() -> None:
    table = {
        1: _stat(1, 0, 1000),
        100: _stat(100, 1, 10, reaped=7),  # postmaster, with backends that already exited
        101: _stat(101, 100, 20),
        102: _stat(102, 100, 30, reaped=1),
        103: _stat(103, 102, 4),
        200: _stat(200, 1, 500),  # an unrelated process
    }
    assert tree_ticks(100, table) == 10 + 7 + 20 + 30 + 1 + 4


def test_a_vanished_root_counts_as_zero() -> None:
    assert tree_ticks(9, {1: _stat(1, 0, 5)}) == 0


def test_per_thousand_is_the_difference_scaled_to_a_thousand_accepted_orders() -> None:
    before = {"kafka": 10.0, "driver": 1.0}
    after = {"kafka": 16.0, "driver": 2.5, "order-0": 3.0}
    assert per_thousand(before, after, 2000) == {"kafka": 3.0, "driver": 0.75, "order-0": 1.5}


def test_per_thousand_with_no_accepted_orders_is_empty() -> None:
    assert per_thousand({"kafka": 1.0}, {"kafka": 2.0}, 0) == {}

"""Statements per order (loadtests/run.py): the run's difference, per database and in all."""

from __future__ import annotations

from loadtests.run import per_order


def test_each_database_counts_only_what_ran_during_the_run() -> None:
    before = {"order": 100, "payment": 40}
    after = {"order": 350, "payment": 90, "inventory": 30}
    assert per_order(before, after, 10) == {
        "inventory": 3.0,
        "order": 25.0,
        "payment": 5.0,
        "all": 33.0,
    }


def test_a_database_that_ran_nothing_is_left_out_but_all_stays() -> None:
    assert per_order({"order": 5, "shipping": 7}, {"order": 25, "shipping": 7}, 4) == {
        "order": 5.0,
        "all": 5.0,
    }


def test_no_accepted_order_gives_no_figure() -> None:
    assert per_order({}, {"order": 9}, 0) == {}

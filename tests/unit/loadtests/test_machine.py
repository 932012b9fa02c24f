from __future__ import annotations

from loadtests.machine import cpu_model, memory_gib

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz
processor\t: 1
model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz
"""


def test_cpu_model_is_the_first_model_name() -> None:
    assert cpu_model(CPUINFO) == "Intel(R) Xeon(R) CPU @ 2.20GHz"


def test_cpu_model_is_none_without_a_model_name() -> None:
    assert cpu_model("processor\t: 0\n") is None


def test_memory_is_memtotal_in_gib() -> None:
    assert memory_gib("MemTotal:       25165824 kB\nMemFree: 1 kB\n") == 24.0
    assert memory_gib("") is None

"""Measured benchmark figures live in docs/benchmarks.md only; other documents link to it.

Issue #11: the README once quoted operator and saga figures that differed from the benchmarks
document. A figure here means a measured rate of sagas or a percentile with its unit; a plan
("100 orders/s offered") is not one.
"""

from __future__ import annotations

import re

import pytest

from operators.paths import REPO_ROOT

LINKING_DOCUMENTS = ["README.md", "operators/README.md", "loadtests/README.md"]
MEASURED = re.compile(
    r"\d[\d,.]*\s*(?:completed\s+)?sagas/s"  # a saga throughput
    r"|\bp(?:50|95|99)\s*(?:of\s+\d+\s*)?[=:]?\s*\d[\d,.]*\s*(?:ms|s)\b"  # a percentile
)


@pytest.mark.parametrize("document", LINKING_DOCUMENTS)
def test_document_quotes_no_measured_figure_but_links_the_benchmarks(document: str) -> None:
    text = (REPO_ROOT / document).read_text()

    quoted = [m.group(0) for m in MEASURED.finditer(text)]

    assert quoted == [], f"{document} quotes {quoted}: state them in docs/benchmarks.md and link it"
    if document == "README.md":
        assert "docs/benchmarks.md" in text

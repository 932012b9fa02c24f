"""What clients send is refused at the edge, by name, when PostgreSQL could not store it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from workloads.shared.inputs import ProductId, Text


class _Sent(BaseModel):
    note: Text
    product_id: ProductId


@pytest.mark.parametrize("note", ["a\x00b", "\x00", "trailing\x00"])
def test_text_with_a_nul_character_is_refused_naming_the_field(note: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Sent(note=note, product_id="sku-1")
    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("note",), "string_nul")
    assert "NUL" in error["msg"]


@pytest.mark.parametrize("note", ["", "plain", "ünïcødé ✓", "tab\tand\nnewline"])
def test_any_other_text_is_accepted(note: str) -> None:
    assert _Sent(note=note, product_id="sku-1").note == note


@pytest.mark.parametrize("product_id", ["", "sku\x00", "a b", "x" * 65, "sku/1", "\ufffd"])
def test_a_product_id_outside_its_one_shape_is_refused(product_id: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Sent(note="n", product_id=product_id)
    assert refused.value.errors()[0]["loc"] == ("product_id",)

"""Constrained types for what clients send, checked at the HTTP edge before any handler runs.

PostgreSQL cannot store U+0000 in `text`: a string carrying it used to travel to the database and
fail there as a 500. Every string a request model or a path parameter accepts is one of these
types instead, so such input is a 422 naming the field (rendered by `problems.py`) and never
reaches a handler. Ids have one shape each, defined here once: an order id is the UUID the order
service issued, a product id what the inventory admin may create.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Path
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

PRODUCT_ID = r"^[A-Za-z0-9._-]{1,64}$"


def _without_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "Text must not contain NUL characters (U+0000)")
    return value


# Free text: any Unicode string but one carrying NUL (pydantic already refuses lone surrogates).
Text = Annotated[str, AfterValidator(_without_nul)]

# A product id in a request body (the same shape the inventory admin may create).
ProductId = Annotated[str, StringConstraints(pattern=PRODUCT_ID)]

# Path parameters: a malformed id is a 422 naming `path.<parameter>`, never a database lookup.
OrderIdInPath = Annotated[UUID, Path(description="The order's id, as the order service issued it.")]
ProductIdInPath = Annotated[str, Path(pattern=PRODUCT_ID, description="The product's id.")]

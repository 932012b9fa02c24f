"""The flagd flags file as typed data: validation and the one edit the CLI makes. Pure, no I/O.

The file is flagd's JSON format (https://flagd.dev/reference/flag-definitions/): `flags` maps a
key to `state`, `variants`, `defaultVariant` and an optional JSON Logic `targeting` rule
(`fractional` for gradual rollouts). The same model validates `spec.flags` of an OrderPipeline,
so a pipeline, `conveyor flags set` and the file a service reads agree on what is valid: the
default variant exists, every variant of a flag has one type, and a known flag's variants are in
its range (names.py). A file that fails here is never written; a file that is damaged later is
refused by the provider, which keeps the last good flags.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from workloads.shared.flags.names import FLAG_KEY, KNOWN

FLAGD_SCHEMA = "https://flagd.dev/schema/v0/flags.json"
SET_VARIANT = "set"  # the variant `conveyor flags set` writes a new value into

FlagKey = Annotated[str, StringConstraints(pattern=FLAG_KEY, max_length=128)]
VariantName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)]
Value = bool | int | float | str


def _kind(value: Value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, int | float) else "string"


class Flag(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    variants: dict[VariantName, Value] = Field(min_length=1, max_length=32)
    default_variant: VariantName = Field(alias="defaultVariant")
    targeting: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Flag:
        if self.default_variant not in self.variants:
            raise ValueError(
                f"defaultVariant {self.default_variant!r} is not one of {sorted(self.variants)}"
            )
        if len({_kind(v) for v in self.variants.values()}) > 1:
            raise ValueError("every variant of a flag must have the same type")
        return self

    def checked(self, key: str) -> Flag:
        """This flag with a known flag's variants cast to its type and range-checked."""
        known = KNOWN.get(key)
        if known is None:
            return self
        try:
            variants = {name: known.check(value) for name, value in self.variants.items()}
        except ValueError as exc:
            raise ValueError(f"flags.{key}: {exc}") from exc
        return self.model_copy(update={"variants": variants})


class FlagsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(default=FLAGD_SCHEMA, alias="$schema")
    flags: dict[FlagKey, Flag] = Field(default_factory=dict, max_length=256)

    @model_validator(mode="after")
    def _known_in_range(self) -> FlagsDocument:
        self.flags = {key: flag.checked(key) for key, flag in sorted(self.flags.items())}
        return self

    def to_json(self) -> str:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str) -> FlagsDocument:
        return cls.model_validate_json(text)

    def with_value(self, key: str, raw: str) -> FlagsDocument:
        """The document with flag `key` answering `raw` by default (ValueError naming the fix).

        `raw` is a variant's name (that variant becomes the default) or a JSON value of the
        flag's type (kept as the variant `set`). A known flag the file lacks is added. The
        flag's targeting rule is dropped: after `set`, the flag answers this value for everyone
        (a rollout at 100 % or 0 %); the pipeline's rule returns with the next `up`.
        """
        flag = self.flags.get(key)
        if flag is None and key not in KNOWN:
            known = ", ".join(sorted(set(KNOWN) | set(self.flags)))
            raise ValueError(f"no flag {key!r} in the file or the catalogue; known: {known}")
        if flag is not None and raw in flag.variants:
            changed = flag.model_copy(update={"default_variant": raw, "targeting": None})
        else:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw  # a bare word is a string value
            if flag is None:
                changed = Flag(variants={SET_VARIANT: value}, defaultVariant=SET_VARIANT)
            else:
                variants = {**flag.variants, SET_VARIANT: value}
                changed = Flag(state="ENABLED", variants=variants, defaultVariant=SET_VARIANT)
        return FlagsDocument.model_validate(
            {"$schema": self.schema_, "flags": {**self.flags, key: changed}}
        )

    def defaults(self) -> dict[str, Value]:
        """Each flag's default value (what a context no rule matches gets), by key."""
        return {key: flag.variants[flag.default_variant] for key, flag in self.flags.items()}

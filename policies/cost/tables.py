"""The two inputs besides the graph: the price table and the usage assumptions, validated.

Both are parsed strictly (unknown keys are errors) so a typo in a YAML file fails loudly instead
of pricing something at a default. Lookups that miss raise `PricingError` naming what is missing
and where it should be added, never a silent zero.
"""

from __future__ import annotations

import fnmatch
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PricingError(LookupError):
    """Something in the graph has no price or no assumption: name it, never price it at $0."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instance(_Strict):
    hour: float = Field(gt=0)
    vcpu: int = Field(gt=0)
    memory_gib: float = Field(gt=0)


class Section(_Strict):
    source: str
    instances: dict[str, Instance] = {}
    rates: dict[str, float] = {}

    @field_validator("source")
    @classmethod
    def _is_a_page(cls, value: str) -> str:
        if not value.startswith("https://aws.amazon.com/"):
            raise ValueError(f"source {value!r} is not an AWS pricing page")
        return value


class Price(_Strict):
    """One unit price and the page it was transcribed from."""

    usd: float
    source: str


class PriceTable(_Strict):
    as_of: date
    region: str
    currency: str
    basis: str
    sections: dict[str, Section]
    free: dict[str, str]

    def rate(self, section: str, key: str) -> Price:
        found = self._section(section).rates.get(key)
        if found is None:
            raise PricingError(f"prices.yaml has no rate `{section}.rates.{key}`")
        return Price(usd=found, source=self.sections[section].source)

    def instance(self, section: str, instance_class: str, *, resource: str) -> Instance:
        found = self._section(section).instances.get(instance_class)
        if found is None:
            raise PricingError(
                f"unknown instance class {instance_class!r} on {resource}: add it to "
                f"prices.yaml `{section}.instances` (with its source page's price)"
            )
        return found

    def source(self, section: str) -> str:
        return self._section(section).source

    def free_reason(self, type_token: str) -> str | None:
        """Why a type costs nothing, if the table lists it (exactly or by a `prefix*` rule)."""
        if type_token in self.free:
            return self.free[type_token]
        return next(
            (
                why
                for pattern, why in self.free.items()
                if "*" in pattern and fnmatch.fnmatchcase(type_token, pattern)
            ),
            None,
        )

    def _section(self, section: str) -> Section:
        if section not in self.sections:
            raise PricingError(f"prices.yaml has no section `{section}`")
        return self.sections[section]


class Growth(_Strict):
    """A monthly quantity: a fixed part plus a part proportional to orders."""

    fixed: float = Field(ge=0)
    per_1000_orders: float = Field(ge=0)

    def at(self, orders_per_month: float) -> float:
        return self.fixed + self.per_1000_orders * orders_per_month / 1000


class Usage(_Strict):
    """One environment's usage assumptions (defaults merged with the env's overrides)."""

    orders_per_day: float = Field(ge=0)
    nat_gb: Growth
    interface_endpoint_gb: Growth
    internet_out_gb: Growth
    kafka_client_fanout: float = Field(ge=0)
    log_ingest_gb: dict[str, Growth]
    kms_requests: Growth
    secrets_api_calls_per_secret: float = Field(ge=0)
    load_balancer_lcu: float = Field(ge=0)
    bucket_gb: float = Field(ge=0)


class CpuPerThousandOrders(_Strict):
    """CPU seconds one tier spends per 1,000 orders (`make bench`: cpu_seconds_per_1000_orders)."""

    app: float = Field(gt=0)  # the four services together
    database: float = Field(gt=0)  # PostgreSQL
    streaming: float = Field(gt=0)  # Kafka


class Benchmark(_Strict):
    source: str
    cpu_seconds_per_1000_orders: CpuPerThousandOrders
    events_per_order: float = Field(gt=0)


class Load(_Strict):
    orders_per_user_per_month: float = Field(gt=0)
    peak_to_average: float = Field(ge=1)
    target_utilization: float = Field(gt=0, le=1)
    event_bytes: float = Field(gt=0)
    replication_factor: int = Field(ge=1)
    system_vcpu: float = Field(ge=0)
    db_kb_per_order: float = Field(ge=0)
    db_retention_months: float = Field(ge=0)
    kafka_retention_days: float = Field(ge=0)


class ReferenceCase(_Strict):
    orders_per_day: float
    brief_monthly_usd: float
    msk_instance: str
    msk_brokers: int
    msk_volume_gb: float
    rds_class: str
    rds_multi_az: bool
    rds_storage_gb: float
    cache_node_type: str
    cache_nodes: int


class AssumptionFile(_Strict):
    as_of: date
    hours_per_month: float = Field(gt=0)
    benchmark: Benchmark
    load: Load
    reference_case: ReferenceCase
    defaults: dict[str, Any]
    envs: dict[str, dict[str, Any]]

    @property
    def days_per_month(self) -> float:
        return self.hours_per_month / 24

    def usage(self, env: str, *, orders_per_day: float | None = None) -> Usage:
        """The env's usage, optionally at another load than the env's own."""
        if env not in self.envs:
            raise PricingError(f"assumptions.yaml has no `envs.{env}`")
        merged = {**self.defaults, **self.envs[env]}
        if orders_per_day is not None:
            merged["orders_per_day"] = orders_per_day
        return Usage.model_validate(merged)

    def for_env(self, env: str, *, orders_per_day: float | None = None) -> EnvAssumptions:
        return EnvAssumptions(
            env=env,
            hours_per_month=self.hours_per_month,
            days_per_month=self.days_per_month,
            usage=self.usage(env, orders_per_day=orders_per_day),
            events_per_order=self.benchmark.events_per_order,
            event_bytes=self.load.event_bytes,
        )


class EnvAssumptions(_Strict):
    """Everything `model.price` needs besides the graph and the table, for one env and load."""

    env: str
    hours_per_month: float
    days_per_month: float
    usage: Usage
    events_per_order: float
    event_bytes: float

    @property
    def orders_per_month(self) -> float:
        return self.usage.orders_per_day * self.days_per_month


def parse_prices(data: Any) -> PriceTable:
    return PriceTable.model_validate(data)


def parse_assumptions(data: Any) -> AssumptionFile:
    return AssumptionFile.model_validate(data)

"""The route table: which workload answers a public path, and who may call it. Pure data.

Which workload serves a path is the catalogue's fact (`Workload.serves`, the longest matching
prefix wins), so a new service is routed by declaring its prefixes there. Who may call what is
the gateway's own table below, one `Rule` per method and path template: anything not listed is
refused with a 404 (deny by default), so a service's new route is public only once it is listed.

Access: PUBLIC needs no token; CUSTOMER needs a verified token of any role; ADMIN needs the
`admin` role. Ownership narrows CUSTOMER rules to the caller's own data: the order named in the
path or query (checked against the order's `customer_id`), or the customer named in the path or
body. Admins pass every ownership check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from workloads.catalogue import WORKLOADS


class Access(StrEnum):
    PUBLIC = "public"
    CUSTOMER = "customer"
    ADMIN = "admin"


class Owner(StrEnum):
    NONE = "none"
    ORDER_IN_PATH = "order_in_path"  # the `order_id` path parameter
    ORDER_IN_QUERY = "order_in_query"  # the `order_id` query parameter
    CUSTOMER_IN_PATH = "customer_in_path"  # the `customer_id` path parameter
    CUSTOMER_IN_BODY = "customer_in_body"  # the JSON body's `customer_id`


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    template: str  # `{name}` matches one segment; a trailing `/**` anything below
    access: Access
    owner: Owner = Owner.NONE
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.escape(self.template).replace(r"/\*\*", "(?:/.*)?")
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        object.__setattr__(self, "pattern", re.compile(regex))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method not in self.methods:
            return None
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()


def _rule(methods: str, template: str, access: Access, owner: Owner = Owner.NONE) -> Rule:
    return Rule(frozenset(methods.split()), template, access, owner)


P, C, A = Access.PUBLIC, Access.CUSTOMER, Access.ADMIN
RULES: tuple[Rule, ...] = (
    # browse: anyone; the catalog's and stock's writes: admins only
    _rule("GET", "/v1/products", P),
    _rule("GET", "/v1/products/{product_id}", P),
    _rule("PUT", "/v1/products/{product_id}", A),
    _rule("GET", "/v1/featured", P),
    _rule("GET", "/v1/categories", P),
    _rule("GET", "/v1/inventory/{product_id}", P),
    _rule("PUT", "/v1/admin/inventory/{product_id}", A),
    # identity: logging in needs no token, by definition
    _rule("GET POST", "/v1/auth/**", P),
    _rule("POST", "/v1/users", P),  # registration: identity itself refuses `role: admin`
    _rule("GET", "/.well-known/jwks.json", P),
    # a customer's own orders and everything about them
    _rule("POST", "/v1/orders", C, Owner.CUSTOMER_IN_BODY),
    _rule("GET", "/v1/orders/{order_id}", C, Owner.ORDER_IN_PATH),
    _rule("GET", "/v1/orders/{order_id}/events", C, Owner.ORDER_IN_PATH),
    _rule("POST", "/v1/orders/{order_id}/cancel", C, Owner.ORDER_IN_PATH),
    _rule("GET", "/v1/customers/{customer_id}/orders", C, Owner.CUSTOMER_IN_PATH),
    _rule("GET", "/v1/payments/ledger/summary", A),
    _rule("GET", "/v1/payments/{order_id}", C, Owner.ORDER_IN_PATH),
    _rule("GET", "/v1/notifications/{order_id}", C, Owner.ORDER_IN_PATH),
    _rule("GET", "/v1/shipments", C, Owner.ORDER_IN_QUERY),
    _rule("GET", "/v1/shipments/{shipment_id}", A),  # customers ask by their order id
)

_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((prefix, w.name) for w in WORKLOADS for prefix in w.serves),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)


def upstream_for(path: str) -> str | None:
    """The workload whose declared prefix is the longest one `path` starts with."""
    for prefix, workload in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return workload
    return None


@dataclass(frozen=True)
class Route:
    workload: str
    rule: Rule
    params: dict[str, str]


def route(method: str, path: str) -> Route | None:
    """The first rule admitting `method path`, and the workload serving it; None: refused."""
    workload = upstream_for(path)
    if workload is None:
        return None
    for rule in RULES:
        params = rule.match(method, path)
        if params is not None:
            return Route(workload, rule, params)
    return None

"""The fake provider's durable ledger: charges, refunds and the idempotency keys that made them.

One SQLite file in WAL mode with `synchronous=NORMAL`: a commit is in the WAL (the OS has it)
before the answer is sent, so an answered request survives a crash of the provider process — the
failure the tests inject. Only an OS crash or power loss could lose the last answers, which a
fake on a laptop need not survive; fsync per request (`FULL`) serialised every call on the disk
and capped the provider below the saga's rate on a busy machine (docs/adr/0030).
Each request is one `BEGIN IMMEDIATE` transaction that looks its key up and, for a new key,
makes the effect and stores the answer with it: an effect and the answer that replays it commit
together or not at all. The provider runs one event loop and calls SQLite from
it, so requests are serialised; two requests with one key never both make an effect.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key          TEXT PRIMARY KEY,
    operation    TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    answer       TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS charges (
    charge_id       TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL CHECK (amount_cents > 0),
    status          TEXT NOT NULL CHECK (status IN ('succeeded', 'declined')),
    decline_reason  TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS charges_by_order ON charges (order_id);
CREATE TABLE IF NOT EXISTS refunds (
    refund_id     TEXT PRIMARY KEY,
    charge_id     TEXT NOT NULL REFERENCES charges (charge_id),
    order_id      TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS refunds_by_order ON refunds (order_id);
"""


class KeyReusedError(Exception):
    """The idempotency key was used before for another request (another body or operation)."""


class RefusedError(Exception):
    """The request is well formed but cannot be done (unknown charge, refund too large)."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool


Effect = Callable[[sqlite3.Connection], tuple[int, dict[str, Any]]]


def fingerprint(operation: str, body: dict[str, Any]) -> str:
    """What makes two requests "the same" for one key: the operation and the canonical body."""
    canonical = json.dumps({"operation": operation, "body": body}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Ledger:
    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def once(self, key: str, operation: str, body: dict[str, Any], effect: Effect) -> Answer:
        """The stored answer for `key`, or the effect's answer, made and stored in one commit."""
        print_ = fingerprint(operation, body)
        with self._immediate() as db:
            stored = db.execute(
                "SELECT operation, fingerprint, status_code, answer FROM idempotency_keys"
                " WHERE key = ?",
                (key,),
            ).fetchone()
            if stored is None:
                status_code, answer = effect(db)
                db.execute(
                    "INSERT INTO idempotency_keys"
                    " (key, operation, fingerprint, status_code, answer) VALUES (?, ?, ?, ?, ?)",
                    (key, operation, print_, status_code, json.dumps(answer)),
                )
                return Answer(status_code, answer, replayed=False)
        if (stored["operation"], stored["fingerprint"]) != (operation, print_):
            raise KeyReusedError(key)
        return Answer(stored["status_code"], json.loads(stored["answer"]), replayed=True)

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @staticmethod
    def make_charge(order_id: str, amount_cents: int, decline_reason: str | None) -> Effect:
        def effect(db: sqlite3.Connection) -> tuple[int, dict[str, Any]]:
            charge_id = f"ch_{uuid.uuid4().hex}"
            status = "declined" if decline_reason else "succeeded"
            db.execute(
                "INSERT INTO charges (charge_id, order_id, amount_cents, status, decline_reason)"
                " VALUES (?, ?, ?, ?, ?)",
                (charge_id, order_id, amount_cents, status, decline_reason),
            )
            return 201, {
                "id": charge_id,
                "order_id": order_id,
                "amount_cents": amount_cents,
                "status": status,
                "decline_reason": decline_reason,
            }

        return effect

    @staticmethod
    def make_refund(charge_id: str, amount_cents: int) -> Effect:
        def effect(db: sqlite3.Connection) -> tuple[int, dict[str, Any]]:
            charge = db.execute(
                "SELECT order_id, amount_cents, status FROM charges WHERE charge_id = ?",
                (charge_id,),
            ).fetchone()
            if charge is None:
                raise RefusedError(404, f"no charge {charge_id}")
            if charge["status"] != "succeeded":
                raise RefusedError(409, f"charge {charge_id} was {charge['status']}")
            refunded = db.execute(
                "SELECT coalesce(sum(amount_cents), 0) FROM refunds WHERE charge_id = ?",
                (charge_id,),
            ).fetchone()[0]
            if refunded + amount_cents > charge["amount_cents"]:
                raise RefusedError(
                    409,
                    f"refunding {amount_cents} would exceed charge {charge_id}: "
                    f"{charge['amount_cents']} charged, {refunded} refunded",
                )
            refund_id = f"re_{uuid.uuid4().hex}"
            db.execute(
                "INSERT INTO refunds (refund_id, charge_id, order_id, amount_cents)"
                " VALUES (?, ?, ?, ?)",
                (refund_id, charge_id, charge["order_id"], amount_cents),
            )
            return 201, {
                "id": refund_id,
                "charge_id": charge_id,
                "order_id": charge["order_id"],
                "amount_cents": amount_cents,
            }

        return effect

    def charges_of(self, order_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT charge_id AS id, order_id, amount_cents, status, decline_reason, created_at"
            " FROM charges WHERE order_id = ? ORDER BY created_at, charge_id",
            (order_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def first_charge_at(self) -> str | None:
        """When the oldest charge (of any outcome) was made: where this ledger's history begins."""
        first: str | None = self._db.execute("SELECT min(created_at) FROM charges").fetchone()[0]
        return first

    def by_order(self, order_ids: list[str] | None = None) -> dict[str, dict[str, int]]:
        """Per order: succeeded charges and declines (count, cents), refunds (count, cents)."""
        where = ""
        args: tuple[str, ...] = ()
        if order_ids:
            where = f"WHERE order_id IN ({','.join('?' * len(order_ids))})"
            args = tuple(order_ids)
        summary: dict[str, dict[str, int]] = {}

        def entry(order_id: str) -> dict[str, int]:
            zero = {"charges": 0, "charged_cents": 0, "declines": 0}
            return summary.setdefault(order_id, {**zero, "refunds": 0, "refunded_cents": 0})

        for row in self._db.execute(
            "SELECT order_id, sum(status = 'succeeded') AS charges,"  # noqa: S608 - placeholders
            " coalesce(sum(CASE WHEN status = 'succeeded' THEN amount_cents END), 0) AS cents,"
            f" sum(status = 'declined') AS declines FROM charges {where} GROUP BY order_id",
            args,
        ):
            item = entry(row["order_id"])
            item.update(charges=row["charges"], charged_cents=row["cents"])
            item["declines"] = row["declines"]
        for row in self._db.execute(
            "SELECT order_id, count(*) AS refunds, sum(amount_cents) AS cents"  # noqa: S608
            f" FROM refunds {where} GROUP BY order_id",
            args,
        ):
            entry(row["order_id"]).update(refunds=row["refunds"], refunded_cents=row["cents"])
        return summary

"""The Kafka connection options the operator reads lag with: the workloads' own, per pipeline.

`spec.kafka` names the brokers and, on MSK, a Secret (`authSecretRef`, keys `username` and
`password`) in the pipeline's namespace. Every field is passed explicitly, so nothing from the
operator's own environment (a developer's KAFKA_SASL_*) is ever sent to the brokers a pipeline
names. Failure behaviour: a Secret that cannot be read or lacks a key is a retryable kopf error
(30 s), naming the Secret and the missing keys.
"""

from __future__ import annotations

from typing import Any

import kopf
from lightkube import ApiError
from pydantic import SecretStr

from operators.controller.children import Children
from operators.pipeline.spec import KafkaSpec
from workloads.shared.messaging.kafka import KafkaSettings

SECRET_KEYS = ("username", "password")


async def kafka_connection(
    kafka: KafkaSpec, namespace: str, *, children: Children
) -> dict[str, Any]:
    """The workloads' own Kafka connection options, with the credentials the spec refers to."""
    return (await kafka_settings(kafka, namespace, children=children)).connection()


async def kafka_settings(kafka: KafkaSpec, namespace: str, *, children: Children) -> KafkaSettings:
    """The workloads' own Kafka settings for `kafka`, with the credentials the spec refers to."""
    if kafka.auth_secret_ref is None:
        return KafkaSettings(
            bootstrap_servers=kafka.bootstrap_servers,
            sasl_username=None,
            sasl_password=None,
            client_id="conveyor-operator",
        )
    name = kafka.auth_secret_ref.name
    try:
        data = await children.secret_data(name, namespace, keys=SECRET_KEYS)
    except ApiError as exc:
        raise kopf.TemporaryError(f"Secret {name}: {exc.status.message}", delay=30) from exc
    missing = sorted(set(SECRET_KEYS) - set(data))
    if missing:
        raise kopf.TemporaryError(f"Secret {name} lacks the key(s) {missing}", delay=30)
    return KafkaSettings(
        bootstrap_servers=kafka.bootstrap_servers,
        sasl_username=data["username"],
        sasl_password=SecretStr(data["password"]),
        client_id="conveyor-operator",
    )

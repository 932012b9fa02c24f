"""How every Kafka client of the services (and the operator's lag reader) connects."""

from __future__ import annotations

import ssl

import pytest
from pydantic import SecretStr, ValidationError

from workloads.shared.messaging.kafka import KafkaSettings


def test_without_credentials_the_connection_is_plaintext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_SASL_USERNAME", raising=False)
    monkeypatch.delenv("KAFKA_SASL_PASSWORD", raising=False)
    options = KafkaSettings(bootstrap_servers="127.0.0.1:19092").connection()
    assert options == {"bootstrap_servers": "127.0.0.1:19092"}


def test_with_credentials_it_is_scram_over_verified_tls() -> None:
    settings = KafkaSettings(
        bootstrap_servers="b-1.msk:9096", sasl_username="svc", sasl_password=SecretStr("pw")
    )
    options = settings.connection()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("svc", "pw")
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert "pw" not in repr(settings)


def test_credentials_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "order")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "secret")
    options = KafkaSettings().connection()
    assert options["sasl_plain_username"] == "order"


def test_half_a_credential_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_SASL_PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="must be set together"):
        KafkaSettings(sasl_username="order")

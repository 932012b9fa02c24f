"""Client credentials for Kafka (SASL/SCRAM) and Redis (RBAC password), kept in Secrets Manager.

The services speak SASL/SCRAM to MSK and send a password to Redis (aiokafka and redis-py; there
is no MSK-IAM signer among their dependencies), so a password has to exist. Neither MSK nor
ElastiCache can generate one themselves (unlike RDS's managed master secret), and MSK refuses
to associate a secret without a value, so the program creates the value in the same `up`:

- the password comes from Secrets Manager's own generator (`GetRandomPassword`), never from code;
- it is a Pulumi secret: encrypted in the stack's state by its secrets provider, masked in logs,
  and no stack output carries it (outputs hold the secret's ARN);
- `ignore_changes` keeps the first value: the invoke yields a new password on every run, and
  rotating one means changing the secret (and, for Redis, the user) outside Pulumi.

Alphanumeric only, 40 characters (about 238 bits): it goes into URLs and SCRAM exchanges without
any escaping. The secret is encrypted with the customer-managed key of its concern (MSK refuses
secrets on the default `aws/secretsmanager` key).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform.tags import Tagging

PASSWORD_LENGTH = 40
# Keys of the JSON document in each secret: MSK requires exactly these for SCRAM, and the
# ExternalSecrets read them by these names.
USERNAME_KEY = "username"
PASSWORD_KEY = "password"  # noqa: S105 - the name of a JSON key, not a value


def document(username: str, password: str) -> str:
    """The secret's value: `{"username": ..., "password": ...}` (what MSK SCRAM expects)."""
    return json.dumps({USERNAME_KEY: username, PASSWORD_KEY: password}, sort_keys=True)


@dataclass(frozen=True)
class Credential:
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion
    # The password alone (a Pulumi secret), for a resource that must be told it (Redis user).
    password: pulumi.Output[str]


def generated(
    name: str,
    *,
    secret_name: str,
    username: pulumi.Input[str],
    description: str,
    key_arn: pulumi.Input[str],
    tagging: Tagging,
    parent: pulumi.Resource,
    aliases: Sequence[pulumi.Alias] = (),
) -> Credential:
    """A KMS-encrypted secret holding `username` and a generated password, set once.

    `aliases` go on the secret and its version (see `moved.py`), for a caller whose component
    they moved out of.
    """
    generator = aws.secretsmanager.get_random_password_output(
        password_length=PASSWORD_LENGTH,
        exclude_punctuation=True,
        include_space=False,
        require_each_included_type=True,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    password: pulumi.Output[str] = generator.random_password.apply(
        lambda p: pulumi.Output.secret(str(p or ""))
    )
    secret = aws.secretsmanager.Secret(
        name,
        name=secret_name,
        description=description,
        kms_key_id=key_arn,
        tags=tagging.of(name),
        opts=pulumi.ResourceOptions(parent=parent, aliases=list(aliases)),
    )
    value: pulumi.Output[str] = pulumi.Output.all(username, password).apply(
        lambda v: pulumi.Output.secret(document(str(v[0]), str(v[1])))
    )
    version = aws.secretsmanager.SecretVersion(
        f"{name}-value",
        secret_id=secret.id,
        secret_string=value,
        opts=pulumi.ResourceOptions(
            parent=parent, ignore_changes=["secretString"], aliases=list(aliases)
        ),
    )
    return Credential(secret=secret, version=version, password=password)

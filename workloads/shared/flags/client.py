"""Evaluate flags in-process: OpenFeature with flagd's in-process evaluation over one file.

The file is read again every `poll_ms` and loaded when its content changed (watcher.py: by
content, not by modification time), so a change (`conveyor flags set`, a ConfigMap update) takes
effect within a poll, without a restart. `export` shows on /metrics the value the process
evaluates for each number flag, read at scrape time (`conveyor_flag_value{flag}`). Failure
behaviour: no file configured means every flag is its catalogue default (no failure injected, no
rollout); a file that is missing, unparsable or not flagd's format leaves the last good flags in
force, logged and counted; a flag of the wrong type evaluates to its default. A flag evaluation
never raises into a request or a consumer.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path

from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ProviderNotReadyError
from openfeature.provider import FeatureProvider
from openfeature.provider.no_op_provider import NoOpProvider

from workloads.shared import metrics
from workloads.shared.flags.names import NUMBERS, KnownFlag
from workloads.shared.flags.watcher import FlagsFileProvider

log = logging.getLogger(__name__)

POLL_MS = 250  # how often the watcher reads the file (watcher.py)


class Flags:
    """The flags of one process; `chance` is the seam tests use for a deterministic draw."""

    def __init__(
        self,
        provider: FeatureProvider,
        *,
        domain: str,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self._provider = provider
        self._chance = chance
        try:
            api.set_provider_and_wait(provider, domain)
        except ProviderNotReadyError:
            # The watcher keeps polling: the flags apply once a valid file appears.
            log.error(  # noqa: TRY400 - the provider's own log has the traceback
                "flags provider not ready (file missing or invalid): defaults until it is"
            )
        self._client: OpenFeatureClient = api.get_client(domain)

    @classmethod
    def defaults(cls) -> Flags:
        """Every flag at its catalogue default (no file)."""
        return cls(NoOpProvider(), domain="defaults")

    @classmethod
    def from_file(cls, path: Path | None, *, domain: str, poll_ms: int = POLL_MS) -> Flags:
        if path is None:
            log.info("no flags file (CONVEYOR_FLAGS_FILE): every flag is its default")
            return cls.defaults()
        return cls(FlagsFileProvider(path, poll_s=poll_ms / 1000), domain=domain)

    def number(self, flag: KnownFlag) -> float:
        """A number flag's value now (its default on any error), clamped to the flag's range."""
        default = float(flag.default)
        if flag.type == "integer":
            value: float = self._client.get_integer_value(flag.key, int(flag.default))
        else:
            value = self._client.get_float_value(flag.key, default)
        return min(max(value, flag.low), flag.high)

    def happens(self, flag: KnownFlag) -> bool:
        """Whether an injected failure with this rate flag happens this time."""
        rate = self.number(flag)
        return rate >= 1.0 or (rate > 0.0 and self._chance() < rate)

    def enabled(self, flag: KnownFlag, *, targeting_key: str) -> bool:
        """A boolean flag for one subject (a customer id): the key a fractional rule hashes."""
        context = EvaluationContext(targeting_key=targeting_key)
        return self._client.get_boolean_value(flag.key, bool(flag.default), context)

    def export(self) -> None:
        """Show this instance's number flags on /metrics, evaluated at each scrape.

        The gauge is per process: the instance exported last is the one shown (a process builds
        one; tests that build several see the newest).
        """
        for flag in NUMBERS:
            metrics.flag_value.labels(flag=flag.key).set_function(partial(self.number, flag))

    def close(self) -> None:
        self._provider.shutdown()

"""How kopf runs this operator: where it keeps its bookkeeping, its timeouts and retry delays.

Progress and the last handled spec are annotations prefixed `conveyor.dev` on the pipeline; the
finalizer is `conveyor.dev/cleanup` (for what cannot carry an owner reference). Handler chatter
stays in the logs; Events carry warnings and the decisions the handlers post. Watches are re-opened
every two minutes, so a stream that died silently is replaced within minutes at worst (the
liveness probe catches it sooner). Child watches are filtered by the API server with the
managed-by label. Applied once, at startup; nothing here can fail.
"""

from __future__ import annotations

import logging

import kopf

from operators.controller.watched import CHILD_RESOURCES, managed_label_selector, selector

FINALIZER = "conveyor.dev/cleanup"


def apply_settings(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="conveyor.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="conveyor.dev", key="last-handled-configuration"
    )
    # Handler chatter stays in the logs; Events carry warnings and the decisions handlers post.
    settings.posting.level = logging.WARNING
    # Re-open watches regularly: a stream that died silently is replaced within minutes at worst.
    settings.watching.server_timeout = 120
    settings.watching.client_timeout = 150
    settings.peering.lifetime = 30
    settings.queueing.error_delays = [1, 2, 5, 10, 20, 30]
    # Child watches are filtered by the API server, so the operator never lists the cluster's
    # other ConfigMaps, Services or Deployments.
    for api_version, plural in CHILD_RESOURCES:
        settings.watching.label_selectors[selector(api_version, plural)] = managed_label_selector()

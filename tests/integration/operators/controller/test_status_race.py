"""A status refresh that read the pipeline before a reconcile wrote it never writes its older view.

The race seen in a `make test` run (2026-12-02): a debounced refresh read the pipeline while it
said Failed, a reconcile then succeeded and wrote Progressing, and the refresh wrote Failed back;
nothing changed afterwards, so the pipeline said Failed for a minute. Here the other writer is
made to write exactly between the refresh's read and its write, on the real API server: the
refresh must get its conflict, read again and leave the reconcile's verdict.
"""

from __future__ import annotations

import json
from typing import Any

from lightkube import AsyncClient, KubeConfig

from operators.controller import reconcile as flow
from operators.controller.children import Children
from operators.local.kube.cluster import KubeCluster
from tests.integration.operators.controller.cluster_tools import Kubectl, pipeline


class WriterBetween(Children):
    """Children whose first `observe` lets another writer in: after the refresh has read the
    pipeline, before it writes."""

    def __init__(self, client: AsyncClient, other: Children, spec: Any, body: dict[str, Any]):
        super().__init__(client)
        self.other, self.spec, self.body, self.raced = other, spec, body, False

    async def observe(self, owner: Any) -> Any:
        if not self.raced:
            self.raced = True
            await flow.refresh_status(self.other, self.body, self.spec)  # the reconcile: success
        return await super().observe(owner)


async def test_a_refresh_that_read_before_a_reconcile_wrote_leaves_its_verdict(
    kube: KubeCluster, kubectl: Kubectl, namespace: str
) -> None:
    kubectl.apply(pipeline("local", namespace))
    body = json.loads(
        kubectl.run("get", "orderpipeline", "conveyor", "-n", namespace, "-o", "json")
    )
    spec = flow.parse_spec(body)
    config = KubeConfig.from_file(kube.kubeconfig())
    client = AsyncClient(config=config, field_manager="test-refresh")
    other = Children(AsyncClient(config=config, field_manager="test-reconcile"))
    try:
        # The last reconcile failed: the status says so.
        await flow.refresh_status(other, body, spec, error="Deployment/conveyor-order: refused")
        # A Deployment changed since (the count differs): the refresh has something to write.
        await other.report("conveyor", namespace, {"ready": "0/99"})
        failed = json.loads(
            kubectl.run("get", "orderpipeline", "conveyor", "-n", namespace, "-o", "json")
        )  # what the refresh reads, as status_refresh does
        racing = WriterBetween(client, other, spec, body)
        await flow.refresh_status(racing, failed, spec, keep_reported=True)
        assert racing.raced
    finally:
        await client.close()
        await other.client.close()
    status = json.loads(
        kubectl.run("get", "orderpipeline", "conveyor", "-n", namespace, "-o", "json")
    )["status"]
    assert status["phase"] != "Failed", f"the refresh wrote its older view back: {status}"

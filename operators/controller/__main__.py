"""Run the OrderPipeline operator: `python -m operators.controller` (the container's entry point).

Credentials come from the pod's service account in a cluster, or from KUBECONFIG elsewhere.
Each process draws a random peering priority unless given one, so among replicas exactly one
(the highest) is active and ties are practically impossible; `--standalone` skips peering.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets

import kopf

from operators.controller import handlers  # noqa: F401  (registers the kopf handlers)
from operators.controller.watched import PEERING

PRIORITY_RANGE = 1_000_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="conveyor-operator", description=__doc__)
    parser.add_argument("--namespace", action="append", default=[], help="watch only these")
    parser.add_argument("--liveness", default="http://0.0.0.0:8080/healthz")
    parser.add_argument("--priority", type=int, default=None)
    parser.add_argument("--standalone", action="store_true", help="no peering (tests, dev)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.namespace and not args.standalone:
        parser.error("--namespace needs --standalone: peering is cluster-wide (ClusterKopfPeering)")
    priority = args.priority if args.priority is not None else secrets.randbelow(PRIORITY_RANGE)
    kopf.configure(
        debug=False,
        verbose=args.verbose,
        log_format=kopf.LogFormat.JSON,
        log_refkey="pipeline",
    )
    for chatty in ("httpx", "httpx2"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    asyncio.run(
        kopf.operator(
            clusterwide=not args.namespace,
            namespaces=args.namespace,
            priority=priority,
            peering_name=None if args.standalone else PEERING,
            standalone=args.standalone,
            liveness_endpoint=args.liveness,
            memo=kopf.Memo(priority=priority),
        )
    )


if __name__ == "__main__":
    main()

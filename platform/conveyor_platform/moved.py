"""Options for a resource that moved under a new parent component, keeping its URN.

A resource's URN names its parent's type, so moving it under another component would make Pulumi
replace it (delete and create) on the next `up`. The alias names the parent it was declared under
before, so an existing stack matches the old URN and updates in place; a stack created after the
move never sees the alias. Dependencies are unchanged: `depends_on` is passed through as given.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi


def under(
    parent: pulumi.Resource,
    *,
    formerly: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> pulumi.ResourceOptions:
    """Options for a child of `parent` that used to be a child of `formerly`."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=list(depends_on),
        aliases=[pulumi.Alias(parent=formerly)],
    )

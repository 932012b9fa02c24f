"""Entry point the pulumi CLI runs: `pulumi preview --policy-pack policies/crossguard`."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.crossguard.rules import POLICIES

PolicyPack(
    name="conveyor",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(POLICIES),
)

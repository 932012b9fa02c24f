"""Node root volumes are encrypted with our key whatever the account's EBS default is."""

from __future__ import annotations

import json

from policies.synth_graph import Graph

AUTOSCALING = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def test_every_node_group_boots_from_a_template_with_cmk_encrypted_volumes(graph: Graph) -> None:
    groups = graph.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups
    configured = {g["name"]: g["diskSizeGib"] for g in graph.config["cluster"]["nodeGroups"]}
    for group in groups:
        assert "diskSize" not in group.inputs, "diskSize and a launch template conflict"
        template = graph.by_id(group.inputs["launchTemplate"]["id"])
        assert template is not None, group.name
        assert template.type == "aws:ec2/launchTemplate:LaunchTemplate"
        (mapping,) = template.inputs["blockDeviceMappings"]
        ebs = mapping["ebs"]
        assert ebs["encrypted"] == "true", group.name
        assert graph.is_kms_key(ebs["kmsKeyId"]), group.name
        assert ebs["volumeSize"] in configured.values()
        options = template.inputs["metadataOptions"]
        assert (options["httpTokens"], options["httpPutResponseHopLimit"]) == ("required", 1)


def test_the_volume_key_lets_ec2_auto_scaling_encrypt_and_grant(graph: Graph) -> None:
    arns = {
        t.inputs["blockDeviceMappings"][0]["ebs"]["kmsKeyId"]
        for t in graph.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    }
    assert len(arns) == 1
    key = graph.by_arn(arns.pop())
    assert key is not None
    statements = json.loads(key.inputs["policy"])["Statement"]
    by_sid = {s.get("Sid"): s for s in statements}
    use, grants = by_sid["AutoScalingUse"], by_sid["AutoScalingGrants"]
    for statement in (use, grants):
        assert statement["Principal"]["AWS"].endswith(AUTOSCALING)
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"} <= set(
        use["Action"]
    )
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}

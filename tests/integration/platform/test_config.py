"""Bad stack config fails before any resource is declared, naming the key as written in the YAML."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conveyor_platform import config

from operators.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.fixture
def values() -> dict[str, Any]:
    return copy.deepcopy(config.read_stack_file("prod"))


def _error(stack: str, values: dict[str, Any]) -> config.ConfigError:
    with pytest.raises(config.ConfigError) as caught:
        config.parse(stack, values)
    return caught.value


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_committed_stack_files_are_valid(stack: str) -> None:
    assert config.load(stack).stack == stack


def test_a_missing_section_is_named(values: dict[str, Any]) -> None:
    del values["conveyor:database"]
    assert _error("prod", values).key == "conveyor:database"


def test_a_missing_nested_key_is_named(values: dict[str, Any]) -> None:
    del values["conveyor:database"]["instanceClass"]
    error = _error("prod", values)
    assert error.key == "conveyor:database.instanceClass"
    assert "required" in str(error).lower()


def test_a_missing_region_is_named(values: dict[str, Any]) -> None:
    del values["aws:region"]
    assert _error("prod", values).key == "aws:region"


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("conveyor:database", "instanceClass", "db.r6g.huge"),
        ("conveyor:cache", "nodeType", "cache.x1.large"),
        ("conveyor:streaming", "instanceType", "kafka.m5.tiny"),
    ],
)
def test_an_unknown_instance_class_is_named(
    values: dict[str, Any], section: str, field: str, value: str
) -> None:
    values[section][field] = value
    error = _error("prod", values)
    assert error.key == f"{section}.{field}"
    assert value in str(error)


def test_an_unknown_node_instance_type_is_named_with_its_index(values: dict[str, Any]) -> None:
    values["conveyor:cluster"]["nodeGroups"][0]["instanceTypes"] = ["m6i.huge"]
    assert _error("prod", values).key == "conveyor:cluster.nodeGroups[0].instanceTypes[0]"


def test_overlapping_subnets_are_named(values: dict[str, Any]) -> None:
    values["conveyor:network"]["subnets"]["isolated"][1] = "10.30.0.0/24"  # inside public[0]
    error = _error("prod", values)
    assert error.key == "conveyor:network.subnets.isolated[1]"
    assert "overlaps conveyor:network.subnets.public[0]" in str(error)


def test_a_subnet_outside_the_vpc_is_named(values: dict[str, Any]) -> None:
    values["conveyor:network"]["subnets"]["private"][2] = "10.99.0.0/19"
    assert _error("prod", values).key == "conveyor:network.subnets.private[2]"


def test_fewer_zones_than_subnets_is_named(values: dict[str, Any]) -> None:
    values["conveyor:network"]["availabilityZones"] = ["us-east-1a", "us-east-1b"]
    values["conveyor:streaming"]["brokerCount"] = 2
    error = _error("prod", values)
    assert error.key == "conveyor:network.subnets.public"
    assert "only 2 availabilityZones" in str(error)


def test_brokers_that_do_not_spread_over_the_zones_are_named(values: dict[str, Any]) -> None:
    values["conveyor:streaming"]["brokerCount"] = 4
    assert _error("prod", values).key == "conveyor:streaming.brokerCount"


def test_min_isr_equal_to_replication_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:streaming"]["minInsyncReplicas"] = 3
    assert _error("prod", values).key == "conveyor:streaming.minInsyncReplicas"


def test_a_public_endpoint_open_to_the_internet_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:cluster"]["endpointPublicAccess"] = True
    values["conveyor:cluster"]["publicAccessCidrs"] = ["0.0.0.0/0"]
    assert _error("prod", values).key == "conveyor:cluster.publicAccessCidrs[0]"


def test_a_public_endpoint_without_cidrs_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:cluster"]["endpointPublicAccess"] = True
    assert _error("prod", values).key == "conveyor:cluster.publicAccessCidrs"


def test_multi_az_cache_without_failover_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:cache"]["automaticFailover"] = False
    assert _error("prod", values).key == "conveyor:cache.automaticFailover"


def test_an_unknown_key_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:databse"] = {}
    assert _error("prod", values).key == "conveyor:databse"


def test_a_misspelt_nested_key_is_refused(values: dict[str, Any]) -> None:
    values["conveyor:database"]["multiAZ"] = True
    assert _error("prod", values).key == "conveyor:database.multiAZ"


def test_synth_of_a_bad_stack_exits_naming_the_key_and_writes_nothing(
    tmp_path: Path, values: dict[str, Any]
) -> None:
    values["conveyor:database"]["instanceClass"] = "db.r6g.huge"
    environments = tmp_path / "environments"
    environments.mkdir()
    (environments / "Pulumi.broken.yaml").write_text(yaml.safe_dump({"config": values}))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conveyor_platform.synth",
            "--env",
            "broken",
            "--out",
            str(tmp_path / "out"),
            "--environments",
            str(environments),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "conveyor:database.instanceClass" in result.stderr
    assert not (tmp_path / "out").exists()


PROGRAM_WITH_BAD_CONFIG = textwrap.dedent(
    """
    import json, sys
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await
    from conveyor_platform import config, program
    from conveyor_platform.mocks import RecordingMocks, RecordingMonitor

    values = config.read_stack_file("prod")
    values["conveyor:network"]["subnets"]["isolated"][0] = values["conveyor:network"]["cidr"]
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_all_config(config.as_pulumi_config(values))
    pulumi.runtime.set_mocks(
        mocks, project="conveyor", stack="prod", preview=False, monitor=monitor
    )
    try:
        _sync_await(run_pulumi_func(program.main))
    except config.ConfigError as exc:
        declared = [r for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
        print(json.dumps({"key": exc.key, "declared": len(declared)}))
        sys.exit(0)
    sys.exit("program.main accepted a bad config")
    """
)


def test_the_pulumi_entry_point_declares_nothing_when_the_config_is_bad() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM_WITH_BAD_CONFIG],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == {
        "key": "conveyor:network.subnets.isolated[0]",
        "declared": 0,
    }


ENTRY_POINT_UNDER_MOCKS = textwrap.dedent(
    """
    import runpy
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await
    from conveyor_platform import config
    from conveyor_platform.mocks import RecordingMocks, RecordingMonitor

    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_all_config(config.as_pulumi_config(config.read_stack_file("dev")))
    pulumi.runtime.set_mocks(
        mocks, project="conveyor", stack="dev", preview=False, monitor=monitor
    )
    main = lambda: runpy.run_path("platform/__main__.py", run_name="__main__")  # noqa: E731
    _sync_await(run_pulumi_func(main))
    print(sorted(r.urn for r in monitor.registrations if r.type != "pulumi:pulumi:Stack"))
    """
)


def test_the_pulumi_entry_point_declares_what_synth_records(graphs: dict[str, Any]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ENTRY_POINT_UNDER_MOCKS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    synthesized = [r.urn for r in graphs["dev"].resources if r.type != "pulumi:pulumi:Stack"]
    assert yaml.safe_load(result.stdout) == synthesized


def test_a_minor_postgres_version_is_refused_as_it_would_downgrade(
    values: dict[str, Any],
) -> None:
    values["conveyor:database"]["engineVersion"] = "16.4"
    error = _error("prod", values)
    assert error.key == "conveyor:database.engineVersion"
    assert "major" in str(error)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_stacks_give_rds_a_major_version_and_let_it_upgrade_minors(stack: str) -> None:
    database = config.load(stack).database
    assert database.engine_version.isdigit()
    assert database.parameter_group_family == f"postgres{database.engine_version}"


def test_a_kube_proxy_of_another_minor_than_the_cluster_is_named(values: dict[str, Any]) -> None:
    values["conveyor:cluster"]["addons"]["kube-proxy"] = "v1.33.3-eksbuild.6"
    values["conveyor:cluster"]["kubernetesVersion"] = "1.34"
    assert _error("prod", values).key == "conveyor:cluster.addons.kube-proxy"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_stacks_run_a_kubernetes_version_in_standard_support(stack: str) -> None:
    """1.33 left EKS standard support in 2026 (extended support costs 6x per cluster-hour)."""
    minor = int(config.load(stack).cluster.kubernetes_version.split(".")[1])
    assert minor >= 34

"""A sync run that fails outside any partition says why in one line, not with Dagster's wrapper of the error."""

from dagster import DagsterInstance

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import Instance


def test_a_run_that_fails_before_any_partition_names_the_cause(tmp_path, moto):
    instances_file = tmp_path / "instances.json"
    instances_file.write_text("[oops")  # broken after the command read it, before the run reads it again
    defs = build_definitions(instances_file=str(instances_file), lake_root=str(tmp_path / "lake"))
    with DagsterInstance.ephemeral() as dagster_instance:
        report = sync([Instance("arn:aws:iam::111122223333:role/aws-assets-readonly", "x")], defs, dagster_instance)
    assert not report.ok and report.results == [] and report.graph is None
    [error] = report.run_errors
    assert error == f"InstanceError: {instances_file}:1:2: not valid JSON: Expecting value"
    assert "DagsterExecutionStepExecutionError" not in error and "Error occurred while executing op" not in error
    assert not (tmp_path / "lake").exists()

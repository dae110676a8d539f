"""The production configuration (deploy/production/): Dagster's storage on a real Postgres server, the Kubernetes
run launcher's and executor's configuration, and the choice of executor by AWS_ASSETS_DEPLOYMENT."""

import json
import shutil

import pytest
import sqlalchemy
import yaml
from dagster import AssetKey, DagsterInstance, Definitions, validate_run_config
from dagster._config import process_config
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_k8s import K8sRunLauncher, k8s_job_executor
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.deployment import (
    DeploymentError,
    current_deployment,
    executor_config,
)
from aws_assets.defs.jobs import SYNC_JOB, build_graph_job
from aws_assets.lake.storage import Lake
from aws_assets.model.settings import DEPLOYMENT
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, REPO
from aws_assets_tests.e2e.postgres_server import postgres_bin_dir, postgres_server

# The instance configuration operators put in the ConfigMap; the code reads only the executor configuration.
PRODUCTION_YAML = REPO / "deploy" / "production" / "dagster.yaml"
GRAPH_JOBS = (build_graph_job.name, "__ASSET_JOB")  # the graph build, and what the UI's Materialize runs
K8S_ENV = {
    "DAGSTER_K8S_NAMESPACE": "aws-assets",
    "DAGSTER_K8S_SERVICE_ACCOUNT": "aws-assets-runs",
    "DAGSTER_K8S_INSTANCE_CONFIG_MAP": "aws-assets-dagster-instance",
    "DAGSTER_K8S_PG_PASSWORD_SECRET": "aws-assets-postgres",
}

requires_postgres = pytest.mark.skipif(
    postgres_bin_dir() is None,
    reason="no PostgreSQL server under /usr/lib/postgresql/*/bin: .ci/run installs Debian's postgresql package",
)


def production_instance_config() -> dict:
    return yaml.safe_load(PRODUCTION_YAML.read_text())


def test_production_definitions_run_each_graph_step_in_a_kubernetes_pod(monkeypatch):
    monkeypatch.setenv(DEPLOYMENT.name, "production")
    defs = build_definitions(instances_file="instances.json", lake_root="s3://lake/graph")
    Definitions.validate_loadable(defs)
    shipped = executor_config()
    # An account's sync is one run pod (K8sRunLauncher) whose threads wait on AWS in one process.
    assert defs.resolve_job_def(SYNC_JOB).executor_def.name == "in_process"
    for name in GRAPH_JOBS:
        job = defs.resolve_job_def(name)
        assert job.executor_def.name == "k8s_production"
        # The run config `aws-assets sync` passes, and an empty one (the UI's Materialize button), are accepted,
        # and resolve to the k8s_job_executor's config exactly as shipped.
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
        for run_config in (quiet, {}):
            execution = validate_run_config(job, run_config)["execution"]["k8s_production"]
            assert execution["max_concurrent"] == shipped["max_concurrent"] == 8
            assert execution["step_k8s_config"]["container_config"] == shipped["step_k8s_config"]["container_config"]
            assert execution["per_step_k8s_config"]["build_relationships"]["container_config"]["resources"] == {
                "requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}}
    # The relationship assets' step, which reads the whole lake, gets a bigger pod.
    assert "build_relationships" in {node.name for node in defs.resolve_job_def(build_graph_job.name).nodes}
    assert set(shipped["per_step_k8s_config"]) == {"build_relationships"}


def test_shipped_executor_config_is_valid_for_the_k8s_job_executor():
    result = process_config(k8s_job_executor.config_schema.config_type, executor_config())
    assert result.success, result.errors
    assert result.value["step_k8s_config"]["container_config"]["resources"]["limits"] == {"memory": "2Gi"}


def test_local_deployment_keeps_dagsters_default_executor(monkeypatch):
    monkeypatch.delenv(DEPLOYMENT.name, raising=False)
    assert current_deployment() == "local"
    job = build_definitions(instances_file="instances.json").resolve_job_def(build_graph_job.name)
    assert job.executor_def.name == "multi_or_in_process_executor"


def test_unknown_deployment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(DEPLOYMENT.name, "prod")
    with pytest.raises(DeploymentError, match=r"^AWS_ASSETS_DEPLOYMENT='prod': expected 'local' or 'production'$"):
        build_definitions(instances_file="instances.json")


def test_unreadable_executor_config_names_the_file(tmp_path):
    broken = tmp_path / "executor.yaml"
    broken.write_text("max_concurrent: [8\n")
    with pytest.raises(DeploymentError, match=rf"^{broken}: cannot read the executor configuration"):
        executor_config(broken)
    broken.write_text("- 8\n")
    with pytest.raises(DeploymentError, match="expected a mapping"):
        executor_config(broken)


def test_run_launcher_config_is_valid_and_instantiates(monkeypatch, tmp_path):
    """The shipped K8sRunLauncher config passes its schema and builds the launcher. Only the cluster connection is
    replaced: in a cluster the launcher loads the pod's service-account token (load_incluster_config), which this
    machine has not; here it reads a kubeconfig naming an unreachable API server, which it never calls."""
    for name, value in K8S_ENV.items():
        monkeypatch.setenv(name, value)
    launcher_config = production_instance_config()["run_launcher"]
    assert (launcher_config["module"], launcher_config["class"]) == ("dagster_k8s", "K8sRunLauncher")
    processed = process_config(K8sRunLauncher.config_type(), launcher_config["config"])
    assert processed.success, processed.errors
    assert processed.value["load_incluster_config"] is True

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "users": [{"name": "test", "user": {"token": "unused"}}],
    }))
    launcher = K8sRunLauncher.from_config_value(
        None, {**processed.value, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)})
    assert launcher.job_namespace == "aws-assets"
    assert launcher.instance_config_map == "aws-assets-dagster-instance"
    assert launcher.postgres_password_secret == "aws-assets-postgres"
    assert launcher.env_config_maps == ["aws-assets-env"]
    assert launcher.env_vars == ["AWS_ASSETS_INSTANCES=/etc/aws-assets/instances.json"]
    # The external IDs reach the pods as a read-only mounted Secret, not as environment variables.
    assert launcher.volumes == [{"name": "instances", "secret": {"secretName": "aws-assets-instances"}}]
    assert launcher.volume_mounts == [{"name": "instances", "mount_path": "/etc/aws-assets", "read_only": True}]


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server


@pytest.fixture
def production_home(tmp_path, monkeypatch, postgres):
    """A DAGSTER_HOME holding the shipped production dagster.yaml, its DAGSTER_PG_* pointing at the test server."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_HOST", postgres.host)
    monkeypatch.setenv("DAGSTER_PG_PORT", str(postgres.port))
    monkeypatch.setenv("DAGSTER_PG_DB", postgres.db_name)
    monkeypatch.setenv("DAGSTER_PG_USERNAME", postgres.username)
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "unused-trust-auth")
    return home


@requires_postgres
def test_materialization_is_stored_in_postgres(production_home, postgres, account_session, tmp_path, monkeypatch):
    monkeypatch.setenv(DEPLOYMENT.name, "production")
    iam = account_session.client("iam")
    for name in ("deployer", "auditor"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                            "Statement": []}))
    roles_in_account = len(iam.list_roles()["Roles"])
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{"roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id}]))
    defs = build_definitions(instances_file=str(instances_file), lake_root=str(tmp_path / "lake"))

    with DagsterInstance.from_config(str(production_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 40
        assert queue.tag_concurrency_limits == [
            {"key": "aws_assets/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
            {"key": "dagster/partition/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
        instance.add_dynamic_partitions("accounts", [ACCOUNT_ID])
        result = defs.resolve_job_def(SYNC_JOB).execute_in_process(
            instance=instance, run_config={"ops": {"sync_accounts_op": {"config": {"accounts": [ACCOUNT_ID]}}}})
        assert result.success
        run_id = result.run_id

    # A new instance (another process in production) reads the run and the materialization back from Postgres.
    with DagsterInstance.from_config(str(production_home)) as instance:
        assert instance.get_run_by_id(run_id).is_success
        assert instance.get_dynamic_partitions("accounts") == [ACCOUNT_ID]
        event = instance.get_latest_materialization_event(AssetKey("aws_iam_role"))
        assert event.run_id == run_id
        assert event.asset_materialization.partition == ACCOUNT_ID
        assert event.asset_materialization.metadata["dagster/row_count"].value == roles_in_account
    assert Lake(str(tmp_path / "lake")).read_table("aws_iam_role").num_rows == roles_in_account

    engine = sqlalchemy.create_engine(
        f"postgresql+psycopg2://{postgres.username}@{postgres.host}:{postgres.port}/{postgres.db_name}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                "SELECT partition, run_id FROM event_logs WHERE asset_key = :key "
                "AND dagster_event_type = 'ASSET_MATERIALIZATION'"), {"key": '["aws_iam_role"]'}).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(ACCOUNT_ID, run_id)]

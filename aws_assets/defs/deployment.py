"""Where runs execute, chosen by AWS_ASSETS_DEPLOYMENT: `local` (Dagster's default executor, on this machine) or
`production` (the k8s_job_executor: each step of a run in its own Kubernetes pod, configured by executor.yaml
beside this module, which the package ships and deploy/production/executor.yaml links to)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

import yaml
from dagster import ExecutorDefinition

from aws_assets.model.settings import DEPLOYMENT, settings

LOCAL, PRODUCTION = "local", "production"
EXECUTOR_CONFIG = files("aws_assets.defs") / "executor.yaml"


class DeploymentError(ValueError):
    pass


def current_deployment() -> str:
    deployment = settings().deployment
    if deployment not in (LOCAL, PRODUCTION):
        raise DeploymentError(f"{DEPLOYMENT.name}={deployment!r}: expected {LOCAL!r} or {PRODUCTION!r}")
    return deployment


def executor_config(path: Traversable = EXECUTOR_CONFIG) -> dict:
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise DeploymentError(f"{path}: cannot read the executor configuration: {error}") from error
    if not isinstance(config, dict):
        raise DeploymentError(f"{path}: expected a mapping of k8s_job_executor settings")
    return config


def executor_for(deployment: str) -> ExecutorDefinition | None:
    """The executor of every job; None keeps Dagster's default."""
    if deployment == LOCAL:
        return None
    # Imported here: the Kubernetes client is slow to import, and only production needs it.
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured(executor_config(), name="k8s_production")

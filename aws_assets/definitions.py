"""The Dagster definitions: `dagster dev -w workspace.yaml` and `aws-assets` both load this module."""

from __future__ import annotations

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, Definitions

from aws_assets.entity_assets import build_service_assets
from aws_assets.catalog import SERVICES
from aws_assets.jobs import build_graph_job, sync_account_job, sync_region_job
from aws_assets.relationship_assets import GROUP as RELATIONSHIP_GROUP
from aws_assets.relationship_assets import build_relationship_assets
from aws_assets.resources import AwsAccounts, LakeResource, default_instances_file, default_lake_root


def build_definitions(instances_file: str | None = None, lake_root: str | None = None) -> Definitions:
    return Definitions(
        assets=[*(build_service_assets(service) for service in SERVICES), build_relationship_assets()],
        jobs=[sync_account_job, sync_region_job, build_graph_job],
        sensors=[
            AutomationConditionSensorDefinition(
                "graph_automation",
                target=AssetSelection.groups(RELATIONSHIP_GROUP),
                default_status=DefaultSensorStatus.RUNNING,
                description="Refreshes the relationship assets when the entity partitions they read change.",
            )
        ],
        resources={
            "aws": AwsAccounts(instances_file=instances_file or default_instances_file()),
            "lake": LakeResource(root=lake_root or default_lake_root()),
        },
    )


defs = build_definitions()

"""The Dagster definitions: `dagster dev -w workspace.yaml` and `aws-assets` both load this module."""

from __future__ import annotations

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, Definitions

from aws_assets.defs.alerts import change_alerts
from aws_assets.defs.assets.access import analyse_access
from aws_assets.defs.assets.analysis import GROUP as ANALYSIS_GROUP
from aws_assets.defs.assets.changes import CHANGE_ASSETS
from aws_assets.defs.assets.changes import GROUP as CHANGES_GROUP
from aws_assets.defs.assets.compliance import compliance
from aws_assets.defs.assets.entities import build_service_assets
from aws_assets.defs.assets.findings import findings
from aws_assets.defs.assets.network import security_group_peer
from aws_assets.defs.assets.people import GROUP as PEOPLE_GROUP
from aws_assets.defs.assets.people import PeopleDirectory, person
from aws_assets.defs.assets.pictures import graph_pictures
from aws_assets.defs.assets.relationships import GROUP as RELATIONSHIP_GROUP
from aws_assets.defs.assets.relationships import build_relationship_assets
from aws_assets.defs.assets.resource_access import resource_access
from aws_assets.defs.assets.trust import analyse_trust
from aws_assets.defs.deployment import current_deployment, executor_for
from aws_assets.defs.jobs import build_graph_job, no_sync_progress, sync_job
from aws_assets.defs.partition_keys import partition_keys
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.defs.schedules import build_sync_schedules
from aws_assets.defs.sensors import InstanceInbox, instance_events
from aws_assets.model.settings import settings
from aws_assets.services.catalog import SERVICES


def build_definitions(
    instances_file: str | None = None,
    lake_root: str | None = None,
    people_file: str | None = None,
    deployment: str | None = None,
    inbox: str | None = None,
    sync_schedule: str | None = None,
) -> Definitions:
    """The definitions; an argument left out is taken from the settings (aws_assets/model/settings.py)."""
    config = settings()
    return Definitions(
        assets=[*(build_service_assets(service) for service in SERVICES), person, build_relationship_assets(),
                analyse_trust, analyse_access, resource_access, findings, compliance, security_group_peer,
                graph_pictures, *CHANGE_ASSETS],
        jobs=[sync_job, build_graph_job],
        sensors=[
            AutomationConditionSensorDefinition(
                "graph_automation",
                target=AssetSelection.groups(RELATIONSHIP_GROUP, PEOPLE_GROUP, ANALYSIS_GROUP, CHANGES_GROUP),
                default_status=DefaultSensorStatus.RUNNING,
                description="Refreshes the person table, the relationship assets and the analyses when the entity "
                "partitions they read change.",
            ),
            instance_events,
            partition_keys,
            change_alerts,
        ],
        schedules=build_sync_schedules(sync_schedule),
        resources={
            "aws": AwsAccounts(instances_file=instances_file or config.instances_file),
            "lake": LakeResource(root=lake_root or config.lake),
            "people": PeopleDirectory(path=people_file or config.people_file),
            "sync_progress": no_sync_progress,
            "inbox": InstanceInbox(location=inbox or config.inbox, rejected_dir=config.rejected_dir),
        },
        executor=executor_for(deployment or current_deployment()),
    )


defs = build_definitions()

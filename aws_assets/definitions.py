"""The Dagster definitions: `dagster dev -w workspace.yaml` and `aws-assets` both load this module."""

from __future__ import annotations

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, Definitions

from aws_assets.access_assets import analyse_access
from aws_assets.entity_assets import build_service_assets
from aws_assets.findings_assets import findings
from aws_assets.catalog import SERVICES
from aws_assets.deployment import current_deployment, executor_for
from aws_assets.inbox import default_inbox, default_rejected_dir
from aws_assets.jobs import build_graph_job, sync_account_job, sync_region_job
from aws_assets.network_assets import security_group_peer
from aws_assets.people import default_people_file
from aws_assets.person_assets import GROUP as PEOPLE_GROUP
from aws_assets.person_assets import PeopleDirectory, person
from aws_assets.relationship_assets import GROUP as RELATIONSHIP_GROUP
from aws_assets.relationship_assets import build_relationship_assets
from aws_assets.resources import AwsAccounts, LakeResource, default_instances_file, default_lake_root
from aws_assets.schedules import build_sync_schedules
from aws_assets.sensors import InstanceInbox, instance_events
from aws_assets.analysis_assets import GROUP as ANALYSIS_GROUP
from aws_assets.trust_assets import analyse_trust


def build_definitions(
    instances_file: str | None = None,
    lake_root: str | None = None,
    people_file: str | None = None,
    deployment: str | None = None,
    inbox: str | None = None,
    sync_schedule: str | None = None,
) -> Definitions:
    return Definitions(
        assets=[*(build_service_assets(service) for service in SERVICES), person, build_relationship_assets(),
                analyse_trust, analyse_access, findings, security_group_peer],
        jobs=[sync_account_job, sync_region_job, build_graph_job],
        sensors=[
            AutomationConditionSensorDefinition(
                "graph_automation",
                target=AssetSelection.groups(RELATIONSHIP_GROUP, PEOPLE_GROUP, ANALYSIS_GROUP),
                default_status=DefaultSensorStatus.RUNNING,
                description="Refreshes the person table, the relationship assets and the analyses when the entity "
                "partitions they read change.",
            ),
            instance_events,
        ],
        schedules=build_sync_schedules(sync_schedule),
        resources={
            "aws": AwsAccounts(instances_file=instances_file or default_instances_file()),
            "lake": LakeResource(root=lake_root or default_lake_root()),
            "people": PeopleDirectory(path=people_file or default_people_file()),
            "inbox": InstanceInbox(location=inbox or default_inbox(), rejected_dir=default_rejected_dir()),
        },
        executor=executor_for(deployment or current_deployment()),
    )


defs = build_definitions()

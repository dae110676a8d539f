"""Every service and entity type the project collects, in one place."""

from __future__ import annotations

from aws_assets.model.entity import EntityType, Scope, Service
from aws_assets.services import account, apigateway, config, dynamodb, ec2, iam, lambda_, rds, s3

SERVICES: tuple[Service, ...] = (
    account.SERVICE,
    iam.SERVICE,
    s3.SERVICE,
    ec2.SERVICE,
    rds.SERVICE,
    dynamodb.SERVICE,
    lambda_.SERVICE,
    apigateway.SERVICE,
    config.SERVICE,
)

ENTITY_TYPES: dict[str, EntityType] = {et.type: et for service in SERVICES for et in service.entity_types}


def services_of_scope(scope: Scope) -> tuple[Service, ...]:
    return tuple(service for service in SERVICES if service.scope is scope)

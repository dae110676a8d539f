"""Every service and entity type the project collects, in one place: every list of services is derived from here."""

from __future__ import annotations

from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity
from aws_assets.services import account, apigateway, config, dynamodb, ec2, iam, lambda_, rds, s3

RESOURCE_SERVICES: tuple[Service, ...] = (
    iam.SERVICE,
    s3.SERVICE,
    ec2.SERVICE,
    rds.SERVICE,
    dynamodb.SERVICE,
    lambda_.SERVICE,
    apigateway.SERVICE,
    config.SERVICE,
)

SERVICES: tuple[Service, ...] = (account.account_service(RESOURCE_SERVICES), *RESOURCE_SERVICES)

ENTITY_TYPES: dict[str, EntityType] = {et.type: et for service in SERVICES for et in service.entity_types}

SERVICE_ENTITIES: tuple[ServiceEntity, ...] = tuple(
    service.entity for service in RESOURCE_SERVICES if service.entity is not None
)
SERVICE_ENTITY_TYPES: frozenset[str] = frozenset(entity.type for entity in SERVICE_ENTITIES)


def services_of_scope(scope: Scope) -> tuple[Service, ...]:
    return tuple(service for service in SERVICES if service.scope is scope)

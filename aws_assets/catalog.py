"""Every service and entity type the project collects, in one place."""

from __future__ import annotations

from aws_assets.entity import EntityType, Scope, Service
from aws_assets.services import account

SERVICES: tuple[Service, ...] = (account.SERVICE,)

ENTITY_TYPES: dict[str, EntityType] = {et.type: et for service in SERVICES for et in service.entity_types}


def services_of_scope(scope: Scope) -> tuple[Service, ...]:
    return tuple(service for service in SERVICES if service.scope is scope)

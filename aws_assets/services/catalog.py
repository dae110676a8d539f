"""Every service and entity type the project collects, in one place: every list of services is derived from here.

A service is a module of this package that declares `SERVICE`; it is found by being there, so adding one is
writing its module. The account's own service comes first and carries one entity per other service.
"""

from __future__ import annotations

import importlib
import pkgutil

import aws_assets.services as services_package
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity
from aws_assets.services import account


def _declared_services() -> tuple[Service, ...]:
    found = []
    for module_info in sorted(pkgutil.iter_modules(services_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{services_package.__name__}.{module_info.name}")
        service = getattr(module, "SERVICE", None)
        if isinstance(service, Service):
            found.append(service)
    return tuple(found)


RESOURCE_SERVICES: tuple[Service, ...] = _declared_services()

SERVICES: tuple[Service, ...] = (account.account_service(RESOURCE_SERVICES), *RESOURCE_SERVICES)

ENTITY_TYPES: dict[str, EntityType] = {et.type: et for service in SERVICES for et in service.entity_types}

SERVICE_ENTITIES: tuple[ServiceEntity, ...] = tuple(
    service.entity for service in RESOURCE_SERVICES if service.entity is not None
)
SERVICE_ENTITY_TYPES: frozenset[str] = frozenset(entity.type for entity in SERVICE_ENTITIES)


def services_of_scope(scope: Scope) -> tuple[Service, ...]:
    return tuple(service for service in SERVICES if service.scope is scope)

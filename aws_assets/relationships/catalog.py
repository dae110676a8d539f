"""Every relationship type, in one place."""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType
from aws_assets.relationships import (
    applications,
    config,
    ec2,
    encryption,
    iam,
    messaging,
    monitoring,
    organizations,
    person,
    security_groups,
    services,
)


def _by_type(relationships: list[RelationshipType]) -> dict[str, RelationshipType]:
    by_type: dict[str, RelationshipType] = {}
    for relationship in relationships:
        if relationship.type in by_type:
            raise ValueError(f"two relationship declarations are named {relationship.type}")
        by_type[relationship.type] = relationship
    return by_type

RELATIONSHIP_TYPES: dict[str, RelationshipType] = _by_type(
    [
        relationship
        for module in (
            services, ec2, iam, applications, encryption, messaging, person, config, security_groups, organizations,
            monitoring,
        )
        for relationship in module.RELATIONSHIPS
    ]
)

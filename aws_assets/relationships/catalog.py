"""Every relationship type, in one place."""

from __future__ import annotations

from aws_assets.relationships import applications, ec2, iam, services
from aws_assets.relationships.model import RelationshipType

RELATIONSHIP_TYPES: dict[str, RelationshipType] = {
    relationship.type: relationship
    for module in (services, ec2, iam, applications)
    for relationship in module.RELATIONSHIPS
}

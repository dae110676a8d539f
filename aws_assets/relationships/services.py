"""`aws_account HAS aws_<service>` and `aws_<service> HAS <entity>`: the anchors every resource hangs from."""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType
from aws_assets.services.catalog import SERVICE_ENTITIES


def account_has_service(service_type: str) -> RelationshipType:
    return RelationshipType(
        "aws_account", "HAS", service_type,
        f"The account has the {service_type} service entity.",
        f"SELECT a._key AS _fromEntityKey, s._key AS _toEntityKey, a.accountId "
        f"FROM aws_account a JOIN {service_type} s USING (accountId)",
    )


def service_has(service_type: str, entity_type: str, in_spec: bool) -> RelationshipType:
    return RelationshipType(
        service_type, "HAS", entity_type,
        f"The account's {service_type} service has each {entity_type} of the account, in every region.",
        f"SELECT s._key AS _fromEntityKey, e._key AS _toEntityKey, e.accountId "
        f"FROM {service_type} s JOIN {entity_type} e USING (accountId)",
        in_spec=in_spec,
    )


RELATIONSHIPS = (
    *(account_has_service(entity.type) for entity in SERVICE_ENTITIES),
    *(
        service_has(entity.type, member.type, in_spec)
        for entity in SERVICE_ENTITIES
        for members, in_spec in ((entity.members, True), (entity.members_beyond_spec, False))
        for member in members
    ),
)

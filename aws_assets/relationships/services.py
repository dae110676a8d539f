"""`aws_account HAS aws_<service>` and `aws_<service> HAS <entity>`: the anchors every resource hangs from."""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType

# Service entity -> (entity types of the spec's "HAS" rows, entity types JupiterOne's live graph adds).
SERVICE_MEMBERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aws_ec2": (("aws_instance", "aws_security_group", "aws_subnet", "aws_ebs_volume", "aws_vpc"), ("aws_key_pair",)),
    "aws_iam": (
        ("aws_iam_policy", "aws_iam_role", "aws_iam_role_policy", "aws_iam_user", "aws_iam_user_policy",
         "aws_iam_group", "aws_iam_group_policy"),
        ("aws_iam_access_key",),
    ),
    "aws_s3": (("aws_s3_bucket",), ()),
    "aws_lambda": (("aws_lambda_function",), ()),
    "aws_rds": (("aws_rds_cluster", "aws_db_instance"), ()),
    "aws_dynamodb": (("aws_dynamodb_table",), ()),
    "aws_apigateway": (("aws_api_gateway_rest_api",), ()),
    "aws_config": (("aws_config_rule",), ()),
}


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
    *(account_has_service(service_type) for service_type in SERVICE_MEMBERS),
    *(
        service_has(service_type, entity_type, in_spec)
        for service_type, (spec_members, extra_members) in SERVICE_MEMBERS.items()
        for members, in_spec in ((spec_members, True), (extra_members, False))
        for entity_type in members
    ),
)

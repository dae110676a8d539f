"""Edges between EC2 resources, and from security groups, subnets and VPCs to what runs in them."""

from __future__ import annotations

from aws_assets.model.entity import boolean, string, timestamp
from aws_assets.model.relationship import RelationshipType

SAME_PLACE = "{a}.accountId = {b}.accountId AND {a}.region = {b}.region"


def _same_place(a: str, b: str) -> str:
    return SAME_PLACE.format(a=a, b=b)


def security_group_protects(entity_type: str, group_ids_column: str, in_spec: bool) -> RelationshipType:
    return RelationshipType(
        "aws_security_group", "PROTECTS", entity_type,
        f"The security group is attached to the {entity_type} (its `{group_ids_column}`).",
        f"SELECT DISTINCT g._key AS _fromEntityKey, e._key AS _toEntityKey, e.accountId "
        f"FROM {entity_type} e, unnest(e.{group_ids_column}) AS t(group_id) "
        f"JOIN aws_security_group g ON {_same_place('g', 'e')} AND g.groupId = t.group_id",
        in_spec=in_spec,
    )


RELATIONSHIPS = (
    RelationshipType(
        "aws_instance", "USES", "aws_ebs_volume",
        "The instance has the volume attached, as a block device.",
        "SELECT i._key AS _fromEntityKey, v._key AS _toEntityKey, i.accountId, "
        "m.deviceName, m.deleteOnTermination, m.attachTime "
        "FROM aws_instance i, unnest(i.blockDeviceMappings) AS t(m) "
        f"JOIN aws_ebs_volume v ON {_same_place('v', 'i')} AND v.volumeId = m.volumeId",
        properties=(
            string("deviceName", "Device name the volume is attached as, e.g. /dev/xvda"),
            boolean("deleteOnTermination", "Whether the volume is deleted when the instance terminates"),
            timestamp("attachTime", "When the volume was attached"),
        ),
    ),
    security_group_protects("aws_instance", "securityGroupIds", in_spec=True),
    RelationshipType(
        "aws_vpc", "CONTAINS", "aws_subnet",
        "The subnet is in the VPC.",
        "SELECT v._key AS _fromEntityKey, s._key AS _toEntityKey, s.accountId "
        f"FROM aws_subnet s JOIN aws_vpc v ON {_same_place('v', 's')} AND v.vpcId = s.vpcId",
    ),
    RelationshipType(
        "aws_instance", "USES", "aws_key_pair",
        "The instance was launched with the key pair.",
        "SELECT i._key AS _fromEntityKey, k._key AS _toEntityKey, i.accountId "
        f"FROM aws_instance i JOIN aws_key_pair k ON {_same_place('k', 'i')} AND k.keyName = i.keyName",
        in_spec=False,
    ),
    RelationshipType(
        "aws_instance", "USES", "aws_iam_role",
        "The instance runs as the role, through its instance profile.",
        "SELECT i._key AS _fromEntityKey, r._key AS _toEntityKey, i.accountId, i.instanceProfileArn "
        "FROM aws_instance i JOIN aws_iam_role r ON r.accountId = i.accountId "
        "AND list_contains(r.instanceProfileArns, i.instanceProfileArn)",
        properties=(string("instanceProfileArn", "The instance profile that passes the role to the instance"),),
        in_spec=False,
    ),
    RelationshipType(
        "aws_subnet", "HAS", "aws_instance",
        "The instance runs in the subnet.",
        "SELECT s._key AS _fromEntityKey, i._key AS _toEntityKey, i.accountId "
        f"FROM aws_instance i JOIN aws_subnet s ON {_same_place('s', 'i')} AND s.subnetId = i.subnetId",
        in_spec=False,
    ),
    RelationshipType(
        "aws_vpc", "HAS", "aws_security_group",
        "The security group belongs to the VPC.",
        "SELECT v._key AS _fromEntityKey, g._key AS _toEntityKey, g.accountId "
        f"FROM aws_security_group g JOIN aws_vpc v ON {_same_place('v', 'g')} AND v.vpcId = g.vpcId",
        in_spec=False,
    ),
    RelationshipType(
        "aws_vpc", "HAS", "aws_network_acl",
        "The network ACL belongs to the VPC.",
        "SELECT v._key AS _fromEntityKey, n._key AS _toEntityKey, n.accountId "
        f"FROM aws_network_acl n JOIN aws_vpc v ON {_same_place('v', 'n')} AND v.vpcId = n.vpcId",
    ),
    RelationshipType(
        "aws_network_acl", "PROTECTS", "aws_subnet",
        "The network ACL filters the subnet's traffic (the subnet is associated with it).",
        "SELECT n._key AS _fromEntityKey, s._key AS _toEntityKey, n.accountId "
        "FROM aws_network_acl n, unnest(n.subnetIds) AS t(subnet_id) "
        f"JOIN aws_subnet s ON {_same_place('s', 'n')} AND s.subnetId = t.subnet_id",
        in_spec=False,
    ),
    security_group_protects("aws_db_instance", "vpcSecurityGroupIds", in_spec=False),
    security_group_protects("aws_rds_cluster", "vpcSecurityGroupIds", in_spec=False),
    security_group_protects("aws_lambda_function", "securityGroupIds", in_spec=False),
    RelationshipType(
        "aws_subnet", "HAS", "aws_lambda_function",
        "The function's network interfaces are in the subnet.",
        "SELECT DISTINCT s._key AS _fromEntityKey, f._key AS _toEntityKey, f.accountId "
        "FROM aws_lambda_function f, unnest(f.subnetIds) AS t(subnet_id) "
        f"JOIN aws_subnet s ON {_same_place('s', 'f')} AND s.subnetId = t.subnet_id",
        in_spec=False,
    ),
    RelationshipType(
        "aws_vpc", "HAS", "aws_lambda_function",
        "The function has network access into the VPC.",
        # Through the function's subnets (AWS requires them all to be in its VPC) rather than its `vpcId`, which moto
        # answers with the placeholder vpc-123abc whatever the subnets.
        "SELECT DISTINCT v._key AS _fromEntityKey, f._key AS _toEntityKey, f.accountId "
        "FROM aws_lambda_function f, unnest(f.subnetIds) AS t(subnet_id) "
        f"JOIN aws_subnet s ON {_same_place('s', 'f')} AND s.subnetId = t.subnet_id "
        f"JOIN aws_vpc v ON {_same_place('v', 's')} AND v.vpcId = s.vpcId",
        in_spec=False,
    ),
)

"""Security group analysis: `aws_security_group ALLOWS <peer>`, one edge per rule, and the `security_group_peer` table.

- The rule normalisation (protocol names, every-port rules, ICMP types and codes, `portRange`) on a hand-written
  table of rules; parallel edges in the relationship model and its checks.
- Edge cases built on moto, collected by the collectors and run through the Dagster assets: a default group that
  allows itself (as AWS creates it), CIDRs equal to the VPC's IPv4 and IPv6 blocks and to a subnet's, private and
  public ranges, ICMP, several rules between the same two entities. Beside them, a group as AWS would describe it
  (moto refuses both references) that names a group of an account not ingested and a deleted group.
- The simulated organisation's groups: the exact edges of every account, from the estate its docstring describes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, materialize

from aws_assets.aws.partition import PartitionCollection
from aws_assets.aws.session import assume_role_session
from aws_assets.defs.assets.network import security_group_peer
from aws_assets.defs.assets.relationships import build_relationship_assets
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.edges import build_edges, check_edges
from aws_assets.graph.tables import open_lake
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import string
from aws_assets.model.relationship import RelationshipType
from aws_assets.relationships.security_groups import PEER_TABLE, RELATIONSHIPS, RULES_SQL
from aws_assets.services.ec2 import AWS_SECURITY_GROUP, AWS_SUBNET, AWS_VPC, security_group_rows
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, REGION, make_collection, moto_in_process

ALLOWS_TYPES = tuple(relationship.type for relationship in RELATIONSHIPS)
EDGE_COLUMNS = "_fromEntityKey, _toEntityKey, ingress, egress, ipProtocol, fromPort, toPort, portRange, cidr"
Sql = Callable[..., list[tuple]]  # `sql(query, *params)` -> rows, like conftest's `sql` fixture


def allows_edges(sql: Sql, account: str | None = None) -> list[tuple]:
    """Every ALLOWS edge of the six types (of one account): (_type, _key, from, to, ingress, egress, ipProtocol,
    fromPort, toPort, portRange, cidr, ruleDescription)."""
    union = " UNION ALL ".join(
        f"SELECT _type, _key, {EDGE_COLUMNS}, ruleDescription, accountId FROM \"{t}\"" for t in ALLOWS_TYPES
    )
    query = f"SELECT * EXCLUDE (accountId) FROM ({union})"
    return sql(query + " WHERE accountId = ?", account) if account else sql(query)


# ------------------------------------------------------------------------------------------------------------------
# Normalisation and parallel edges
# ------------------------------------------------------------------------------------------------------------------

# (case, ipProtocol, fromPort, toPort as AWS describes the rule) -> (ipProtocol, fromPort, toPort, portRange)
NORMALISATION = [
    ("one tcp port", "tcp", 22, 22, "tcp", 22, 22, "22"),
    ("a tcp range", "tcp", 1024, 65535, "tcp", 1024, 65535, "1024-65535"),
    ("every tcp port", "tcp", 0, 65535, "tcp", 0, 65535, "0-65535"),
    ("tcp by number", "6", 443, 443, "tcp", 443, 443, "443"),
    ("upper-case udp", "UDP", 53, 53, "udp", 53, 53, "53"),
    ("udp by number without ports", "17", None, None, "udp", 0, 65535, "0-65535"),
    ("tcp with -1 ports", "tcp", -1, -1, "tcp", 0, 65535, "0-65535"),
    ("all protocols", "-1", None, None, "all", 0, 65535, "all"),
    ("all protocols ignore ports", "-1", 22, 22, "all", 0, 65535, "all"),
    ("every icmp type", "icmp", -1, -1, "icmp", -1, -1, "all"),
    ("icmp echo, every code", "icmp", 8, -1, "icmp", 8, -1, "8"),
    ("icmp by number, type and code", "1", 3, 4, "icmp", 3, 4, "3/4"),
    ("icmpv6 by number", "58", 128, 0, "icmpv6", 128, 0, "128/0"),
    ("every icmpv6 type", "icmpv6", -1, -1, "icmpv6", -1, -1, "all"),
    ("esp has no ports", "50", None, None, "50", None, None, "all"),
]


def test_rules_are_normalised_protocol_ports_and_port_range():
    rules = [
        {"ipProtocol": protocol, "fromPort": from_port, "toPort": to_port, "cidrIpv4": "10.0.0.0/8",
         "description": case}
        for case, protocol, from_port, to_port, *_ in NORMALISATION
    ]
    group = {"_key": "sg-key", "name": "g", "groupId": "sg-1", "vpcId": "vpc-1", "ingressRules": rules,
             "egressRules": rules[:1]}
    con = duckdb.connect()
    con.register("aws_security_group", AWS_SECURITY_GROUP.to_table([group], ACCOUNT_ID, REGION))
    normalised = con.execute(
        f"SELECT ruleDescription, ipProtocol, fromPort, toPort, portRange FROM ({RULES_SQL}) WHERE ingress"
    ).fetchall()
    assert sorted(normalised) == sorted((case, *expected) for case, _, _, _, *expected in NORMALISATION)
    assert con.execute(f"SELECT ingress, ruleDescription, cidr FROM ({RULES_SQL}) WHERE NOT ingress").fetchall() == [
        (False, "one tcp port", "10.0.0.0/8")]


def test_parallel_edges_have_one_key_each_and_their_own_duplicate_check():
    def rules(*rows: str) -> RelationshipType:
        return RelationshipType(
            "a_thing", "ALLOWS", "b_thing", "Rules between the same two entities.",
            f"SELECT * FROM (VALUES {', '.join(rows)}) AS rules(_fromEntityKey, _toEntityKey, accountId, _keySuffix, "
            "portRange)",
            properties=(string("portRange", "The rule's ports"),),
            parallel_edges=True,
        )

    con = duckdb.connect()
    con.execute("CREATE TABLE things AS SELECT * FROM (VALUES ('a'), ('b')) AS keys(_key)")
    edges = build_edges(con, rules("('a', 'b', '1', 'tcp:22', '22')", "('a', 'b', '1', 'tcp:443', '443')"))
    assert sorted(edges.column("_key").to_pylist()) == ["a|allows|b|tcp:22", "a|allows|b|tcp:443"]
    assert "_keySuffix" not in edges.column_names
    healthy = {"unique_keys": 0, "no_duplicate_edges": 0, "endpoints_exist": 0}
    assert check_edges(con, edges, ['things'], parallel_edges=True) == healthy
    # Declared without parallel edges, the same pair twice is a duplicate.
    assert check_edges(con, edges, ['things']) == {**healthy, "no_duplicate_edges": 1}
    # An edge written twice is a duplicate either way.
    assert check_edges(con, pa.concat_tables([edges, edges.slice(0, 1)]), ['things'], parallel_edges=True) == {
        "unique_keys": 1, "no_duplicate_edges": 1, "endpoints_exist": 0}
    # Edges only their keys tell apart are duplicates too: nothing a reader sees distinguishes them.
    indistinct = build_edges(con, rules("('a', 'b', '1', 'tcp:22', '22')", "('a', 'b', '1', 'TCP:22', '22')"))
    assert check_edges(con, indistinct, ['things'], parallel_edges=True) == {**healthy, "no_duplicate_edges": 1}
    # An end that is no entity of the endpoint tables, on either side, is a dangling edge.
    dangling = build_edges(con, rules("('a', 'c', '1', 'tcp:22', '22')", "('d', 'b', '1', 'tcp:22', '22')",
                                      "('a', 'b', '1', 'tcp:22', '22')"))
    assert check_edges(con, dangling, ['things'], parallel_edges=True) == {**healthy, "endpoints_exist": 2}


# ------------------------------------------------------------------------------------------------------------------
# Edge cases, collected from moto and built by the Dagster assets
# ------------------------------------------------------------------------------------------------------------------

PARTNER_ACCOUNT = "999999999999"  # not ingested
PEERED_REGION = "us-west-2"
# A group as DescribeSecurityGroups answers it for rules moto refuses: a group of another account across a peering
# connection, a deleted group of a peered VPC (a stale rule), and an AWS managed prefix list (S3's).
PARTNER_ACCESS = {
    "GroupId": "sg-0a1b2c3d4e5f60718",
    "GroupName": "partner-access",
    "Description": "The partner's bastion and our old database tier",
    "VpcId": "vpc-0f1e2d3c4b5a69788",
    "OwnerId": ACCOUNT_ID,
    "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "UserIdGroupPairs": [{"GroupId": "sg-0partner0bastion01", "UserId": PARTNER_ACCOUNT,
                               "VpcPeeringConnectionId": "pcx-0123456789abcdef0", "PeeringStatus": "active",
                               "Description": "partner bastion"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
         "UserIdGroupPairs": [{"GroupId": "sg-0deleted000000001", "UserId": ACCOUNT_ID,
                               "VpcPeeringConnectionId": "pcx-0123456789abcdef1", "PeeringStatus": "deleted"}]},
    ],
    "IpPermissionsEgress": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [], "Ipv6Ranges": [],
         "UserIdGroupPairs": [], "PrefixListIds": [{"PrefixListId": "pl-68a54001", "Description": "S3"}]},
    ],
}


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory) -> dict[str, Any]:
    """The lake after the assets ran, with the keys of what was seeded; built once for the module's tests, in
    conftest's moto_in_process, gone before any test runs (the session's `synced` organisation must never meet
    it)."""
    with moto_in_process():
        return seed_and_build(assume_role_session(INSTANCE), make_collection(REGION), tmp_path_factory.mktemp("sg"))


def seed_and_build(account_session: boto3.Session, regional: PartitionCollection, work: Path) -> dict[str, Any]:
    ec2 = account_session.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.50.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    [ipv6_block] = [a["Ipv6CidrBlock"] for a in
                    ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    [default_group] = [g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"]]
    # AWS creates every default group with this rule; moto does not.
    ec2.authorize_security_group_ingress(
        GroupId=default_group, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default_group}]}])
    group = ec2.create_security_group(GroupName="edge-cases", Description="Rules of every shape", VpcId=vpc_id)[
        "GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535,
         "IpRanges": [{"CidrIp": "10.50.1.0/24", "Description": "ephemeral from the subnet"}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.50.0.0/16"}],
         "Ipv6Ranges": [{"CidrIpv6": ipv6_block}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.99.0.0/16"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.99.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "52.94.76.0/22"}]},
        {"IpProtocol": "58", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/64"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])
    default_egress = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=default_egress)
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.50.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ])

    lake = Lake(str(work / "lake"))
    for entity_type in (AWS_SECURITY_GROUP, AWS_VPC, AWS_SUBNET):
        table = entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION)
        lake.write_partition(entity_type.type, ACCOUNT_ID, REGION, table)
    peered = AWS_SECURITY_GROUP.to_table(
        security_group_rows([PARTNER_ACCESS], ACCOUNT_ID, PEERED_REGION), ACCOUNT_ID, PEERED_REGION)
    lake.write_partition(AWS_SECURITY_GROUP.type, ACCOUNT_ID, PEERED_REGION, peered)

    result = materialize(
        [security_group_peer, build_relationship_assets()],
        selection=[AssetKey(PEER_TABLE), *(AssetKey(t) for t in ALLOWS_TYPES)],
        resources={"lake": LakeResource(root=lake.root)},
    )
    assert result.success
    checks = {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert set(checks) == {(t, "valid_edges") for t in ALLOWS_TYPES} and all(checks.values()), checks

    def arn(region: str, account: str, resource: str) -> str:
        return f"arn:aws:ec2:{region}:{account}:{resource}"

    con = open_lake(lake.root)
    return {
        "sql": lambda query, *params: con.execute(query, list(params)).fetchall(),
        "group": arn(REGION, ACCOUNT_ID, f"security-group/{group}"),
        "default_group": arn(REGION, ACCOUNT_ID, f"security-group/{default_group}"),
        "partner_access": arn(PEERED_REGION, ACCOUNT_ID, f"security-group/{PARTNER_ACCESS['GroupId']}"),
        "vpc": arn(REGION, ACCOUNT_ID, f"vpc/{vpc_id}"),
        "subnet": arn(REGION, ACCOUNT_ID, f"subnet/{subnet_id}"),
        "ipv6_block": ipv6_block,
    }


def test_each_rule_of_every_shape_is_its_own_edge_to_its_peer(edge_cases):
    group, vpc, subnet, ipv6 = (edge_cases[k] for k in ("group", "vpc", "subnet", "ipv6_block"))
    edges = [edge for edge in allows_edges(edge_cases["sql"]) if edge[2] == group]
    by_rule = {(edge_type, *rest): description for edge_type, _, _, *rest, description in edges}
    ingress, egress = (True, False), (False, True)
    assert by_rule == {
        # A subnet's block points at the subnet, the VPC's blocks (IPv4 and IPv6) at the VPC.
        ("aws_security_group_allows_subnet", subnet, *ingress, "tcp", 1024, 65535, "1024-65535", "10.50.1.0/24"):
            "ephemeral from the subnet",
        ("aws_security_group_allows_vpc", vpc, *ingress, "udp", 53, 53, "53", "10.50.0.0/16"): None,
        ("aws_security_group_allows_vpc", vpc, *ingress, "udp", 53, 53, "53", ipv6): None,
        ("aws_security_group_allows_vpc", vpc, *egress, "udp", 53, 53, "53", "10.50.0.0/16"): None,
        # Two ICMP rules from one range: two edges between the same two entities.
        ("aws_security_group_allows_ip_range", "ip_range:10.99.0.0/16", *ingress, "icmp", 8, -1, "8",
         "10.99.0.0/16"): None,
        ("aws_security_group_allows_ip_range", "ip_range:10.99.0.0/16", *ingress, "icmp", -1, -1, "all",
         "10.99.0.0/16"): None,
        ("aws_security_group_allows_ip_range", "ip_range:52.94.76.0/22", *ingress, "tcp", 0, 65535, "0-65535",
         "52.94.76.0/22"): None,
        ("aws_security_group_allows_ip_range", "ip_range:2001:db8::/64", *ingress, "icmpv6", -1, -1, "all",
         "2001:db8::/64"): None,
        ("aws_security_group_allows_internet", "internet", *ingress, "tcp", 443, 443, "443", "0.0.0.0/0"): None,
        ("aws_security_group_allows_internet", "internet", *ingress, "tcp", 443, 443, "443", "::/0"): None,
        ("aws_security_group_allows_internet", "internet", *egress, "tcp", 443, 443, "443", "::/0"): None,
    }
    assert len(edges) == len(by_rule)
    keys = {edge[1] for edge in edges}
    assert f"{group}|allows|internet|ingress:tcp:443:0.0.0.0/0" in keys
    assert f"{group}|allows|internet|ingress:tcp:443:::/0" in keys
    assert f"{group}|allows|{vpc}|egress:udp:53:10.50.0.0/16" in keys
    assert f"{group}|allows|ip_range:10.99.0.0/16|ingress:icmp:8:10.99.0.0/16" in keys


def test_the_default_group_allows_itself(edge_cases):
    default_group = edge_cases["default_group"]
    self_edges = edge_cases["sql"](
        f"SELECT {EDGE_COLUMNS} FROM aws_security_group_allows_group WHERE _fromEntityKey = ?", default_group)
    assert self_edges == [(default_group, default_group, True, False, "all", 0, 65535, "all", None)]


def test_groups_and_prefix_lists_that_are_not_collected_become_placeholders(edge_cases):
    sql, partner_access = edge_cases["sql"], edge_cases["partner_access"]
    partner = f"arn:aws:ec2:{PEERED_REGION}:{PARTNER_ACCOUNT}:security-group/sg-0partner0bastion01"
    deleted = f"arn:aws:ec2:{PEERED_REGION}:{ACCOUNT_ID}:security-group/sg-0deleted000000001"
    s3_list = f"arn:aws:ec2:{PEERED_REGION}:{ACCOUNT_ID}:prefix-list/pl-68a54001"
    edges = {edge[0:1] + edge[3:] for edge in allows_edges(sql) if edge[2] == partner_access}
    assert edges == {
        ("aws_security_group_allows_group", partner, True, False, "tcp", 22, 22, "22", None, "partner bastion"),
        ("aws_security_group_allows_group", deleted, True, False, "tcp", 5432, 5432, "5432", None, None),
        ("aws_security_group_allows_prefix_list", s3_list, False, True, "tcp", 443, 443, "443", None, "S3"),
    }
    rows = sql("SELECT _key, _type, _class, accountId, region, groupId, prefixListId, placeholder, reason "
               f"FROM {PEER_TABLE} WHERE placeholder ORDER BY _key")
    assert rows == [
        (s3_list, "aws_prefix_list", ["Network"], ACCOUNT_ID, PEERED_REGION, None, "pl-68a54001", True,
         "prefix lists are not collected"),
        (deleted, "aws_security_group", ["Firewall"], ACCOUNT_ID, PEERED_REGION, "sg-0deleted000000001", None, True,
         f"no security group sg-0deleted000000001 in the lake for account {ACCOUNT_ID} in {PEERED_REGION} "
         "(a stale reference)"),
        (partner, "aws_security_group", ["Firewall"], PARTNER_ACCOUNT, PEERED_REGION, "sg-0partner0bastion01", None,
         True, f"the security groups of account {PARTNER_ACCOUNT} in {PEERED_REGION} are not ingested"),
    ]


def test_the_internet_and_each_range_are_network_entities(edge_cases):
    rows = edge_cases["sql"](f"SELECT _key, _type, _class, accountId, CIDR, ipVersion, public, internal "
                             f"FROM {PEER_TABLE} WHERE NOT placeholder ORDER BY _key")
    assert rows == [
        ("internet", "internet", ["Internet", "Network"], None, "0.0.0.0/0", None, True, False),
        ("ip_range:10.99.0.0/16", "ip_range", ["Network"], None, "10.99.0.0/16", 4, False, True),
        # 2001:db8::/32 is reserved for documentation: not globally routable, so not public (and IANA lists it
        # among the special-purpose ranges Python's ipaddress calls private).
        ("ip_range:2001:db8::/64", "ip_range", ["Network"], None, "2001:db8::/64", 6, False, True),
        ("ip_range:52.94.76.0/22", "ip_range", ["Network"], None, "52.94.76.0/22", 4, True, False),
    ]
    # The peers are entities like any other: in the `entities` view, once each.
    assert edge_cases["sql"](
        f"SELECT count(*), count(DISTINCT e._key) FROM entities e JOIN {PEER_TABLE} p ON p._key = e._key"
    ) == [(7, 7)]

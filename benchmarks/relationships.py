"""Seconds and peak memory of the relationship graph over a synthetic lake of a million entities, against pandas.

The lake is generated with pyarrow, vectorised (no collector, no AWS): one Parquet file per account (x region) and
entity type, written with `Lake.write_partition` and each type's exact Arrow schema. Every account holds the same
estate (EstateShape and the *_tables functions): VPCs with subnets and security groups whose rules name the internet,
CIDR ranges, their VPC, a subnet, prefix lists and groups; instances with volumes, key pairs and instance profiles;
RDS clusters and instances; Lambda functions in and out of a VPC; REST APIs integrated with the functions; Config
rules with evaluation results; IAM users in groups with keys, MFA devices, Email tags, inline and managed policies;
roles with instance profiles. Keys follow the collectors' formats (ARNs, `<owner ARN>:inline-policy/<name>`,
`<AWS managed ARN>@<account>`), so that every relationship type finds edges. The `person` table is generated as the
`person` asset would write it; the `security_group_peer` table is derived with the product's own SQL.

Each phase runs in a fresh process, so that its peak RSS (ru_maxrss) is its own:
  generate   the synthetic lake, and a compacted copy of it (the same entities in one file per type and range of
             accounts); a later run with `--keep DIR` and the same parameters reuses them
  product    what the `build_relationships` asset runs, timed step by step: `load_tables` (the tables and
             columns the relationships read, through the snapshot cache), then
             per relationship type `build_edges`, `Lake.write_table`, `check_edges`; three times: over the lake
             with an empty snapshot cache (cold), again after one account was synced again (`resync` rewrites its
             partition files; the warm cache reads only those), and over the compacted copy without a cache, to
             tell the file layout's cost from the queries'
  baseline   the same edges with pandas: read the Parquet (the columns needed), explode list columns, merge, check;
             each type's edge count, edge keys and check results must equal the product's, or the run fails
  dagster    `dagster.materialize` of the `build_relationships` multi-asset on an ephemeral instance, over the lake,
             with the warm snapshot cache

    .venv/bin/python benchmarks/relationships.py [--accounts 200] [--regions 17] [--scale 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from memory import peak_rss_mib  # noqa: E402 - beside this file

from aws_assets.graph.tables import entity_schemas
from aws_assets.inputs.people import (
    DIRECTORY_SOURCE,
    EMAIL_TAG_SOURCE,
    KEY_PREFIX,
    PERSON_CLASS,
    PERSON_SCHEMA,
    PERSON_TYPE,
)
from aws_assets.lake.storage import PARTITION_FILE, Lake
from aws_assets.model.entity import Scope
from aws_assets.model.relationship import relationship_type_name
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.relationships.config import EVALUATED_TYPES
from aws_assets.relationships.security_groups import PEER_ENTITIES_SQL, PEER_TABLE, peer_rows, peer_table
from aws_assets.services.catalog import ENTITY_TYPES, SERVICE_ENTITIES, SERVICES

REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1", "sa-east-1", "eu-south-1", "me-central-1", "af-south-1", "ap-east-1",
    "il-central-1", "ca-west-1", "eu-central-2", "eu-south-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
)
ENVIRONMENTS = ("prod", "dev", "staging", "shared")
EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
TIMESTAMP = pa.timestamp("us", tz="UTC")
POLICY_DOCUMENT = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                                              "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"]}]}
)


@dataclass(frozen=True)
class EstateShape:
    """How many of each resource one account (x region) holds; `scale` multiplies the bulk tiers."""

    scale: int

    # per account and region
    vpcs = 2
    subnets_per_vpc = 4  # the first two subnets of the first VPC are public; the second VPC is private
    security_groups_per_vpc = 5  # the first one is the VPC's default group
    key_pairs = 3
    rds_clusters = 2  # two members each; then two DB instances outside any cluster
    db_instances = 6
    apis = 5
    config_rules = 15
    unattached_volumes = 5
    # per account
    groups = 15
    roles = 120  # ec2-app-0..9 carry instance profiles, lambda-exec-0..9 run the functions
    profile_roles = 10
    lambda_roles = 10
    customer_policies = 50
    aws_managed_policies = 10

    @property
    def instances(self) -> int:
        return 60 * self.scale

    @property
    def volumes(self) -> int:  # a root volume per instance, a data volume per even instance, some unattached
        return self.instances + (self.instances + 1) // 2 + self.unattached_volumes

    @property
    def subnets(self) -> int:
        return self.vpcs * self.subnets_per_vpc

    @property
    def security_groups(self) -> int:
        return self.vpcs * self.security_groups_per_vpc

    @property
    def dynamodb_tables(self) -> int:
        return 20 * self.scale

    @property
    def functions(self) -> int:  # the even ones run in the private VPC
        return 40 * self.scale

    @property
    def users(self) -> int:
        return 150 * self.scale

    @property
    def buckets(self) -> int:
        return 40 * self.scale


# ---- vectorised column helpers ------------------------------------------------------------------------------------

Part = pa.Array | str


def cat(*parts: Part) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def digits(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")


def text(numbers: np.ndarray) -> pa.Array:
    return pa.array(numbers).cast(pa.string())


def pick(options: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    return pa.array(options).take(pa.array(index % len(options)))


def where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """`values` where `mask`, null elsewhere."""
    return pc.if_else(pa.array(mask), values, pa.scalar(None, values.type))


def timestamps(offset_seconds: np.ndarray) -> pa.Array:
    return pa.array(EPOCH_US + offset_seconds.astype(np.int64) * 1_000_000, type=pa.int64()).cast(TIMESTAMP)


def offsets_of(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def elements(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For lists of these lengths laid end to end: each element's row, and its position in the row's list."""
    offsets = offsets_of(lengths)
    row = np.repeat(np.arange(len(lengths)), lengths)
    return row, np.arange(offsets[-1]) - offsets[row]


def lists(lengths: np.ndarray, values: pa.Array, list_type: pa.DataType | None = None) -> pa.Array:
    list_type = list_type or pa.list_(values.type)
    return pa.ListArray.from_arrays(pa.array(offsets_of(lengths)), values, type=list_type)


def structs(struct_type: pa.StructType, fields: dict[str, pa.Array]) -> pa.StructArray:
    """A struct array of exactly `struct_type`; fields not given are null."""
    size = len(next(iter(fields.values())))
    unknown = fields.keys() - {f.name for f in struct_type}
    if unknown:
        raise KeyError(f"{struct_type}: no fields {sorted(unknown)}")
    arrays = [fields[f.name].cast(f.type) if f.name in fields else pa.nulls(size, f.type) for f in struct_type]
    return pa.StructArray.from_arrays(arrays, fields=list(struct_type))


@dataclass(frozen=True)
class Rows:
    """`per_group` rows in each group (partition or account), group-major. `number` is unique across the lake."""

    first_group: int
    groups: int
    per_group: int

    @cached_property
    def group(self) -> np.ndarray:
        return np.repeat(np.arange(self.first_group, self.first_group + self.groups), self.per_group)

    @cached_property
    def index(self) -> np.ndarray:
        return np.tile(np.arange(self.per_group), self.groups)

    @cached_property
    def number(self) -> np.ndarray:
        return self.group * self.per_group + self.index

    def __len__(self) -> int:
        return self.groups * self.per_group


@dataclass(frozen=True)
class Estate:
    """Accounts [first_account, first_account + accounts) of a lake of `total_accounts` x `regions`."""

    total_accounts: int
    regions: tuple[str, ...]
    shape: EstateShape
    first_account: int
    accounts: int

    @cached_property
    def account_ids(self) -> list[str]:
        return [f"{210_000_000_000 + 1013 * a:012d}" for a in range(self.total_accounts)]

    def account_of(self, account: np.ndarray) -> pa.Array:
        return pa.array(self.account_ids).take(pa.array(account))

    def environment_of(self, account: np.ndarray) -> pa.Array:
        return pick(ENVIRONMENTS, account)

    # partitions are numbered account-major: partition = account * len(regions) + region
    def partition_rows(self, per_partition: int) -> Rows:
        count = len(self.regions)
        return Rows(self.first_account * count, self.accounts * count, per_partition)

    def account_rows(self, per_account: int) -> Rows:
        return Rows(self.first_account, self.accounts, per_account)

    def region_of(self, partition: np.ndarray) -> pa.Array:
        return pa.array(self.regions).take(pa.array(partition % len(self.regions)))

    def arn_prefix(self, service: str, partition: np.ndarray) -> pa.Array:
        """`arn:aws:<service>:<region>:<account>:` of each row's partition."""
        account = self.account_of(partition // len(self.regions))
        return cat(f"arn:aws:{service}:", self.region_of(partition), ":", account, ":")

    def iam_prefix(self, account: np.ndarray) -> pa.Array:
        return cat("arn:aws:iam::", self.account_of(account), ":")


REGIONAL_TYPES = frozenset(t.type for s in SERVICES for t in s.entity_types if s.scope is Scope.REGION)
Tables = dict[str, tuple[Rows, pa.Table]]


def entity_table(entity_type: str, estate: Estate, rows: Rows, columns: dict[str, Any]) -> tuple[Rows, pa.Table]:
    """A table of exactly the entity type's schema. `_type`, `_class`, `accountId`, `region`, `displayName`, `tags`
    (Name and env) are derived; `arn` is the `_key` unless given (None for no ARN); other columns are null."""
    declared = ENTITY_TYPES[entity_type]
    schema = declared.schema
    unknown = columns.keys() - set(schema.names)
    if unknown:
        raise KeyError(f"{entity_type}: the generator fills undeclared columns {sorted(unknown)}")
    size = len(rows)
    columns = {k: constant(v, size) if k in ("name", "displayName") and isinstance(v, str) else v
               for k, v in columns.items()}
    regional = entity_type in REGIONAL_TYPES
    account = rows.group // len(estate.regions) if regional else rows.group
    classes = np.full(size, len(declared.classes), dtype=np.int32)
    derived: dict[str, Any] = {
        "_type": constant(entity_type, size),
        "_class": lists(classes, pick(declared.classes, np.arange(classes.sum()))),
        "accountId": estate.account_of(account),
        "region": estate.region_of(rows.group) if regional else "global",
        "arn": columns["_key"],
        "displayName": columns["name"],
        "tags": _tags(columns.get("displayName", columns["name"]), estate.environment_of(account)),
        **columns,
    }
    arrays = []
    for field in schema:
        value = derived.get(field.name)
        if value is None:
            arrays.append(pa.nulls(size, field.type))
        elif isinstance(value, np.ndarray):
            arrays.append(pa.array(value).cast(field.type))
        elif isinstance(value, (bool, int, str)):
            arrays.append(constant(value, size).cast(field.type))
        else:
            arrays.append(value.cast(field.type))
    return rows, pa.Table.from_arrays(arrays, schema=schema)


def _tags(names: pa.Array, environments: pa.Array) -> pa.Array:
    """`{"Name": <name>, "env": <environment>}` per row."""
    size = len(names)
    keys = pick(("Name", "env"), np.arange(2 * size))
    interleaved = np.stack([np.arange(size), np.arange(size) + size], axis=1).ravel()
    values = pa.concat_arrays([names.cast(pa.string()), environments]).take(pa.array(interleaved))
    return pa.MapArray.from_arrays(pa.array(np.arange(0, 2 * size + 1, 2, dtype=np.int32)), keys, values)


def constant(value: Any, size: int) -> pa.Array:
    return pa.array([value]).take(pa.array(np.zeros(size, dtype=np.int64)))


def ids(prefix: str, numbers: np.ndarray, width: int = 17) -> pa.Array:
    """AWS-style resource IDs (`vpc-000...42`), unique across the lake because `numbers` are."""
    return cat(prefix, digits(numbers, width))


# ---- the estate, entity type by entity type -------------------------------------------------------------------------
# Identifiers number each resource across the lake (unique, like AWS IDs); local indexes inside the partition or the
# account (`rows.index`) decide the linkage: which subnet, groups, volumes, key pair, profile, role, policies.


class Ec2Ids:
    """The ID of the `local`-th VPC, subnet, group, volume or instance of a partition."""

    def __init__(self, shape: EstateShape) -> None:
        self.shape = shape

    def vpc(self, partition: np.ndarray, local: np.ndarray) -> pa.Array:
        return ids("vpc-", partition * self.shape.vpcs + local)

    def subnet(self, partition: np.ndarray, local: np.ndarray) -> pa.Array:
        return ids("subnet-", partition * self.shape.subnets + local)

    def group(self, partition: np.ndarray, local: np.ndarray) -> pa.Array:
        return ids("sg-", partition * self.shape.security_groups + local)

    def volume(self, partition: np.ndarray, local: np.ndarray) -> pa.Array:
        return ids("vol-", partition * self.shape.volumes + local)

    def instance(self, partition: np.ndarray, local: np.ndarray) -> pa.Array:
        return ids("i-", partition * self.shape.instances + local)


def subnet_cidr(shape: EstateShape, local: np.ndarray) -> pa.Array:
    return cat("10.", text(local // shape.subnets_per_vpc), ".", text(local), ".0/24")


@dataclass(frozen=True)
class Rule:
    """A security group rule of the estate; the peer is one of a CIDR, a prefix list, a group (local index, or
    STALE_GROUP for a group deleted since), the group's own VPC or a subnet of it (local index)."""

    protocol: str
    ports: tuple[int, int] | None = None
    cidr: str | None = None
    prefix_list: bool = False
    group: int | None = None
    vpc: bool = False
    subnet: int | None = None


STALE_GROUP = -1


def rules_of_group(shape: EstateShape, local: int, ingress: bool) -> list[Rule]:
    """Default groups admit their own members; two groups are open to the internet (IPv4 and IPv6); the others
    admit their VPC, a subnet, a prefix list and the default group, and reach the internet on 443 and another
    network on 5432. The last group still names a group deleted since."""
    vpc = local % shape.vpcs
    if local < shape.vpcs:
        return [Rule("-1", group=local)] if ingress else [Rule("-1", cidr="0.0.0.0/0")]
    if local < 2 * shape.vpcs:
        if ingress:
            return [Rule("tcp", (443, 443), cidr="0.0.0.0/0"), Rule("tcp", (443, 443), cidr="::/0")]
        return [Rule("-1", cidr="0.0.0.0/0")]
    if not ingress:
        return [Rule("tcp", (443, 443), cidr="0.0.0.0/0"), Rule("tcp", (5432, 5432), cidr="10.50.0.0/16")]
    rules = [
        Rule("tcp", (8080, 8080), vpc=True), Rule("tcp", (22, 22), subnet=vpc * shape.subnets_per_vpc),
        Rule("tcp", (22, 22), prefix_list=True), Rule("tcp", (1024, 65535), group=vpc),
    ]
    return rules + [Rule("tcp", (5432, 5432), group=STALE_GROUP)] if local == shape.security_groups - 1 else rules


def security_group_rules(estate: Estate, groups: Rows, ingress: bool) -> pa.Array:
    """The `ingressRules` or `egressRules` list column: each partition's groups have the rules of rules_of_group."""
    shape, ec2 = estate.shape, Ec2Ids(estate.shape)
    template = [rules_of_group(shape, local, ingress) for local in range(shape.security_groups)]
    flat = [rule for rules in template for rule in rules]
    counts = np.tile(np.array([len(rules) for rules in template], dtype=np.int32), groups.groups)
    row, position = elements(counts)
    rule = offsets_of(np.array([len(rules) for rules in template]))[groups.index[row]] + position
    partition, vpc = groups.group[row], groups.index[row] % shape.vpcs

    def column(values: list[Any], type_: pa.DataType) -> pa.Array:
        return pa.array(values, type_).take(pa.array(rule))

    def mask(test: Callable[[Rule], bool]) -> np.ndarray:
        return np.array([test(r) for r in flat], dtype=bool)[rule]

    referenced = np.array([r.group if r.group is not None else 0 for r in flat])[rule]
    cidr = column([r.cidr for r in flat], pa.string())
    cidr = pc.if_else(pa.array(mask(lambda r: r.vpc)), cat("10.", text(vpc), ".0.0/16"), cidr)
    subnet = np.array([r.subnet or 0 for r in flat])[rule]
    cidr = pc.if_else(pa.array(mask(lambda r: r.subnet is not None)), subnet_cidr(shape, subnet), cidr)
    group_ids = pc.if_else(
        pa.array(referenced == STALE_GROUP), ids("sg-deleted", partition, 10), ec2.group(partition, referenced)
    )
    rule_type = ENTITY_TYPES["aws_security_group"].schema.field("ingressRules").type
    return lists(counts, structs(rule_type.value_type, {
        "ipProtocol": column([r.protocol for r in flat], pa.string()),
        "fromPort": column([r.ports[0] if r.ports else None for r in flat], pa.int64()),
        "toPort": column([r.ports[1] if r.ports else None for r in flat], pa.int64()),
        "cidrIpv4": where(np.array([r.cidr is None or ":" not in r.cidr for r in flat])[rule], cidr),
        "cidrIpv6": where(mask(lambda r: r.cidr is not None and ":" in r.cidr), cidr),
        "prefixListId": where(mask(lambda r: r.prefix_list), ids("pl-", partition)),
        "referencedGroupId": where(mask(lambda r: r.group is not None), group_ids),
        "description": column(["managed by terraform"] * len(flat), pa.string()),
    }), rule_type)


def network_tables(estate: Estate) -> Tables:
    shape, ec2 = estate.shape, Ec2Ids(estate.shape)
    regions = len(estate.regions)

    vpcs = estate.partition_rows(shape.vpcs)
    vpc = ec2.vpc(vpcs.group, vpcs.index)
    public_vpc = vpcs.index == 0  # the first VPC has an internet gateway
    cidr = cat("10.", text(vpcs.index), ".0.0/16")
    one = np.ones(len(vpcs), dtype=np.int32)

    subnets = estate.partition_rows(shape.subnets)
    subnet = ec2.subnet(subnets.group, subnets.index)
    public_subnet = (subnets.index // shape.subnets_per_vpc == 0) & (subnets.index % shape.subnets_per_vpc < 2)

    groups = estate.partition_rows(shape.security_groups)
    group = ec2.group(groups.group, groups.index)
    # Group `local` belongs to VPC `local % vpcs`; the first group of each VPC is its default group.
    default_group = groups.index < shape.vpcs
    open_group = (groups.index >= shape.vpcs) & (groups.index < 2 * shape.vpcs)
    group_name = pc.if_else(pa.array(default_group), "default", cat("app-", text(groups.index)))
    no_ipv6 = lists(np.zeros(len(vpcs), dtype=np.int32), pa.array([], pa.string()))

    key_pairs = estate.partition_rows(shape.key_pairs)
    key_name = cat("ops-key-", text(key_pairs.index))
    return {
        "aws_vpc": entity_table("aws_vpc", estate, vpcs, {
            "_key": cat(estate.arn_prefix("ec2", vpcs.group), "vpc/", vpc), "name": vpc,
            "CIDR": cidr, "public": public_vpc, "internal": ~public_vpc, "vpcId": vpc,
            "ownerId": estate.account_of(vpcs.group // regions), "isDefault": False, "state": "available",
            "cidrBlocks": lists(one, cidr), "ipv6CidrBlocks": no_ipv6, "instanceTenancy": "default",
            "dhcpOptionsId": ids("dopt-", vpcs.group),
            "internetGatewayIds": lists(public_vpc.astype(np.int32), ids("igw-", vpcs.number[public_vpc])),
        }),
        "aws_subnet": entity_table("aws_subnet", estate, subnets, {
            "_key": cat(estate.arn_prefix("ec2", subnets.group), "subnet/", subnet), "name": subnet,
            "CIDR": subnet_cidr(shape, subnets.index), "public": public_subnet, "internal": ~public_subnet,
            "subnetId": subnet, "vpcId": ec2.vpc(subnets.group, subnets.index // shape.subnets_per_vpc),
            "ownerId": estate.account_of(subnets.group // regions), "state": "available",
            "availabilityZone": cat(estate.region_of(subnets.group), pick("abc", subnets.index)),
            "ipv6CidrBlocks": lists(np.zeros(len(subnets), dtype=np.int32), pa.array([], pa.string())),
            "availableIpAddressCount": np.full(len(subnets), 250), "mapPublicIpOnLaunch": public_subnet,
            "defaultForAz": False, "routeTableId": ids("rtb-", subnets.number),
        }),
        "aws_security_group": entity_table("aws_security_group", estate, groups, {
            "_key": cat(estate.arn_prefix("ec2", groups.group), "security-group/", group), "name": group_name,
            "category": lists(np.ones(len(groups), dtype=np.int32), constant("network", len(groups))),
            "groupId": group, "groupName": group_name, "description": "managed by terraform",
            "vpcId": ec2.vpc(groups.group, groups.index % shape.vpcs),
            "ownerId": estate.account_of(groups.group // regions), "isDefault": default_group,
            "openToInternet": open_group,
            "ingressRules": security_group_rules(estate, groups, ingress=True),
            "egressRules": security_group_rules(estate, groups, ingress=False),
        }),
        "aws_key_pair": entity_table("aws_key_pair", estate, key_pairs, {
            "_key": cat(estate.arn_prefix("ec2", key_pairs.group), "key-pair/", key_name), "name": key_name,
            "createdOn": timestamps(key_pairs.number % 86_400), "active": True, "keyName": key_name,
            "keyPairId": ids("key-", key_pairs.number), "keyFingerprint": cat("SHA256:", digits(key_pairs.number, 43)),
            "keyType": "ed25519",
        }),
    }


def compute_tables(estate: Estate) -> Tables:
    shape, ec2 = estate.shape, Ec2Ids(estate.shape)
    regions = len(estate.regions)

    instances = estate.partition_rows(shape.instances)
    account = instances.group // regions
    local_subnet = instances.index % shape.subnets
    local_vpc = local_subnet // shape.subnets_per_vpc
    public_instance = (local_vpc == 0) & (local_subnet % shape.subnets_per_vpc < 2)
    instance = ec2.instance(instances.group, instances.index)
    # One or two of the groups of the instance's VPC (locals vpc, vpc + vpcs, ...).
    group_count = (1 + (instances.index % 3 != 0)).astype(np.int32)
    group_row, group_position = elements(group_count)
    group_local = local_vpc[group_row] + shape.vpcs * (
        (instances.index[group_row] + group_position) % shape.security_groups_per_vpc
    )
    # A root volume for every instance, a data volume for the even ones (see the volumes below).
    volume_count = (1 + (instances.index % 2 == 0)).astype(np.int32)
    volume_row, volume_position = elements(volume_count)
    volume_local = np.where(
        volume_position == 0, instances.index[volume_row], shape.instances + instances.index[volume_row] // 2
    )
    volume_ids = ec2.volume(instances.group[volume_row], volume_local)
    mapping_type = ENTITY_TYPES["aws_instance"].schema.field("blockDeviceMappings").type
    launched = timestamps(instances.number % 31_536_000)
    dns = cat("ip-10-", text(local_vpc), "-", text(local_subnet), "-", text(instances.index % 250 + 4), ".ec2.internal")

    volumes = estate.partition_rows(shape.volumes)
    volume = ec2.volume(volumes.group, volumes.index)
    is_root = volumes.index < shape.instances
    is_data = (volumes.index >= shape.instances) & (volumes.index < shape.volumes - shape.unattached_volumes)
    attached = is_root | is_data
    attached_local = np.where(is_root, volumes.index, 2 * (volumes.index - shape.instances))[attached]
    attached_instance = ec2.instance(volumes.group[attached], attached_local)
    attachment_type = ENTITY_TYPES["aws_ebs_volume"].schema.field("attachments").type
    return {
        "aws_instance": entity_table("aws_instance", estate, instances, {
            "_key": cat(estate.arn_prefix("ec2", instances.group), "instance/", instance), "name": instance,
            "displayName": cat(estate.environment_of(account), "-app-", digits(instances.index, 4)),
            "createdOn": launched, "hostname": dns, "instanceId": instance,
            "instanceType": pick(("t3.micro", "m6i.large", "c7g.xlarge", "r6i.2xlarge"), instances.index),
            "state": pc.if_else(pa.array(instances.index % 10 == 9), "stopped", "running"),
            "imageId": ids("ami-", instances.group % 97), "launchTime": launched,
            "availabilityZone": cat(estate.region_of(instances.group), pick("abc", local_subnet)),
            "privateIpAddress": cat(
                "10.", text(local_vpc), ".", text(local_subnet), ".", text(instances.index % 250 + 4)
            ),
            "publicIpAddress": where(
                public_instance, cat("54.", text(instances.number % 250), ".", text(instances.index % 250), ".7")
            ),
            "privateDnsName": dns, "public": public_instance,
            "vpcId": ec2.vpc(instances.group, local_vpc), "subnetId": ec2.subnet(instances.group, local_subnet),
            "securityGroupIds": lists(group_count, ec2.group(instances.group[group_row], group_local)),
            "keyName": where(instances.index % 5 != 0, cat("ops-key-", text(instances.index % shape.key_pairs))),
            "instanceProfileArn": where(
                instances.index % 4 != 0,
                cat(estate.iam_prefix(account), "instance-profile/ec2-app-",
                    text(instances.index % shape.profile_roles)),
            ),
            "platformDetails": "Linux/UNIX", "architecture": "x86_64", "monitoringState": "disabled",
            "metadataHttpEndpoint": "enabled", "metadataHttpTokens": pick(("required", "optional"), instances.index),
            "rootDeviceName": "/dev/xvda", "ebsVolumeIds": lists(volume_count, volume_ids),
            "blockDeviceMappings": lists(volume_count, structs(mapping_type.value_type, {
                "deviceName": pc.if_else(pa.array(volume_position == 0), "/dev/xvda", "/dev/sdf"),
                "volumeId": volume_ids, "deleteOnTermination": pa.array(volume_position == 0),
                "attachTime": launched.take(pa.array(volume_row)),
            }), mapping_type),
        }),
        "aws_ebs_volume": entity_table("aws_ebs_volume", estate, volumes, {
            "_key": cat(estate.arn_prefix("ec2", volumes.group), "volume/", volume), "name": volume,
            "createdOn": timestamps(volumes.number % 31_536_000), "encrypted": volumes.index % 3 != 0,
            "volumeId": volume, "size": np.where(is_root, 8, 100), "volumeType": "gp3",
            "iops": np.full(len(volumes), 3000), "throughput": np.full(len(volumes), 125),
            "state": pc.if_else(pa.array(attached), "in-use", "available"),
            "availabilityZone": cat(estate.region_of(volumes.group), "a"), "multiAttachEnabled": False,
            "attachedInstanceIds": lists(attached.astype(np.int32), attached_instance),
            "attachments": lists(attached.astype(np.int32), structs(attachment_type.value_type, {
                "instanceId": attached_instance,
                "device": pc.if_else(pa.array(is_root[attached]), "/dev/xvda", "/dev/sdf"),
                "deleteOnTermination": pa.array(is_root[attached]),
                "state": constant("attached", int(attached.sum())),
            }), attachment_type),
        }),
    }


def database_tables(estate: Estate) -> Tables:
    shape, ec2 = estate.shape, Ec2Ids(estate.shape)
    # The database group is the last group of each VPC; DB instances sit in their VPC's last two subnets.
    database_group = shape.vpcs * (shape.security_groups_per_vpc - 1)

    clusters = estate.partition_rows(shape.rds_clusters)
    cluster_name = cat("cluster-", text(clusters.index))
    members = np.full(len(clusters), 2, dtype=np.int32)
    member_row, member_position = elements(members)
    one = np.ones(len(clusters), dtype=np.int32)

    instances = estate.partition_rows(shape.db_instances)
    instance_name = cat("db-", text(instances.index))
    in_cluster = instances.index < 2 * shape.rds_clusters  # db-0, db-1 in cluster-0; db-2, db-3 in cluster-1
    vpc_local = instances.index % shape.vpcs
    subnet_count = np.full(len(instances), 2, dtype=np.int32)
    subnet_row, subnet_position = elements(subnet_count)
    subnet_local = vpc_local[subnet_row] * shape.subnets_per_vpc + 2 + subnet_position

    tables = estate.partition_rows(shape.dynamodb_tables)
    table_name = cat("table-", digits(tables.index, 4))
    return {
        "aws_rds_cluster": entity_table("aws_rds_cluster", estate, clusters, {
            "_key": cat(estate.arn_prefix("rds", clusters.group), "cluster:", cluster_name), "name": cluster_name,
            "encrypted": True, "dbClusterIdentifier": cluster_name, "engine": "aurora-postgresql",
            "engineVersion": "16.4", "status": "available", "multiAz": True, "deletionProtection": True,
            "backupRetentionPeriod": np.full(len(clusters), 7), "port": np.full(len(clusters), 5432),
            "vpcSecurityGroupIds": lists(one, ec2.group(clusters.group, database_group + clusters.index % shape.vpcs)),
            "memberInstanceIdentifiers": lists(
                members, cat("db-", text(2 * clusters.index[member_row] + member_position))
            ),
            "writerInstanceIdentifier": cat("db-", text(2 * clusters.index)),
            "endpoint": cat(cluster_name, ".cluster-abc.rds.amazonaws.com"), "publiclyAccessible": False,
        }),
        "aws_db_instance": entity_table("aws_db_instance", estate, instances, {
            "_key": cat(estate.arn_prefix("rds", instances.group), "db:", instance_name), "name": instance_name,
            "encrypted": instances.index % 5 != 4, "hostname": cat(instance_name, ".abc.rds.amazonaws.com"),
            "dbInstanceIdentifier": instance_name, "dbInstanceClass": "db.r6g.large",
            "engine": pc.if_else(pa.array(in_cluster), "aurora-postgresql", "postgres"), "status": "available",
            "vpcSecurityGroupIds": lists(np.ones(len(instances), dtype=np.int32),
                                         ec2.group(instances.group, database_group + vpc_local)),
            "publiclyAccessible": False, "port": np.full(len(instances), 5432),
            "dbClusterIdentifier": where(in_cluster, cat("cluster-", text(instances.index // 2))),
            "vpcId": ec2.vpc(instances.group, vpc_local),
            "subnetIds": lists(subnet_count, ec2.subnet(instances.group[subnet_row], subnet_local)),
        }),
        "aws_dynamodb_table": entity_table("aws_dynamodb_table", estate, tables, {
            "_key": cat(estate.arn_prefix("dynamodb", tables.group), "table/", table_name), "name": table_name,
            "encrypted": True, "tableName": table_name, "tableId": ids("", tables.number, 32), "status": "ACTIVE",
            "itemCount": tables.number % 100_000, "sizeBytes": (tables.number % 100_000) * 512,
            "billingMode": "PAY_PER_REQUEST", "sseType": "KMS", "pointInTimeRecoveryEnabled": tables.index % 2 == 0,
        }),
    }


def application_tables(estate: Estate) -> Tables:
    shape, ec2 = estate.shape, Ec2Ids(estate.shape)
    regions = len(estate.regions)

    functions = estate.partition_rows(shape.functions)
    function_name = cat("fn-", digits(functions.index, 4))
    function_arn = cat(estate.arn_prefix("lambda", functions.group), "function:", function_name)
    # The even functions run in the private VPC (the last one): two of its subnets, one of its groups.
    in_vpc = functions.index % 2 == 0
    vpc_local = shape.vpcs - 1
    attached = in_vpc.astype(np.int32)
    turn = functions.index // 2
    subnet_count = 2 * attached
    subnet_row, subnet_position = elements(subnet_count)
    subnet_local = vpc_local * shape.subnets_per_vpc + (turn[subnet_row] + subnet_position) % shape.subnets_per_vpc
    group_local = vpc_local + shape.vpcs * (turn[in_vpc] % shape.security_groups_per_vpc)

    apis = estate.partition_rows(shape.apis)
    api_id = digits(apis.number, 10)
    # Four methods per API: GET and POST /items invoke one function, GET /orders another (on the last API a function
    # that no longer exists: no edge), GET /health is an HTTP integration.
    methods = np.full(len(apis), 4, dtype=np.int32)
    method_row, method_position = elements(methods)
    method_api = apis.index[method_row]
    target = np.where(method_position < 2, 3 * method_api, 3 * method_api + 1) % shape.functions
    deleted = (method_position == 2) & (method_api == shape.apis - 1)
    target_arn = cat(
        estate.arn_prefix("lambda", apis.group[method_row]), "function:",
        pc.if_else(pa.array(deleted), "fn-deleted", cat("fn-", digits(target, 4))),
    )
    is_lambda = method_position < 3
    integration_type = ENTITY_TYPES["aws_api_gateway_rest_api"].schema.field("integrations").type
    region_of_method = estate.region_of(apis.group[method_row])

    rules = estate.partition_rows(shape.config_rules)
    rule_name = cat("rule-", digits(rules.index, 3))
    evaluations = rule_evaluations(estate, rules)
    return {
        "aws_lambda_function": entity_table("aws_lambda_function", estate, functions, {
            "_key": function_arn, "name": function_name,
            "runtime": pick(("python3.12", "nodejs20.x", "java21"), functions.index),
            "functionName": function_name, "handler": "app.handler",
            "role": cat(estate.iam_prefix(functions.group // regions), "role/lambda-exec-",
                        text(functions.index % shape.lambda_roles)),
            "memorySize": np.full(len(functions), 512), "timeout": np.full(len(functions), 30),
            "codeSize": functions.number % 10_000_000, "codeSha256": digits(functions.number, 44),
            "lastModified": timestamps(functions.number % 31_536_000), "version": "$LATEST", "packageType": "Zip",
            "architectures": lists(np.ones(len(functions), dtype=np.int32), constant("arm64", len(functions))),
            "vpcId": where(in_vpc, ec2.vpc(functions.group, np.full(len(functions), vpc_local))),
            "subnetIds": lists(subnet_count, ec2.subnet(functions.group[subnet_row], subnet_local)),
            "securityGroupIds": lists(attached, ec2.group(functions.group[in_vpc], group_local)),
            "tracingMode": "PassThrough",
        }),
        "aws_api_gateway_rest_api": entity_table("aws_api_gateway_rest_api", estate, apis, {
            "_key": cat("arn:aws:apigateway:", estate.region_of(apis.group), "::/restapis/", api_id),
            "name": cat("api-", text(apis.index)), "category": lists(np.ones(len(apis), dtype=np.int32),
                                                                   constant("application", len(apis))),
            "function": "api-gateway", "public": True, "restApiId": api_id,
            "endpointTypes": lists(np.ones(len(apis), dtype=np.int32), constant("REGIONAL", len(apis))),
            "apiKeySource": "HEADER", "disableExecuteApiEndpoint": False,
            "integrations": lists(methods, structs(integration_type.value_type, {
                "resourcePath": pick(("/items", "/items", "/orders", "/health"), method_position),
                "httpMethod": pick(("GET", "POST", "GET", "GET"), method_position),
                "authorizationType": pick(("AWS_IAM", "AWS_IAM", "NONE", "NONE"), method_position),
                "apiKeyRequired": pa.array(np.zeros(len(method_position), dtype=bool)),
                "integrationType": pc.if_else(pa.array(is_lambda), "AWS_PROXY", "HTTP"),
                "integrationUri": pc.if_else(
                    pa.array(is_lambda),
                    cat("arn:aws:apigateway:", region_of_method, ":lambda:path/2015-03-31/functions/", target_arn,
                        "/invocations"),
                    "https://status.example.com/health",
                ),
                "lambdaFunctionArn": where(is_lambda, target_arn),
            }), integration_type),
        }),
        "aws_config_rule": entity_table("aws_config_rule", estate, rules, {
            "_key": cat(estate.arn_prefix("config", rules.group), "config-rule/config-rule-", digits(rules.number, 8)),
            "name": rule_name,
            "category": lists(np.ones(len(rules), dtype=np.int32), constant("compliance", len(rules))),
            "configRuleName": rule_name, "configRuleId": cat("config-rule-", digits(rules.number, 8)),
            "state": "ACTIVE", "sourceOwner": "AWS", "sourceIdentifier": "CUSTOM_CHECK", "evaluations": evaluations,
        }),
    }


# Results of a rule: ten resources, then an older result for the first one, then a resource deleted since.
EVALUATIONS_PER_RULE, OLDER_RESULT, DELETED_RESOURCE = 12, 10, 11


def rule_evaluations(estate: Estate, rules: Rows) -> pa.Array:
    """Rule `local` evaluates resources of type EVALUATED_TYPES[local % len] (relationships/config.py): ten of its
    partition or account, one of them twice (the older result must lose), and one that no longer exists. A rule on
    the account has the one result."""
    per_rule = np.array([
        1 if EVALUATED_TYPES[local % len(EVALUATED_TYPES)].entity_type == "aws_account" else EVALUATIONS_PER_RULE
        for local in range(rules.per_group)
    ], dtype=np.int32)
    row, position = elements(np.tile(per_rule, rules.groups))
    kind = rules.index[row] % len(EVALUATED_TYPES)
    resource = rules.index[row] * 7 + np.where(position == OLDER_RESULT, 0, position)
    parts = []
    for number, evaluated in enumerate(EVALUATED_TYPES):
        chosen = np.flatnonzero(kind == number)
        parts.append((chosen, evaluated_ids(estate, evaluated.entity_type, rules.group[row][chosen], resource[chosen])))
    order = np.concatenate([chosen for chosen, _ in parts])
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    resource_id = pa.concat_arrays([found for _, found in parts]).take(pa.array(inverse))
    deleted = position == DELETED_RESOURCE
    recorded = rules.number[row] % 86_400 + 86_400 * (position != OLDER_RESULT)
    evaluation_type = ENTITY_TYPES["aws_config_rule"].schema.field("evaluations").type
    return lists(np.tile(per_rule, rules.groups), structs(evaluation_type.value_type, {
        "resourceType": pick([e.config_type for e in EVALUATED_TYPES], kind),
        "resourceId": pc.if_else(pa.array(deleted), cat("deleted-", text(row)), resource_id),
        "complianceType": pick(("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"), position),
        "resultRecordedTime": timestamps(recorded),
        "annotation": where(position % 3 == 1, constant("versioning is off", len(row))),
    }), evaluation_type)


def evaluated_ids(estate: Estate, entity_type: str, partition: np.ndarray, local: np.ndarray) -> pa.Array:
    """AWS Config's identifier of the `local`-th resource of the type in the partition (or its account)."""
    shape, ec2, iam = estate.shape, Ec2Ids(estate.shape), IamIds(estate)
    account = partition // len(estate.regions)
    by_type: dict[str, Callable[[], pa.Array]] = {
        "aws_account": lambda: estate.account_of(account),
        "aws_instance": lambda: ec2.instance(partition, local % shape.instances),
        "aws_security_group": lambda: ec2.group(partition, local % shape.security_groups),
        "aws_ebs_volume": lambda: ec2.volume(partition, local % shape.volumes),
        "aws_iam_user": lambda: iam.user_id(account, local % shape.users),
        "aws_iam_group": lambda: iam.group_id(account, local % shape.groups),
        "aws_iam_role": lambda: iam.role_id(account, local % shape.roles),
        "aws_s3_bucket": lambda: iam.bucket_name(account, local % shape.buckets),
    }
    if entity_type not in by_type:
        raise KeyError(f"aws_assets/relationships/config.py: rules evaluate {entity_type}; teach evaluated_ids in "
                       f"{__file__} its AWS Config identifier")
    return by_type[entity_type]()


class IamIds:
    """Names, ARNs and IDs of the IAM principals and buckets of an account, by local index; shared by the tables
    and by the Config rules that evaluate them."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.shape = estate.shape

    @property
    def people(self) -> int:  # about three users (in different accounts) per person
        return max(1, self.estate.total_accounts * self.shape.users // 3)

    def person(self, account: np.ndarray, user: np.ndarray) -> np.ndarray:
        return (account * self.shape.users + user) % self.people

    def user_name(self, account: np.ndarray, user: np.ndarray) -> pa.Array:
        """`user-0042`, or for every tenth user the email of its person (the integration maps such names)."""
        named_by_email = pa.array(user % 10 == 9)
        return pc.if_else(named_by_email, person_email(self.person(account, user)), cat("user-", digits(user, 4)))

    def user_arn(self, account: np.ndarray, user: np.ndarray) -> pa.Array:
        return cat(self.estate.iam_prefix(account), "user/", self.user_name(account, user))

    def user_id(self, account: np.ndarray, user: np.ndarray) -> pa.Array:
        return cat("AIDA", digits(account * self.shape.users + user, 17))

    def group_id(self, account: np.ndarray, group: np.ndarray) -> pa.Array:
        return cat("AGPA", digits(account * self.shape.groups + group, 17))

    def role_id(self, account: np.ndarray, role: np.ndarray) -> pa.Array:
        return cat("AROA", digits(account * self.shape.roles + role, 17))

    def bucket_name(self, account: np.ndarray, bucket: np.ndarray) -> pa.Array:
        return cat("bucket-", self.estate.account_of(account), "-", digits(bucket, 4))

    def customer_policy(self, account: np.ndarray, index: np.ndarray) -> pa.Array:
        return cat(self.estate.iam_prefix(account), "policy/policy-", digits(index % self.shape.customer_policies, 2))

    def aws_policy(self, index: np.ndarray) -> pa.Array:
        return cat("arn:aws:iam::aws:policy/AwsManaged", digits(index % self.shape.aws_managed_policies, 2))


def person_email(person: np.ndarray) -> pa.Array:
    return cat("person-", digits(person, 7), "@example.com")


def iam_tables(estate: Estate) -> Tables:
    shape, iam = estate.shape, IamIds(estate)

    users = estate.account_rows(shape.users)
    user_name = iam.user_name(users.group, users.index)
    user_arn = iam.user_arn(users.group, users.index)
    customer_attached = users.index % 3 == 0
    inline_user = users.index % 5 == 0
    mfa = users.index % 2 == 0
    # Every user but each seventh has an Email tag naming its person; a third of the tags are not normalised.
    tagged = users.index % 7 != 6
    person = iam.person(users.group, users.index)
    email_tag = pc.if_else(pa.array(users.index % 3 == 0), cat("Person-", digits(person, 7), "@Example.com "),
                           person_email(person))
    # Each user has an access key, every third a second (inactive) one.
    key_counts = (1 + (np.arange(shape.users) % 3 == 0)).astype(np.int32)
    key_user_template, key_position_template = elements(key_counts)

    keys = estate.account_rows(len(key_user_template))
    key_user, key_position = key_user_template[keys.index], key_position_template[keys.index]
    key_id = cat("AKIA", digits(keys.number, 16))

    devices = estate.account_rows((shape.users + 1) // 2)  # the even users have an MFA device
    device_user = iam.user_name(devices.group, 2 * devices.index)
    serial = cat(estate.iam_prefix(devices.group), "mfa/", device_user)

    groups = estate.account_rows(shape.groups)
    group_name = cat("group-", text(groups.index))
    group_arn = cat(estate.iam_prefix(groups.group), "group/", group_name)
    # User k is a member of group k % groups.
    member_counts = np.tile(
        np.array([len(range(q, shape.users, shape.groups)) for q in range(shape.groups)], dtype=np.int32), groups.groups
    )
    member_row, member_position = elements(member_counts)
    two = np.full(len(groups), 2, dtype=np.int32)
    group_policy_row, group_policy_position = elements(two)

    roles = estate.account_rows(shape.roles)
    role_names = [
        *(f"ec2-app-{k}" for k in range(shape.profile_roles)),
        *(f"lambda-exec-{k}" for k in range(shape.lambda_roles)),
        *(f"service-role-{k:03d}" for k in range(shape.profile_roles + shape.lambda_roles, shape.roles)),
    ]
    role_name = pick(role_names, roles.index)
    role_prefix = estate.iam_prefix(roles.group)
    role_arn = cat(role_prefix, "role/", role_name)
    carries_profile = roles.index < shape.profile_roles
    role_policies = (1 + (roles.index % 2 == 0)).astype(np.int32)
    role_policy_row, role_policy_position = elements(role_policies)

    user_policies = estate.account_rows(len(range(0, shape.users, 5)))  # users 0, 5, 10, ... have one

    policies = estate.account_rows(shape.customer_policies + shape.aws_managed_policies)
    is_aws = policies.index >= shape.customer_policies
    policy_arn = pc.if_else(
        pa.array(is_aws),
        iam.aws_policy(policies.index - shape.customer_policies),
        iam.customer_policy(policies.group, policies.index),
    )
    policy_name = pc.list_element(pc.split_pattern(policy_arn, "/"), 1)
    inline = {"document": POLICY_DOCUMENT, "admin": False}
    return {
        "aws_iam_user": entity_table("aws_iam_user", estate, users, {
            "_key": user_arn, "name": user_name, "username": user_name, "active": True,
            "userId": iam.user_id(users.group, users.index), "path": "/", "passwordEnabled": users.index % 4 != 3,
            "mfaEnabled": mfa, "mfaDeviceCount": mfa.astype(np.int64),
            "accessKeyCount": np.tile(key_counts, users.groups).astype(np.int64),
            "activeAccessKeyCount": np.ones(len(users), dtype=np.int64),
            "groupNames": lists(np.ones(len(users), dtype=np.int32), cat("group-", text(users.index % shape.groups))),
            "attachedPolicyArns": lists(customer_attached.astype(np.int32), iam.customer_policy(
                users.group[customer_attached], users.index[customer_attached])),
            "inlinePolicyNames": lists(inline_user.astype(np.int32), constant("inline-user", int(inline_user.sum()))),
            "email": where(tagged, email_tag),
        }),
        "aws_iam_access_key": entity_table("aws_iam_access_key", estate, keys, {
            "_key": key_id, "name": key_id, "arn": None, "accessKeyId": key_id,
            "userName": iam.user_name(keys.group, key_user), "userArn": iam.user_arn(keys.group, key_user),
            "status": pc.if_else(pa.array(key_position == 0), "Active", "Inactive"), "active": key_position == 0,
            "lastUsedDate": timestamps(keys.number % 2_592_000), "lastUsedService": "s3", "lastUsedRegion": "us-east-1",
        }),
        "mfa_device": entity_table("mfa_device", estate, devices, {
            "_key": serial, "name": device_user, "serialNumber": serial, "userName": device_user,
            "userArn": iam.user_arn(devices.group, 2 * devices.index),
            "enableDate": timestamps(devices.number % 31_536_000), "virtual": True, "active": True,
        }),
        "aws_iam_group": entity_table("aws_iam_group", estate, groups, {
            "_key": group_arn, "name": group_name, "groupId": iam.group_id(groups.group, groups.index),
            "groupName": group_name, "path": "/",
            "attachedPolicyArns": lists(two, pc.if_else(
                pa.array(group_policy_position == 0),
                iam.customer_policy(groups.group[group_policy_row], groups.index[group_policy_row]),
                iam.aws_policy(groups.index[group_policy_row]),
            )),
            "inlinePolicyNames": lists(np.ones(len(groups), dtype=np.int32), constant("inline-group", len(groups))),
            "memberUserNames": lists(member_counts, iam.user_name(
                groups.group[member_row], groups.index[member_row] + shape.groups * member_position)),
        }),
        "aws_iam_role": entity_table("aws_iam_role", estate, roles, {
            "_key": role_arn, "name": role_name, "roleId": iam.role_id(roles.group, roles.index),
            "roleName": role_name, "path": "/", "maxSessionDuration": np.full(len(roles), 3600),
            "trustPolicy": POLICY_DOCUMENT,
            "attachedPolicyArns": lists(role_policies, pc.if_else(
                pa.array(role_policy_position == 0),
                iam.customer_policy(roles.group[role_policy_row], roles.index[role_policy_row]),
                iam.aws_policy(roles.index[role_policy_row]),
            )),
            "inlinePolicyNames": lists(np.ones(len(roles), dtype=np.int32), constant("inline-role", len(roles))),
            "instanceProfileArns": lists(carries_profile.astype(np.int32), cat(
                role_prefix.filter(pa.array(carries_profile)), "instance-profile/",
                role_name.filter(pa.array(carries_profile)))),
            "lastUsedDate": timestamps(roles.number % 2_592_000), "serviceLinked": False,
        }),
        "aws_iam_user_policy": entity_table("aws_iam_user_policy", estate, user_policies, {
            "_key": cat(iam.user_arn(user_policies.group, 5 * user_policies.index), ":inline-policy/inline-user"),
            "name": "inline-user", "policyName": "inline-user", **inline,
            "userName": iam.user_name(user_policies.group, 5 * user_policies.index),
            "userArn": iam.user_arn(user_policies.group, 5 * user_policies.index),
        }),
        "aws_iam_group_policy": entity_table("aws_iam_group_policy", estate, groups, {
            "_key": cat(group_arn, ":inline-policy/inline-group"), "name": "inline-group", "policyName": "inline-group",
            **inline, "groupName": group_name, "groupArn": group_arn,
        }),
        "aws_iam_role_policy": entity_table("aws_iam_role_policy", estate, roles, {
            "_key": cat(role_arn, ":inline-policy/inline-role"), "name": "inline-role", "policyName": "inline-role",
            **inline, "admin": roles.index == 0, "roleName": role_name, "roleArn": role_arn,
        }),
        "aws_iam_policy": entity_table("aws_iam_policy", estate, policies, {
            # An AWS managed policy has one ARN in every account: its key carries the account.
            "_key": pc.if_else(pa.array(is_aws), cat(policy_arn, "@", estate.account_of(policies.group)), policy_arn),
            "arn": policy_arn, "name": policy_name, "policyName": policy_name,
            "policyId": cat("ANPA", digits(policies.number, 17)), "path": "/", "awsManaged": is_aws,
            "defaultVersionId": "v1", "document": POLICY_DOCUMENT, "attachmentCount": np.full(len(policies), 3),
            "isAttachable": True, "admin": False,
        }),
    }


def person_table(estate: Estate) -> pa.Table:
    """The `person` table over the whole lake: nine people in ten come from the directory, the others exist only
    because an IAM user's Email tag names them (as the `person` asset builds it)."""
    count = IamIds(estate).people
    number = np.arange(count)
    email = person_email(number)
    from_directory = number % 10 != 0
    first, last = cat("First", text(number)), cat("Last", text(number))
    full_name = cat(first, " ", last)
    columns = {
        "_key": cat(KEY_PREFIX, email), "_type": constant(PERSON_TYPE, count),
        "_class": lists(np.ones(count, dtype=np.int32), constant(PERSON_CLASS, count)),
        "name": pc.if_else(pa.array(from_directory), full_name, email),
        "displayName": pc.if_else(pa.array(from_directory), full_name, email),
        "tags": pa.MapArray.from_arrays(pa.array(np.zeros(count + 1, dtype=np.int32)), pa.array([], pa.string()),
                                        pa.array([], pa.string())),
        "email": email, "firstName": where(from_directory, first), "lastName": where(from_directory, last),
        "source": pc.if_else(pa.array(from_directory), DIRECTORY_SOURCE, EMAIL_TAG_SOURCE),
        "createdFromEmailTag": pa.array(~from_directory),
    }
    return pa.Table.from_arrays(
        [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(count, f.type) for f in PERSON_SCHEMA],
        schema=PERSON_SCHEMA,
    )


def account_tables(estate: Estate) -> Tables:
    shape = estate.shape
    accounts = estate.account_rows(1)
    account_id = estate.account_of(accounts.group)
    tables: Tables = {
        "aws_account": entity_table("aws_account", estate, accounts, {
            "_key": cat("arn:aws:iam::", account_id, ":root"),
            "name": cat("acme-", estate.environment_of(accounts.group), "-", text(accounts.group)),
            "aliases": lists(np.ones(len(accounts), dtype=np.int32), cat("acme-", text(accounts.group))),
            "rootMfaEnabled": True, "userCount": np.full(len(accounts), shape.users),
            "roleCount": np.full(len(accounts), shape.roles), "passwordPolicyPresent": True,
        }),
    }
    for service_type in (entity.type for entity in SERVICE_ENTITIES):
        tables[service_type] = entity_table(service_type, estate, accounts, {
            "_key": cat(f"{service_type}:", account_id), "arn": None, "name": service_type.removeprefix("aws_").upper(),
            "category": lists(np.ones(len(accounts), dtype=np.int32), constant("infrastructure", len(accounts))),
            "function": "infrastructure",
        })
    buckets = estate.account_rows(shape.buckets)
    bucket = IamIds(estate).bucket_name(buckets.group, buckets.index)
    tables["aws_s3_bucket"] = entity_table("aws_s3_bucket", estate, buckets, {
        "_key": cat("arn:aws:s3:::", bucket), "name": bucket, "encrypted": True, "bucketName": bucket,
        "encryptionAlgorithm": "aws:kms", "blockPublicAcls": True, "ignorePublicAcls": True,
        "blockPublicPolicy": True, "restrictPublicBuckets": True, "public": False,
        "versioningStatus": pick(("Enabled", "Suspended"), buckets.index),
    })
    return tables


GENERATORS: tuple[Callable[[Estate], Tables], ...] = (
    network_tables, compute_tables, database_tables, application_tables, iam_tables, account_tables,
)


# ---- phase: generate ------------------------------------------------------------------------------------------------


GENERATION_CHUNKS = 8  # account ranges generated in parallel; each is also one file per table of the compacted copy


def write_accounts(
    roots: tuple[str, str], total_accounts: int, regions: tuple[str, ...], scale: int, first: int, count: int
) -> tuple[dict[str, int], float]:
    """Generates accounts [first, first + count) and writes them to the lake, one Parquet file per partition and
    entity type, and to the compacted copy, one file per entity type. Returns the rows per type and the seconds
    spent writing the compacted copy."""
    lake_root, compacted_root = roots
    estate = Estate(total_accounts, regions, EstateShape(scale), first, count)
    lake = Lake(lake_root)
    written: dict[str, int] = {}
    compacting = 0.0
    for generator in GENERATORS:
        for entity_type, (rows, table) in generator(estate).items():
            written[entity_type] = table.num_rows
            regional = entity_type in REGIONAL_TYPES
            for position in range(rows.groups):
                group = rows.first_group + position
                account, region = divmod(group, len(regions)) if regional else (group, None)
                partition = table.slice(position * rows.per_group, rows.per_group)
                lake.write_partition(
                    entity_type, estate.account_ids[account], regions[region] if region is not None else None, partition
                )
            began = time.perf_counter()
            # Not a partition of the product's layout: `open_lake` reads `<table>/**/data.parquet` whatever the path.
            chunk = Path(compacted_root, entity_type, f"accounts-{first:05d}", PARTITION_FILE)
            chunk.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, chunk)
            compacting += time.perf_counter() - began
    return written, compacting


def phase_generate(args: argparse.Namespace) -> dict[str, Any]:
    regions = REGIONS[: args.regions]
    workers = os.cpu_count() or 1
    step = max(1, -(-args.accounts // GENERATION_CHUNKS))
    chunks = [(first, min(step, args.accounts - first)) for first in range(0, args.accounts, step)]
    started = time.perf_counter()
    counts: dict[str, int] = dict.fromkeys(ENTITY_TYPES, 0)
    compacting = 0.0
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(write_accounts, (args.root, args.compacted), args.accounts, regions, args.scale, first, count)
            for first, count in chunks
        ]
        for future in futures:
            written, seconds = future.result()
            compacting += seconds
            for entity_type, rows in written.items():
                counts[entity_type] += rows
    people = person_table(Estate(args.accounts, regions, EstateShape(args.scale), 0, args.accounts))
    for root in (args.root, args.compacted):
        Lake(root).write_table(PERSON_TYPE, people)
    counts[PERSON_TYPE] = people.num_rows
    began = time.perf_counter()
    peers = security_group_peers(args.compacted)
    for root in (args.root, args.compacted):
        Lake(root).write_table(PEER_TABLE, peers)
    counts[PEER_TABLE] = peers.num_rows
    peer_seconds = time.perf_counter() - began
    seconds = time.perf_counter() - started
    return {
        "counts": counts,
        "seconds": seconds,
        "compacting_seconds": compacting,  # of the processes' time, writing the compacted copy
        "peer_seconds": peer_seconds,
        "files": len(parquet_files(args.root)),
        "bytes": sum(f.stat().st_size for f in parquet_files(args.root)),
        "compacted_files": len(parquet_files(args.compacted)),
        "compacted_bytes": sum(f.stat().st_size for f in parquet_files(args.compacted)),
        "workers": workers,
        "peak_rss_mib": max(peak_rss_mib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def security_group_peers(root: str) -> pa.Table:
    """The `security_group_peer` table (the internet, CIDR ranges, placeholders) as the `security_group_peer` asset
    (aws_assets/defs/assets/network.py) derives it from the security groups, VPCs and subnets; here over the compacted
    copy, which holds the same entities and reads faster."""
    from aws_assets.graph.tables import open_lake

    peers = open_lake(root).execute(PEER_ENTITIES_SQL)
    names = [column[0] for column in peers.description]
    return peer_table(peer_rows(dict(zip(names, row)) for row in peers.fetchall()))


def parquet_files(root: str) -> list[Path]:
    return list(Path(root).rglob(PARTITION_FILE))


# ---- timing ---------------------------------------------------------------------------------------------------------


class Clock:
    """Wall and CPU seconds per step. CPU seconds count every thread of the process (DuckDB's two) and suffer less
    than wall seconds from other processes sharing the machine."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.last = 0.0  # wall seconds of the latest step

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.last = time.perf_counter() - wall
            self.wall[name] = self.wall.get(name, 0.0) + self.last
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def result(self) -> dict[str, Any]:
        return {"wall": self.wall, "cpu": self.cpu, "seconds": sum(self.wall.values()),
                "cpu_seconds": sum(self.cpu.values())}


# ---- phase: product -------------------------------------------------------------------------------------------------


def phase_product(args: argparse.Namespace) -> dict[str, Any]:
    """What the `build_relationships` asset runs (aws_assets/graph/edges.py, as aws_assets/defs/assets/relationships.py
    calls it), with a clock per step, reading the lake through the snapshot cache in `--cache` (none when empty)."""
    from aws_assets.graph.edges import build_edges, check_edges, columns_read, endpoint_tables
    from aws_assets.graph.tables import load_tables
    from aws_assets.lake.snapshot import LakeSnapshot

    floor = peak_rss_mib()
    lake = Lake(args.root)
    snapshot = LakeSnapshot(lake, args.cache or None)
    clock = Clock()
    relationships = list(RELATIONSHIP_TYPES.values())
    with clock.step("load"):
        con = load_tables(snapshot, columns_read(relationships))
    types = []
    for relationship in relationships:
        seconds = {}
        with clock.step("build"):
            edges = build_edges(con, relationship)
        seconds["build"] = clock.last
        with clock.step("write"):
            lake.write_table(relationship.type, edges)
        seconds["write"] = clock.last
        with clock.step("check"):
            problems = check_edges(con, edges, endpoint_tables(relationship), relationship.parallel_edges)
        seconds["check"] = clock.last
        types.append({"type": relationship.type, "edges": edges.num_rows, **seconds, "problems": problems})
    [(threads,)] = con.execute("SELECT current_setting('threads')").fetchall()
    return {
        **clock.result(),
        "types": types,
        "tables_loaded": len(columns_read(relationships)),
        "columns_loaded": sum(len(c) for c in columns_read(relationships).values()),
        "files": snapshot.stats.files,
        "files_read": snapshot.stats.read_files,
        "files_reused": snapshot.stats.reused_files,
        "duckdb_threads": threads,
        "rss_after_imports_mib": floor,
        "peak_rss_mib": peak_rss_mib(),
    }


def phase_resync(args: argparse.Namespace) -> dict[str, Any]:
    """One account synced again: every partition file of the first account rewritten (same rows, a new file), as
    its sync would leave the lake."""
    lake = Lake(args.root)
    account = sorted(Path(args.root, "aws_account").iterdir())[0].name.removeprefix("account=")
    rewritten = 0
    started = time.perf_counter()
    for path in sorted(Path(args.root).glob(f"*/account={account}/**/{PARTITION_FILE}")):
        parts = path.relative_to(args.root).parts
        region = parts[2].removeprefix("region=") if len(parts) == 4 else None
        lake.write_partition(parts[0], account, region, pq.read_table(path))
        rewritten += 1
    return {"account": account, "files": rewritten, "seconds": time.perf_counter() - started}


# ---- phase: baseline (pandas) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class End:
    """One end of an edge: the entity table and the column the join matches; a list column is exploded, and
    `field` picks the matched field of a list of structs."""

    table: str
    column: str
    field: str | None = None
    where: tuple[str, str] | None = None  # (struct field, value): only the list elements whose field has the value


SAME_PLACE = ("accountId", "region")
SAME_ACCOUNT = ("accountId",)


@dataclass(frozen=True)
class BaselineEdges:
    """The edges of one relationship type as a pandas merge of its two ends."""

    source: End
    target: End
    scope: tuple[str, ...]  # columns both ends must share besides the joined one
    account_of_source: bool  # the edge's accountId is the source's, else the target's
    distinct: bool = False

    def reads(self) -> dict[str, set[str]]:
        reads: dict[str, set[str]] = {}
        for end in (self.source, self.target):
            reads.setdefault(end.table, set()).update({"_key", "accountId", *self.scope, end.column})
        return reads

    def compute(self, frames: dict[str, Any]) -> Any:
        import pandas as pd

        source = self._end_frame(frames, self.source, "s")
        target = self._end_frame(frames, self.target, "t")
        merged = source.merge(
            target,
            left_on=[f"s.{c}" for c in (*self.scope, self.source.column)],
            right_on=[f"t.{c}" for c in (*self.scope, self.target.column)],
        )
        account = "s.accountId" if self.account_of_source else "t.accountId"
        edges = pd.DataFrame({"from": merged["s._key"], "to": merged["t._key"], "accountId": merged[account]})
        return edges.drop_duplicates() if self.distinct else edges

    def _end_frame(self, frames: dict[str, Any], end: End, alias: str) -> Any:
        columns = list(dict.fromkeys(["_key", "accountId", *self.scope, end.column]))
        frame = frames[end.table][columns]
        frame.columns = [f"{alias}.{c}" for c in columns]
        joined = f"{alias}.{end.column}"
        if pa.types.is_list(entity_schemas()[end.table].field(end.column).type):
            frame = frame.explode(joined)
            frame = frame[frame[joined].notna()]
            if end.where is not None:
                where_field, value = end.where
                frame = frame[frame[joined].map(lambda struct: struct[where_field] == value).astype(bool)]
            if end.field is not None:
                field = end.field
                frame[joined] = frame[joined].map(lambda struct: struct[field])
            frame = frame[frame[joined].notna()].astype({joined: "str"})
        # SQL never matches NULL; pandas would match missing values with each other.
        return frame[frame[joined].notna()]


def baseline_specs() -> dict[str, Baseline]:
    """The pandas equivalent of every declared relationship type (aws_assets/relationships/*.py), by type."""
    specs: dict[tuple[str, str, str], BaselineEdges] = {}
    for entity in SERVICE_ENTITIES:
        service_type = entity.type
        specs["aws_account", "HAS", service_type] = BaselineEdges(
            End("aws_account", "accountId"), End(service_type, "accountId"), (), account_of_source=True
        )
        for member in (member.type for member in (*entity.members, *entity.members_beyond_spec)):
            specs[service_type, "HAS", member] = BaselineEdges(
                End(service_type, "accountId"), End(member, "accountId"), (), account_of_source=False
            )
    for protected, column in (("aws_instance", "securityGroupIds"), ("aws_db_instance", "vpcSecurityGroupIds"),
                              ("aws_rds_cluster", "vpcSecurityGroupIds"), ("aws_lambda_function", "securityGroupIds")):
        specs["aws_security_group", "PROTECTS", protected] = BaselineEdges(
            End("aws_security_group", "groupId"), End(protected, column), SAME_PLACE, False, distinct=True
        )
    specs.update({
        ("aws_instance", "USES", "aws_ebs_volume"): BaselineEdges(
            End("aws_instance", "blockDeviceMappings", "volumeId"), End("aws_ebs_volume", "volumeId"), SAME_PLACE, True
        ),
        ("aws_vpc", "CONTAINS", "aws_subnet"): BaselineEdges(
            End("aws_vpc", "vpcId"), End("aws_subnet", "vpcId"), SAME_PLACE, False
        ),
        ("aws_instance", "USES", "aws_key_pair"): BaselineEdges(
            End("aws_instance", "keyName"), End("aws_key_pair", "keyName"), SAME_PLACE, True
        ),
        ("aws_instance", "USES", "aws_iam_role"): BaselineEdges(
            End("aws_instance", "instanceProfileArn"), End("aws_iam_role", "instanceProfileArns"), SAME_ACCOUNT, True
        ),
        ("aws_subnet", "HAS", "aws_instance"): BaselineEdges(
            End("aws_subnet", "subnetId"), End("aws_instance", "subnetId"), SAME_PLACE, False
        ),
        ("aws_vpc", "HAS", "aws_security_group"): BaselineEdges(
            End("aws_vpc", "vpcId"), End("aws_security_group", "vpcId"), SAME_PLACE, False
        ),
        ("aws_subnet", "HAS", "aws_lambda_function"): BaselineEdges(
            End("aws_subnet", "subnetId"), End("aws_lambda_function", "subnetIds"), SAME_PLACE, False, distinct=True
        ),
        ("aws_vpc", "HAS", "aws_lambda_function"): BaselineEdges(
            End("aws_vpc", "vpcId"), End("aws_lambda_function", "vpcId"), SAME_PLACE, False
        ),
        ("aws_iam_group", "CONTAINS", "aws_iam_user"): BaselineEdges(
            End("aws_iam_group", "memberUserNames"), End("aws_iam_user", "username"), SAME_ACCOUNT, True
        ),
        ("aws_lambda_function", "HAS", "aws_iam_role"): BaselineEdges(
            End("aws_lambda_function", "role"), End("aws_iam_role", "_key"), (), True
        ),
        # GROUP BY API and function in the SQL: one edge per pair, like DISTINCT.
        ("aws_api_gateway_rest_api", "TRIGGERS", "aws_lambda_function"): BaselineEdges(
            End("aws_api_gateway_rest_api", "integrations", "lambdaFunctionArn"), End("aws_lambda_function", "_key"),
            (), True, distinct=True,
        ),
        ("aws_rds_cluster", "CONTAINS", "aws_db_instance"): BaselineEdges(
            End("aws_rds_cluster", "dbClusterIdentifier"), End("aws_db_instance", "dbClusterIdentifier"), SAME_PLACE,
            False,
        ),
    })
    for principal in ("aws_iam_group", "aws_iam_role", "aws_iam_user"):
        kind = principal.removeprefix("aws_iam_")
        specs[principal, "HAS", f"aws_iam_{kind}_policy"] = BaselineEdges(
            End(principal, "_key"), End(f"aws_iam_{kind}_policy", f"{kind}Arn"), (), False
        )
        specs[principal, "HAS", "aws_iam_policy"] = BaselineEdges(
            End(principal, "attachedPolicyArns"), End("aws_iam_policy", "arn"), SAME_ACCOUNT, True
        )
    for credential in ("aws_iam_access_key", "mfa_device"):
        specs["aws_iam_user", "HAS", credential] = BaselineEdges(
            End("aws_iam_user", "_key"), End(credential, "userArn"), (), True
        )
    # One edge per rule and resource, whichever result is the latest (the SQL's QUALIFY picks the properties).
    for evaluated in EVALUATED_TYPES:
        specs["aws_config_rule", "EVALUATES", evaluated.entity_type] = BaselineEdges(
            End("aws_config_rule", "evaluations", "resourceId", where=("resourceType", evaluated.config_type)),
            End(evaluated.entity_type, evaluated.id_column), SAME_PLACE if evaluated.same_region else SAME_ACCOUNT,
            True, distinct=True,
        )
    by_type: dict[str, Baseline] = {relationship_type_name(*triple): spec for triple, spec in specs.items()}
    by_type[relationship_type_name("aws_iam_user", "IS", PERSON_TYPE)] = PersonBaseline()
    return by_type


class PersonBaseline:
    """`aws_iam_user IS person` (relationships/person.py): by the Email tag, or by a user name that is the email of a
    directory person; one edge per user and person."""

    def reads(self) -> dict[str, set[str]]:
        return {"aws_iam_user": {"_key", "accountId", "email", "username"}, PERSON_TYPE: {"_key", "email", "source"}}

    def compute(self, frames: dict[str, Any]) -> Any:
        import pandas as pd

        users, people = frames["aws_iam_user"], frames[PERSON_TYPE][["_key", "email", "source"]]
        by_tag = users.assign(normalised=users["email"].str.strip().str.lower()).merge(
            people, left_on="normalised", right_on="email", suffixes=("", "_person")
        )
        by_name = users.assign(normalised=users["username"].str.strip().str.lower()).merge(
            people[people["source"] == DIRECTORY_SOURCE], left_on="normalised", right_on="email",
            suffixes=("", "_person"),
        )
        matches = pd.concat([by_tag, by_name], ignore_index=True)
        edges = pd.DataFrame({"from": matches["_key"], "to": matches["_key_person"], "accountId": matches["accountId"]})
        return edges.drop_duplicates(["from", "to"])


Baseline = BaselineEdges | PersonBaseline


def phase_baseline(args: argparse.Namespace) -> dict[str, Any]:
    import pandas as pd

    floor = peak_rss_mib()
    lake = Lake(args.root)
    specs = {name: spec for name, spec in baseline_specs().items() if name in RELATIONSHIP_TYPES}
    reads: dict[str, set[str]] = {t: {"_key"} for t in entity_schemas()}  # every key, for the endpoint check
    for spec in specs.values():
        for table, columns in spec.reads().items():
            reads[table].update(columns)

    clock = Clock()
    with clock.step("read"):
        frames = {
            table: ds.dataset(lake.table_url(table), format="parquet").to_table(columns=sorted(columns)).to_pandas()
            for table, columns in reads.items()
            if lake.has_table(table)
        }
        entity_keys = pd.Index(pd.concat([f["_key"] for f in frames.values()], ignore_index=True).unique())
    types, keys_by_type, ends = [], {}, []
    for name, spec in specs.items():
        seconds = {}
        with clock.step("build"):
            edges = spec.compute(frames)
            keys = edges["from"] + f"|{RELATIONSHIP_TYPES[name].verb.lower()}|" + edges["to"]
        seconds["build"] = clock.last
        with clock.step("check"):
            problems = {
                "unique_keys": int(keys.duplicated().sum()),
                "no_duplicate_edges": int(edges.duplicated(["from", "to"]).sum()),
            }
        seconds["check"] = clock.last
        keys_by_type[name] = keys
        ends.append(edges[["from", "to"]])
        types.append({"type": name, "edges": len(edges), **seconds, "problems": problems})
    # Both ends of every edge of every type looked up at once: each lookup in a pandas 3.1 index of a million
    # Arrow-backed strings costs a fixed 0.3 s or more (Series.isin: 7 s), too much to pay per type.
    with clock.step("check"):
        every_end = pd.concat(ends, ignore_index=True)
        dangling = (entity_keys.get_indexer(every_end["from"]) < 0) | (entity_keys.get_indexer(every_end["to"]) < 0)
        first_edge = offsets_of(np.array([t["edges"] for t in types]))
        for entry, first, last in zip(types, first_edge[:-1], first_edge[1:]):
            entry["problems"]["endpoints_exist"] = int(dangling[first:last].sum())
    peak = peak_rss_mib()

    # Not timed: the edge keys must be exactly the product's, as written to the lake by the product phase.
    for entry in types:
        product = pq.read_table(lake.partition_path(entry["type"]), columns=["_key"])["_key"]
        ours = pa.array(keys_by_type[entry["type"]].to_numpy(), pa.string())
        entry["same_keys_as_product"] = bool(
            len(ours) == len(product) and pc.all(pc.is_in(ours, product)).as_py()
            and pc.all(pc.is_in(product, ours)).as_py()
        )
    return {
        **clock.result(),
        "types": types,
        "not_computed": sorted(set(RELATIONSHIP_TYPES) - set(specs)),
        "rss_after_imports_mib": floor,
        "peak_rss_mib": peak,
    }


# ---- phase: dagster -------------------------------------------------------------------------------------------------


def phase_dagster(args: argparse.Namespace) -> dict[str, Any]:
    from dagster import DagsterInstance, materialize

    from aws_assets.defs.assets.relationships import build_relationship_assets
    from aws_assets.defs.resources import LakeResource

    floor = peak_rss_mib()
    assets = build_relationship_assets()
    with DagsterInstance.ephemeral() as instance:
        clock = Clock()
        with clock.step("materialize"):
            result = materialize([assets], resources={"lake": LakeResource(root=args.root, cache_folder=args.cache)},
                             instance=instance)
        loaded = [
            float(match.group(1))
            for record in instance.all_logs(result.run_id)
            if (match := re.search(r"loaded .* partition files .* in ([0-9.]+)s", record.user_message or ""))
        ]
        checks = result.get_asset_check_evaluations()
        return {
            **clock.result(),
            "success": result.success,
            "materializations": len(result.get_asset_materialization_events()),
            "checks": len(checks),
            "checks_passed": sum(check.passed for check in checks),
            "asset_load_seconds": loaded[0] if loaded else None,
            "rss_after_imports_mib": floor,
            "peak_rss_mib": peak_rss_mib(),
        }


# ---- orchestration and report -----------------------------------------------------------------------------------


PHASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "generate": phase_generate,
    "product": phase_product,
    "resync": phase_resync,
    "baseline": phase_baseline,
    "dagster": phase_dagster,
}


@dataclass(frozen=True)
class Work:
    """Where the run keeps its lakes and the phases' results."""

    folder: Path

    @property
    def lake(self) -> str:
        return str(self.folder / "lake")

    @property
    def compacted(self) -> str:
        """The same entities in one file per entity type and generation chunk."""
        return str(self.folder / "lake-compacted")

    @property
    def cache(self) -> str:
        """The snapshot cache of the product's runs over the lake."""
        return str(self.folder / "cache")

    @property
    def generated(self) -> Path:
        return self.folder / "generated.json"


def run_phase(
    phase: str, root: str, args: argparse.Namespace, work: Work, label: str | None = None, cache: str = ""
) -> dict[str, Any]:
    """The phase in a fresh Python process, so that its peak RSS is its own; `cache` is the snapshot cache folder
    (none: every partition file is read)."""
    label = label or phase
    result_file = work.folder / f"{label}.json"
    command = [
        sys.executable, __file__, "--phase", phase, "--root", root, "--compacted", work.compacted,
        "--result", str(result_file), "--accounts", str(args.accounts), "--regions", str(args.regions),
        "--scale", str(args.scale), "--cache", cache,
    ]
    log_file = work.folder / f"{label}.log"  # Dagster logs every event: kept out of the report unless it fails
    with log_file.open("w") as log:
        finished = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if finished.returncode != 0:
        print(log_file.read_text()[-20_000:], file=sys.stderr)
        raise SystemExit(f"phase {label} failed (exit status {finished.returncode}); its output is above")
    return json.loads(result_file.read_text())


def remove_edge_tables(root: str) -> None:
    """Every phase that builds the edges starts from the entity tables alone, so that what the baseline compares
    with is what the last phase wrote."""
    for relationship_type in RELATIONSHIP_TYPES:
        shutil.rmtree(Path(root, relationship_type), ignore_errors=True)


def generated_lake(args: argparse.Namespace, work: Work) -> dict[str, Any]:
    """Generates the lakes, or reuses those a kept folder holds for the same parameters."""
    parameters = {"accounts": args.accounts, "regions": args.regions, "scale": args.scale}
    if work.generated.exists():
        earlier = json.loads(work.generated.read_text())
        if earlier["parameters"] != parameters:
            raise SystemExit(f"--keep {work.folder}: holds a lake of {earlier['parameters']}, not {parameters}; "
                             "give another folder")
        return {**earlier["generate"], "reused": True}
    result = run_phase("generate", work.lake, args, work)
    work.generated.write_text(json.dumps({"parameters": parameters, "generate": result}))
    return result


def timed(phase: dict[str, Any], step: str) -> str:
    return f"{phase['wall'].get(step, 0.0):>8.2f}s {phase['cpu'].get(step, 0.0):>8.2f}s"


def print_product(title: str, product: dict[str, Any]) -> None:
    types = product["types"]
    print(f"\n== {title} ==")
    heading = f"step (DuckDB threads: {product['duckdb_threads']})"
    print(f"  {heading:<34} {'wall':>9} {'CPU':>9}")
    print(f"  {'load (snapshot + lake)':<34} {timed(product, 'load')}  {product['tables_loaded']} tables, "
          f"{product['columns_loaded']} columns; {product['files']:,} partition files: {product['files_read']:,} "
          f"read from the lake, {product['files_reused']:,} from the snapshot")
    print(f"  {f'build_edges ({len(types)} types)':<34} {timed(product, 'build')}")
    print(f"  {'Lake.write_table':<34} {timed(product, 'write')}")
    print(f"  {'check_edges':<34} {timed(product, 'check')}")
    print(f"  {'total':<34} {product['seconds']:>8.2f}s {product['cpu_seconds']:>8.2f}s  "
          f"{sum(t['edges'] for t in types):,} edges; peak RSS {product['peak_rss_mib']:,.0f} MiB "
          f"(after imports {product['rss_after_imports_mib']:,.0f} MiB)")
    print("  the 5 slowest relationship types (wall seconds):")
    for t in sorted(types, key=lambda t: -(t["build"] + t["write"] + t["check"]))[:5]:
        print(f"    {t['type']:<50} {t['edges']:>9,} edges  build {t['build']:.2f}s  write {t['write']:.2f}s  "
              f"check {t['check']:.2f}s")


def report(runs: dict[str, Any], args: argparse.Namespace) -> int:
    """Prints every figure; returns the exit status: 1 when the baseline disagrees with the product, a check fails,
    a relationship type finds no edge or a table the relationships read is not generated."""
    from aws_assets.graph.edges import tables_read

    generated, product, compacted, baseline = runs["generate"], runs["product"], runs["compacted"], runs["baseline"]
    dagster = runs.get("dagster")
    entities = sum(generated["counts"].values())
    print(f"\n== synthetic lake: {args.accounts} accounts x {args.regions} regions, scale {args.scale} ==")
    for entity_type, count in sorted(generated["counts"].items(), key=lambda item: -item[1]):
        print(f"  {entity_type:<28} {count:>10,}")
    print(f"  {'total entities':<28} {entities:>10,}")
    how = "reused from an earlier run, generated" if generated.get("reused") else "generated"
    print(f"  {generated['files']:,} Parquet files (one per partition and type), {mib(generated['bytes'])} on disk; "
          f"{how} in {generated['seconds']:.1f}s by {generated['workers']} processes, peak RSS "
          f"{generated['peak_rss_mib']:,.0f} MiB; including {generated['compacting_seconds']:.1f}s of their time "
          f"writing the compacted copy ({generated['compacted_files']} files, {mib(generated['compacted_bytes'])}) "
          f"and {generated['peer_seconds']:.1f}s deriving {PEER_TABLE} with the product's SQL")
    read = {table for relationship in RELATIONSHIP_TYPES.values() for table in tables_read(relationship)}
    missing = sorted(t for t in read if not generated["counts"].get(t))
    if missing:
        print(f"  NOT GENERATED, though relationships read them: {', '.join(missing)}")

    print_product("product over the lake, cold (empty snapshot cache): load_tables, then per type "
                  "build_edges, Lake.write_table, check_edges", product)
    types = product["types"]
    failing = [t for t in types if any(t["problems"].values())]
    empty = [t["type"] for t in types if t["edges"] == 0]
    for t in failing:
        print(f"  CHECK FAILED {t['type']}: {t['problems']}")
    if empty:
        print(f"  NO EDGES (the synthetic lake does not link these types): {', '.join(empty)}")
    resync, warm = runs["resync"], runs["warm"]
    print_product(f"the same after one account was synced again ({resync['files']} partition files of "
                  f"{resync['account']} rewritten), warm snapshot cache", warm)
    for t in warm["types"]:
        if t["edges"] != by_type_of(types)[t["type"]]["edges"] or any(t["problems"].values()):
            failing.append(t)
            print(f"  WARM RUN DIFFERS {t['type']}: {t['edges']:,} edges {t['problems']}")
    print_product("the same over the compacted copy (the same entities in one file per type and account range), "
                  "no snapshot cache", compacted)

    by_type = {t["type"]: t for t in types}
    mismatches = [
        t for t in baseline["types"]
        if t["edges"] != by_type[t["type"]]["edges"] or not t["same_keys_as_product"]
        or t["problems"] != by_type[t["type"]]["problems"]
    ]
    computed = f"{len(baseline['types'])} of {len(types)} relationship types"
    print(f"\n== baseline: pandas merges, {computed}, over the lake ==")
    print(f"  {'step':<34} {'wall':>9} {'CPU':>9}")
    print(f"  {'read the Parquet (needed columns)':<34} {timed(baseline, 'read')}")
    print(f"  {'explode, merge, edge keys':<34} {timed(baseline, 'build')}")
    print(f"  {'checks (duplicated, get_indexer)':<34} {timed(baseline, 'check')}")
    print(f"  {'total':<34} {baseline['seconds']:>8.2f}s {baseline['cpu_seconds']:>8.2f}s  "
          f"{sum(t['edges'] for t in baseline['types']):,} edges; peak RSS {baseline['peak_rss_mib']:,.0f} MiB "
          f"(after imports {baseline['rss_after_imports_mib']:,.0f} MiB)")
    if baseline["not_computed"]:
        print(f"  not computed by the baseline: {', '.join(baseline['not_computed'])}")
    for t in mismatches:
        print(f"  MISMATCH {t['type']}: baseline {t['edges']:,} edges {t['problems']}, product "
              f"{by_type[t['type']]['edges']:,} edges {by_type[t['type']]['problems']}, same edge keys: "
              f"{t['same_keys_as_product']}")
    if not mismatches:
        print("  every type it computes: the product's edge count, edge keys and check results")

    if dagster is not None:
        print("\n== dagster.materialize([build_relationships]) on an ephemeral instance, over the lake, warm snapshot "
              "cache ==")
        print(f"  {'succeeded' if dagster['success'] else 'FAILED'}: {dagster['materializations']} materializations, "
              f"{dagster['checks_passed']}/{dagster['checks']} checks passed in {dagster['seconds']:.2f}s "
              f"({dagster['cpu_seconds']:.2f}s CPU), of which {dagster['asset_load_seconds']}s loading the lake "
              f"(the asset's log); peak RSS {dagster['peak_rss_mib']:,.0f} MiB (after imports "
              f"{dagster['rss_after_imports_mib']:,.0f} MiB)")

    total_edges = sum(t["edges"] for t in types)
    print(f"\n== comparison: {entities:,} entities, {total_edges:,} edges, {os.cpu_count()} cores, load average "
          f"{runs['load_before']:.1f} before the run and {os.getloadavg()[0]:.1f} after ==")
    print(f"  {'seconds: wall / CPU':<44} {'lake, cold':>17} {'lake, warm':>17} {'compacted':>17} "
          f"{'pandas, lake':>17}")

    def cell(phase: dict[str, Any] | None, *steps: str) -> str:
        if phase is None:
            return f"{'':>17}"
        wall = sum(phase["wall"].get(step, 0.0) for step in steps)
        cpu = sum(phase["cpu"].get(step, 0.0) for step in steps)
        return f"{wall:>8.1f} /{cpu:>7.1f}"

    for label, product_steps, baseline_steps in (
        ("load the entities", ("load",), ("read",)),
        ("compute the edges", ("build",), ("build",)),
        ("check the edges", ("check",), ("check",)),
        ("write the edges", ("write",), None),
        ("total", ("load", "build", "write", "check"), ("read", "build", "check")),
    ):
        print(f"  {label:<44} {cell(product, *product_steps)} {cell(warm, *product_steps)} "
              f"{cell(compacted, *product_steps)} "
              f"{cell(baseline if baseline_steps else None, *(baseline_steps or ()))}")
    print(f"  {'peak RSS':<44} {product['peak_rss_mib']:>13,.0f} MiB {warm['peak_rss_mib']:>13,.0f} MiB "
          f"{compacted['peak_rss_mib']:>13,.0f} MiB "
          f"{baseline['peak_rss_mib']:>13,.0f} MiB")
    if dagster is not None:
        print(f"  {'dagster.materialize (the whole asset), lake':<44} {cell(dagster, 'materialize')}   peak RSS "
              f"{dagster['peak_rss_mib']:,.0f} MiB")
        print(f"  {'  minus the warm product total':<44} {dagster['seconds'] - warm['seconds']:>8.1f} /"
              f"{dagster['cpu_seconds'] - warm['cpu_seconds']:>7.1f}")
    problems = mismatches or failing or empty or missing or (dagster is not None and not dagster["success"])
    return 1 if problems else 0


def by_type_of(types: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["type"]: t for t in types}


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200, help="number of accounts (default 200)")
    parser.add_argument(
        "--regions", type=int, default=17, help=f"regions per account, 1 to {len(REGIONS)} (default 17)"
    )
    parser.add_argument("--scale", type=int, default=1, help="multiplier of the bulk tiers: instances, volumes, "
                        "DynamoDB tables, functions, users, buckets (default 1)")
    parser.add_argument("--keep", metavar="DIR", help="generate the lakes in DIR and keep them; a later run with the "
                        "same parameters reuses them (default: a temporary folder)")
    parser.add_argument("--skip-dagster", action="store_true", help="do not materialize the Dagster asset")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--compacted", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--cache", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.regions <= len(REGIONS):
        parser.error(f"--regions must be between 1 and {len(REGIONS)}")
    if args.accounts < 1 or args.scale < 1:
        parser.error("--accounts and --scale must be at least 1")

    if args.phase:
        Path(args.result).write_text(json.dumps(PHASES[args.phase](args)))
        return 0

    with tempfile.TemporaryDirectory(prefix="relationships-benchmark-") as temporary:
        work = Work(Path(args.keep).resolve() if args.keep else Path(temporary))
        work.folder.mkdir(parents=True, exist_ok=True)
        runs: dict[str, Any] = {"load_before": os.getloadavg()[0]}
        print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; lakes in {work.folder}", flush=True)
        runs["generate"] = generated_lake(args, work)
        shutil.rmtree(work.cache, ignore_errors=True)  # the first run reads every file: a cold snapshot cache
        remove_edge_tables(work.lake)
        runs["product"] = run_phase("product", work.lake, args, work, "product", cache=work.cache)
        runs["resync"] = run_phase("resync", work.lake, args, work)
        remove_edge_tables(work.lake)
        runs["warm"] = run_phase("product", work.lake, args, work, "warm", cache=work.cache)
        remove_edge_tables(work.compacted)
        runs["compacted"] = run_phase("product", work.compacted, args, work, "compacted")
        runs["baseline"] = run_phase("baseline", work.lake, args, work)  # compares with the product's edge tables
        if not args.skip_dagster:
            remove_edge_tables(work.lake)
            runs["dagster"] = run_phase("dagster", work.lake, args, work, cache=work.cache)
        return report(runs, args)


if __name__ == "__main__":
    sys.exit(main())

"""Security group analysis: `aws_security_group ALLOWS <peer>`, one edge per rule, and the peers no collector makes.

A rule (one entry of `ingressRules` or `egressRules`: one direction, protocol, port range and ONE peer) becomes one
edge from its group to its peer, whatever other rule joins the same two entities: AWS identifies a rule by its
direction, protocol, ports and peer, and so does the edge `_key`,
`<group>|allows|<peer>|<ingress|egress>:<ipProtocol>:<portRange>[:<cidr>]` (the CIDR tells 0.0.0.0/0 from ::/0, both
the internet). The relationship types therefore declare `parallel_edges`.

The peer of a rule, in this order:
- `internet`: 0.0.0.0/0 or ::/0, the one global entity JupiterOne's model has for it (`_key` `internet`).
- `aws_vpc` / `aws_subnet`: a CIDR that is one of the blocks of the group's own VPC, or of a subnet of that VPC
  (CIDRs compared as AWS writes them; a subnet spanning its whole VPC counts as the VPC).
- `ip_range`: any other CIDR, one global Network entity per CIDR (`_key` `ip_range:<CIDR>`). Private ranges are
  keyed by their text alone, so 10.0.0.0/16 of two unrelated networks is one entity: the edges' accounts tell them
  apart.
- `aws_security_group`: a referenced group (the group itself for a self-reference): the collected group of the
  rule's region and `referencedGroupAccountId`, otherwise a placeholder keyed by the ARN it would have (an account
  not ingested, or a group the lake does not hold: a stale rule).
- `aws_prefix_list`: a managed prefix list. Prefix lists are not collected: a placeholder per list and referencing
  account and region, keyed `arn:aws:ec2:<region>:<group account>:prefix-list/<id>` (the list may belong to AWS or
  be shared from another account; the rule does not say).

Normalisation (`RULES_SQL`): `ipProtocol` is lower case, with `-1` -> `all` and the numbers AWS may answer for the
named protocols (`6` tcp, `17` udp, `1` icmp, `58` icmpv6) -> their names. `all` opens ports 0-65535; tcp and udp
without ports (or -1) too. ICMP keeps AWS's type in `fromPort` and code in `toPort` (-1: all). `portRange`: `all`
for all protocols, for other protocols than tcp, udp and ICMP (AWS ignores their ports) and for every ICMP type;
`22` for one port, `1024-65535` for a range (`0-65535` for every tcp/udp port); ICMP `8` (type 8, every code) or
`3/4` (type 3, code 4).

The peers that are not collected entities (internet, CIDR ranges, prefix lists, group placeholders) are the rows of
the `security_group_peer` table, which `aws_assets/defs/assets/network.py` writes with `peer_table`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from aws_assets.model.conventions import INTERNET_CIDRS
from aws_assets.model.entity import COMMON_COLUMNS, Column, boolean, integer, schema_of, string
from aws_assets.model.relationship import RelationshipType

PEER_TABLE = "security_group_peer"
INTERNET_TYPE = INTERNET_KEY = "internet"
IP_RANGE_TYPE = "ip_range"
IP_RANGE_KEY_PREFIX = "ip_range:"
PREFIX_LIST_TYPE = "aws_prefix_list"
GROUP_TYPE = "aws_security_group"
INTERNET_CIDR_IPV4 = "0.0.0.0/0"

# The numbers EC2 accepts for the protocols it also names; -1 is every protocol.
PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
PORT_PROTOCOLS = ("tcp", "udp")
ICMP_PROTOCOLS = ("icmp", "icmpv6")
FIRST_PORT, LAST_PORT = 0, 65535

PEER_CLASSES = {
    INTERNET_TYPE: ["Internet", "Network"],
    IP_RANGE_TYPE: ["Network"],
    PREFIX_LIST_TYPE: ["Network"],
    GROUP_TYPE: ["Firewall"],
}

# ---- SQL over the lake -------------------------------------------------------------------------------------------


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(_sql_text(v) for v in values)


_PROTOCOL = (
    "CASE lower(rule.ipProtocol) "
    + " ".join(f"WHEN {_sql_text(number)} THEN {_sql_text(name)}" for number, name in PROTOCOL_NAMES.items())
    + " ELSE lower(rule.ipProtocol) END"
)
_PORT_PROTOCOL = f"ipProtocol IN ({_sql_list(PORT_PROTOCOLS)})"
_EVERY_PORT = f"(ipProtocol = 'all' OR ({_PORT_PROTOCOL} AND coalesce(rawFromPort, -1) = -1))"
_ICMP = f"ipProtocol IN ({_sql_list(ICMP_PROTOCOLS)})"

# One row per rule of every group, normalised: groupKey, accountId, region, vpcId, ingress, ipProtocol, fromPort,
# toPort, portRange, cidr, prefixListId, referencedGroupId, referencedGroupAccountId, ruleDescription.
RULES_SQL = f"""
SELECT groupKey, accountId, region, vpcId, ingress, ipProtocol,
    CASE WHEN {_EVERY_PORT} THEN {FIRST_PORT} ELSE rawFromPort END AS fromPort,
    CASE WHEN {_EVERY_PORT} THEN {LAST_PORT} ELSE rawToPort END AS toPort,
    CASE
        WHEN {_EVERY_PORT} AND ipProtocol = 'all' THEN 'all'
        WHEN {_EVERY_PORT} THEN '{FIRST_PORT}-{LAST_PORT}'
        WHEN {_PORT_PROTOCOL} AND rawFromPort = rawToPort THEN CAST(rawFromPort AS VARCHAR)
        WHEN {_PORT_PROTOCOL} THEN rawFromPort || '-' || rawToPort
        WHEN {_ICMP} AND coalesce(rawFromPort, -1) = -1 THEN 'all'
        WHEN {_ICMP} AND coalesce(rawToPort, -1) = -1 THEN CAST(rawFromPort AS VARCHAR)
        WHEN {_ICMP} THEN rawFromPort || '/' || rawToPort
        ELSE 'all'
    END AS portRange,
    cidr, prefixListId, referencedGroupId, referencedGroupAccountId, ruleDescription
FROM (
    SELECT groupKey, accountId, region, vpcId, ingress, {_PROTOCOL} AS ipProtocol,
        rule.fromPort AS rawFromPort, rule.toPort AS rawToPort, coalesce(rule.cidrIpv4, rule.cidrIpv6) AS cidr,
        rule.prefixListId, rule.referencedGroupId,
        coalesce(rule.referencedGroupAccountId, accountId) AS referencedGroupAccountId,
        rule.description AS ruleDescription
    FROM (
        SELECT _key AS groupKey, accountId, region, vpcId, true AS ingress, unnest(ingressRules) AS rule
        FROM aws_security_group
        UNION ALL
        SELECT _key, accountId, region, vpcId, false, unnest(egressRules) FROM aws_security_group
    ) AS directed
) AS typed
"""

# Every rule with its peer: peerType, peerKey, and for the peers that are not collected entities what their
# `security_group_peer` row needs (peerAccountId, peerRegion, peerId, peerAccountCollected).
PEERS_SQL = f"""
SELECT r.*,
    CASE
        WHEN r.cidr IN ({_sql_list(sorted(INTERNET_CIDRS))}) THEN '{INTERNET_TYPE}'
        WHEN vpc._key IS NOT NULL THEN 'aws_vpc'
        WHEN subnet._key IS NOT NULL THEN 'aws_subnet'
        WHEN r.cidr IS NOT NULL THEN '{IP_RANGE_TYPE}'
        WHEN r.prefixListId IS NOT NULL THEN '{PREFIX_LIST_TYPE}'
        WHEN r.referencedGroupId IS NOT NULL THEN '{GROUP_TYPE}'
    END AS peerType,
    CASE
        WHEN r.cidr IN ({_sql_list(sorted(INTERNET_CIDRS))}) THEN '{INTERNET_KEY}'
        WHEN vpc._key IS NOT NULL THEN vpc._key
        WHEN subnet._key IS NOT NULL THEN subnet._key
        WHEN r.cidr IS NOT NULL THEN '{IP_RANGE_KEY_PREFIX}' || r.cidr
        WHEN r.prefixListId IS NOT NULL
            THEN 'arn:aws:ec2:' || r.region || ':' || r.accountId || ':prefix-list/' || r.prefixListId
        WHEN r.referencedGroupId IS NOT NULL THEN coalesce(referenced._key, 'arn:aws:ec2:' || r.region || ':'
            || r.referencedGroupAccountId || ':security-group/' || r.referencedGroupId)
    END AS peerKey,
    CASE WHEN r.cidr IS NULL AND r.prefixListId IS NOT NULL THEN r.accountId
        WHEN r.cidr IS NULL THEN r.referencedGroupAccountId END AS peerAccountId,
    CASE WHEN r.cidr IS NULL THEN r.region END AS peerRegion,
    CASE WHEN r.cidr IS NULL THEN coalesce(r.prefixListId, r.referencedGroupId) END AS peerId,
    referenced._key IS NOT NULL AS referencedGroupCollected,
    r.referencedGroupAccountId IN (
        SELECT accountId FROM aws_security_group collected WHERE collected.region = r.region
    ) AS peerAccountCollected,
    concat_ws(':', CASE WHEN r.ingress THEN 'ingress' ELSE 'egress' END, r.ipProtocol, r.portRange, r.cidr)
        AS keySuffix
FROM ({RULES_SQL}) AS r
LEFT JOIN aws_vpc vpc ON vpc.accountId = r.accountId AND vpc.region = r.region AND vpc.vpcId = r.vpcId
    AND list_contains(list_concat(vpc.cidrBlocks, vpc.ipv6CidrBlocks), r.cidr)
LEFT JOIN aws_subnet subnet ON subnet.accountId = r.accountId AND subnet.region = r.region
    AND subnet.vpcId = r.vpcId AND (subnet.CIDR = r.cidr OR list_contains(subnet.ipv6CidrBlocks, r.cidr))
LEFT JOIN aws_security_group referenced ON referenced.accountId = r.referencedGroupAccountId
    AND referenced.region = r.region AND referenced.groupId = r.referencedGroupId
"""

# The peers that need a `security_group_peer` row, once each (the internet is always there).
PEER_ENTITIES_SQL = f"""
SELECT DISTINCT peerType, peerKey, cidr, peerAccountId, peerRegion, peerId, peerAccountCollected
FROM ({PEERS_SQL}) AS peers
WHERE peerType IN ('{IP_RANGE_TYPE}', '{PREFIX_LIST_TYPE}')
    OR (peerType = '{GROUP_TYPE}' AND NOT referencedGroupCollected)
ORDER BY peerType, peerKey
"""

RULE_PROPERTIES: tuple[Column, ...] = (
    boolean("ingress", "Whether the rule is inbound (traffic from the peer to the group's resources)"),
    boolean("egress", "Whether the rule is outbound (traffic from the group's resources to the peer)"),
    string("ipProtocol", "tcp, udp, icmp, icmpv6, another protocol's number, or `all` (AWS's -1)"),
    integer("fromPort", "First port the rule opens (0 for all protocols); for ICMP the ICMP type (-1: every type)"),
    integer("toPort", "Last port the rule opens (65535 for all protocols); for ICMP the ICMP code (-1: every code)"),
    string(
        "portRange",
        "The ports in words: `all` (every protocol, a protocol without ports, every ICMP type), `22`, "
        "`1024-65535`, `0-65535` (every tcp or udp port), ICMP `8` (a type, every code) or `3/4` (type/code)",
    ),
    string("cidr", "The rule's IPv4 or IPv6 CIDR, empty for a group or prefix list peer"),
    string("ruleDescription", "The rule's description"),
)


def _allows(to_type: str, target_table_sql: str, description: str) -> RelationshipType:
    return RelationshipType(
        GROUP_TYPE, "ALLOWS", to_type,
        description + " One edge per rule: several rules between the same two entities are several edges.",
        f"SELECT p.groupKey AS _fromEntityKey, target._key AS _toEntityKey, p.accountId, p.keySuffix AS _keySuffix, "
        f"p.ingress, NOT p.ingress AS egress, p.ipProtocol, p.fromPort, p.toPort, p.portRange, p.cidr, "
        f"p.ruleDescription FROM ({PEERS_SQL}) AS p JOIN {target_table_sql} AS target ON target._key = p.peerKey "
        f"WHERE p.peerType = '{to_type}'",
        properties=RULE_PROPERTIES,
        in_spec=False,
        parallel_edges=True,
    )


RELATIONSHIPS = (
    _allows(INTERNET_TYPE, PEER_TABLE, "A rule of the group allows traffic from or to anywhere (0.0.0.0/0, ::/0)."),
    _allows("aws_vpc", "aws_vpc", "A rule's CIDR is a block of the group's own VPC."),
    _allows("aws_subnet", "aws_subnet", "A rule's CIDR is the block of a subnet of the group's VPC."),
    _allows(IP_RANGE_TYPE, PEER_TABLE, "A rule's CIDR is neither the internet nor a block of the group's VPC."),
    _allows(
        GROUP_TYPE,
        f"(SELECT _key FROM aws_security_group UNION ALL SELECT _key FROM {PEER_TABLE})",
        "A rule names another security group (or the group itself): traffic from or to the resources it protects.",
    ),
    _allows(PREFIX_LIST_TYPE, PEER_TABLE, "A rule names a managed prefix list (a set of CIDRs)."),
)

# ---- the `security_group_peer` table (pure) ----------------------------------------------------------------------

PEER_COLUMNS: tuple[Column, ...] = (
    string("CIDR", f"The CIDR of an `{IP_RANGE_TYPE}`; `{INTERNET_CIDR_IPV4}` (and ::/0) for the internet"),
    integer("ipVersion", f"4 or 6 for an `{IP_RANGE_TYPE}`"),
    boolean("public", "Whether the range is publicly routable (the internet, a global unicast range)"),
    boolean("internal", "Whether the range is private address space (RFC 1918, IPv6 unique local, ...)"),
    string("groupId", "ID of a security group placeholder"),
    string("prefixListId", "ID of a prefix list placeholder"),
    boolean(
        "placeholder",
        "Whether the entity stands for an AWS resource no collected table holds (a prefix list, a group of an "
        "account not ingested or missing from the lake); false for the internet and CIDR ranges",
    ),
    string("reason", "Why the entity is a placeholder"),
)
PEER_SCHEMA = schema_of((*COMMON_COLUMNS, *PEER_COLUMNS))
PEER_DESCRIPTION = (
    "The far side of security group rules that no collector produces: the global `internet` entity "
    "(0.0.0.0/0 and ::/0), one `ip_range` per other CIDR the rules name (global, keyed `ip_range:<CIDR>`), and "
    "placeholders for the prefix lists (`aws_prefix_list`) and referenced groups of accounts not ingested or "
    "missing from the lake (`aws_security_group`, `placeholder` true). Targets of `aws_security_group ALLOWS`; part "
    "of the `entities` view."
)

INTERNET_ROW: dict[str, Any] = {
    "_key": INTERNET_KEY,
    "_type": INTERNET_TYPE,
    "_class": PEER_CLASSES[INTERNET_TYPE],
    "name": "Internet",
    "displayName": "Internet",
    "CIDR": INTERNET_CIDR_IPV4,
    "public": True,
    "internal": False,
    "placeholder": False,
    "tags": [],
}


def ip_range_row(cidr: str) -> dict[str, Any]:
    """A global Network entity for a CIDR; `public`/`internal` stay empty for text that is no CIDR."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        network = None
    return {
        "_key": IP_RANGE_KEY_PREFIX + cidr,
        "_type": IP_RANGE_TYPE,
        "_class": PEER_CLASSES[IP_RANGE_TYPE],
        "name": cidr,
        "displayName": cidr,
        "CIDR": cidr,
        "ipVersion": network.version if network else None,
        "public": network.is_global if network else None,
        "internal": network.is_private if network else None,
        "placeholder": False,
        "tags": [],
    }


def placeholder_row(
    peer_type: str, key: str, peer_id: str, account_id: str, region: str, account_collected: bool
) -> dict[str, Any]:
    """A prefix list, or a referenced group the lake does not hold."""
    if peer_type == PREFIX_LIST_TYPE:
        reason = "prefix lists are not collected"
    elif account_collected:
        reason = f"no security group {peer_id} in the lake for account {account_id} in {region} (a stale reference)"
    else:
        reason = f"the security groups of account {account_id} in {region} are not ingested"
    return {
        "_key": key,
        "_type": peer_type,
        "_class": PEER_CLASSES[peer_type],
        "name": peer_id,
        "displayName": peer_id,
        "accountId": account_id,
        "region": region,
        "arn": key,
        "groupId": peer_id if peer_type == GROUP_TYPE else None,
        "prefixListId": peer_id if peer_type == PREFIX_LIST_TYPE else None,
        "placeholder": True,
        "reason": reason,
        "tags": [],
    }


def peer_rows(peers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The internet, then a row per peer of PEER_ENTITIES_SQL (its columns by name)."""
    rows = [INTERNET_ROW]
    for peer in peers:
        if peer["peerType"] == IP_RANGE_TYPE:
            rows.append(ip_range_row(peer["cidr"]))
        else:
            rows.append(placeholder_row(
                peer["peerType"], peer["peerKey"], peer["peerId"], peer["peerAccountId"], peer["peerRegion"],
                bool(peer["peerAccountCollected"]),
            ))
    return rows


def peer_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{**dict.fromkeys(PEER_SCHEMA.names), **row} for row in rows], schema=PEER_SCHEMA)

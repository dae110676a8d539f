"""The two pictures of the graph, as layered networkx graphs (each node has a `layer`, a `kind` and a `label`):

- who trusts whom: the principals a role's trust policy lets assume it (everyone, accounts outside the lake,
  principals of the lake's other accounts, AWS services, identity providers) -> the roles, grouped by account. A
  role's own account's users and roles are left out: they are the account itself.
- what the internet reaches: the internet -> each security group with an ingress rule open to it (labelled with
  its ports) -> the instances and databases it protects.

`read_pictures` reads what they need from the lake; the rest is pure (rows -> graphs). Drawing is `drawing.py`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from aws_assets.analysis.trust_graph import TRUSTS_TABLE
from aws_assets.graph.tables import load_tables
from aws_assets.lake.snapshot import LakeSnapshot

Row = Mapping[str, Any]

INTERNET = "internet"
INTERNET_TABLE = "aws_security_group_allows_internet"
# What an open security group lets the internet reach: instances and databases.
PROTECTS_TABLES = {
    "aws_security_group_protects_instance": "aws_instance",
    "aws_security_group_protects_db_instance": "aws_db_instance",
    "aws_security_group_protects_rds_cluster": "aws_rds_cluster",
}
TRUST_COLUMNS = ("_fromEntityKey", "_toEntityKey", "_toEntityType", "accountId", "targetName", "targetAccountId",
                 "trustZone")
EDGE_COLUMNS = ("_fromEntityKey", "_toEntityKey")
# How a trusted principal is drawn, by the trust's zone or the principal's type: most exposed first.
PRINCIPAL_KINDS = ("everyone", "external account", "other lake account", "AWS service", "identity provider")
MOST_EDGES = 80  # more is unreadable, and slow to draw: the most exposed are drawn, the rest counted


@dataclass
class Picture:
    title: str
    graph: nx.DiGraph
    left_out: int = 0  # edges not drawn (MOST_EDGES)

    @property
    def empty(self) -> bool:
        return self.graph.number_of_edges() == 0


def principal_kind(row: Row) -> str | None:
    """How the trusted principal is drawn; None for the role's own account's users and roles."""
    if row["trustZone"] == "public":
        return "everyone"
    if row["trustZone"] == "external_account":
        return "external account"
    if row["_toEntityType"] == "aws_iam_saml_provider" or row["_toEntityType"] == "aws_iam_oidc_provider":
        return "identity provider"
    if not str(row["_toEntityKey"]).startswith("arn:"):
        return "AWS service"
    if row["trustZone"] != "same_account":
        return "other lake account"
    return None


def principal_node(row: Row, kind: str) -> tuple[str, str]:
    """(node, label): a service is one node for every account it may act in; everything else is its key (apart from
    the roles' nodes: a role may be trusted and trust)."""
    if kind == "everyone":
        return "everyone", "everyone (*)"
    if kind == "AWS service":
        return f"service:{row['targetName']}", str(row["targetName"])
    if kind == "external account":
        return f"principal:{row['_toEntityKey']}", f"account {row['targetAccountId']}\n(outside the lake)"
    return f"principal:{row['_toEntityKey']}", f"{row['targetAccountId']}\n{row['targetName']}"


def role_label(role_key: str, account_id: str) -> str:
    return f"{account_id}\n{role_key.split(':role/', 1)[-1]}"


def trust_picture(trusts: Iterable[Row]) -> Picture:
    drawn = sorted(((PRINCIPAL_KINDS.index(kind), row) for row in trusts if (kind := principal_kind(row))),
                   key=lambda ranked: (ranked[0], ranked[1]["accountId"], ranked[1]["_fromEntityKey"],
                                       ranked[1]["_toEntityKey"]))
    graph = nx.DiGraph()
    for rank, row in drawn[:MOST_EDGES]:
        kind = PRINCIPAL_KINDS[rank]
        principal, label = principal_node(row, kind)
        graph.add_node(principal, layer=0, kind=kind, label=label)
        role = str(row["_fromEntityKey"])
        graph.add_node(role, layer=1, kind="role", label=role_label(role, row["accountId"]))
        graph.add_edge(principal, role)
    return Picture("Who may assume the roles (trust policies)", graph, max(0, len(drawn) - MOST_EDGES))


def port_label(rules: Sequence[Row]) -> str:
    ports = sorted({f"{rule['ipProtocol']}/{rule['portRange']}" for rule in rules})
    return ", ".join(ports)


def internet_picture(open_rules: Iterable[Row], protected: Mapping[str, Iterable[Row]],
                     names: Mapping[str, str]) -> Picture:
    """`open_rules`: rows of aws_security_group_allows_internet; `protected`: the protects tables' rows by their
    target type; `names`: entity key -> display name."""
    rules_by_group: dict[str, list[Row]] = defaultdict(list)
    for rule in open_rules:
        if rule.get("ingress", True):
            rules_by_group[str(rule["_fromEntityKey"])].append(rule)
    edges = sorted((str(row["_fromEntityKey"]), str(row["_toEntityKey"]), target_type)
                   for target_type, rows in protected.items() for row in rows
                   if row["_fromEntityKey"] in rules_by_group)
    graph = nx.DiGraph()
    graph.add_node(INTERNET, layer=0, kind="internet", label="internet\n(0.0.0.0/0, ::/0)")
    for group, target, target_type in edges[:MOST_EDGES]:
        account, region = group.split(":")[4], group.split(":")[3]
        graph.add_node(group, layer=1, kind="security group",
                       label=f"{names.get(group, group.rsplit('/', 1)[-1])}\n{account} {region}\n"
                       f"{port_label(rules_by_group[group])}")
        graph.add_edge(INTERNET, group)
        kind = "instance" if target_type == "aws_instance" else "database"
        graph.add_node(target, layer=2, kind=kind, label=f"{names.get(target, target.rsplit(':', 1)[-1])}\n"
                       f"{target_type.removeprefix('aws_')}")
        graph.add_edge(group, target)
    return Picture("What the internet reaches (security groups open to it)", graph,
                   max(0, len(edges) - MOST_EDGES))


def picture_reads() -> dict[str, tuple[str, ...]]:
    """The lake tables and columns the pictures read."""
    reads: dict[str, tuple[str, ...]] = {
        TRUSTS_TABLE: TRUST_COLUMNS,
        INTERNET_TABLE: (*EDGE_COLUMNS, "ingress", "ipProtocol", "portRange"),
        "aws_security_group": ("_key", "displayName"),
    }
    for edges, target in PROTECTS_TABLES.items():
        reads[edges] = EDGE_COLUMNS
        reads[target] = ("_key", "displayName")
    return reads


def read_pictures(snapshot: LakeSnapshot) -> list[Picture]:
    con = load_tables(snapshot, picture_reads())

    def rows(table: str) -> list[dict]:
        return con.table(table).to_arrow_table().to_pylist()

    names = {row["_key"]: row["displayName"] for table in ("aws_security_group", *PROTECTS_TABLES.values())
             for row in rows(table) if row["displayName"]}
    protected = {target: rows(edges) for edges, target in PROTECTS_TABLES.items()}
    return [trust_picture(rows(TRUSTS_TABLE)), internet_picture(rows(INTERNET_TABLE), protected, names)]

"""Security-group ALLOWS edges of the simulated organisation, synced."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from dagster import AssetCheckKey, AssetKey

from aws_assets.relationships.security_groups import PEER_TABLE
from aws_assets.sim.accounts import ACCOUNTS as SIMULATED_ACCOUNTS
from aws_assets.sim.estate.ec2 import REGIONAL_GROUPS
from aws_assets.sim.organisation import REGIONS
from aws_assets_tests.conftest import DEV, PROD, SHARED
from aws_assets_tests.integration.test_security_group_analysis import ALLOWS_TYPES, Sql, allows_edges

# ------------------------------------------------------------------------------------------------------------------
# The simulated organisation
# ------------------------------------------------------------------------------------------------------------------

ACCOUNTS = (PROD, DEV, SHARED)
ENVS = SIMULATED_ACCOUNTS  # account id -> the <env> its resource names start with
ANYWHERE = "0.0.0.0/0"
ALL_TRAFFIC = ("all", 0, 65535, "all")  # ipProtocol, fromPort, toPort, portRange
INTERNET = "aws_security_group_allows_internet"


def tcp(port: int) -> tuple[str, int, int, str]:
    return "tcp", port, port, str(port)


def one(sql: Sql, query: str, *params: str) -> Any:
    [(value,)] = sql(query, *params)
    return value


def expected_edges(sql: Sql, account: str, region: str) -> list[tuple]:
    """The ALLOWS edges of one account and region, from the groups the simulated organisation's docstring describes:
    (_type, from, to, ingress, egress, ipProtocol, fromPort, toPort, portRange, cidr). Keys holding random IDs are
    looked up by name; the prefix list's ID by the app group's rule that names it."""
    env = ENVS[account]

    def group(name: str) -> str:
        return one(sql, "SELECT _key FROM aws_security_group WHERE accountId = ? AND region = ? AND groupName = ?",
                   account, region, f"{env}-{name}")

    bastion, web, app, database = (group(name) for name in ("bastion-ssh", "web-https", "app", "database"))
    defaults = [key for (key,) in sql(
        "SELECT _key FROM aws_security_group WHERE accountId = ? AND region = ? AND isDefault", account, region)]
    assert len(defaults) == 2  # moto's default VPC's and the env VPC's
    [(vpc, vpc_cidr)] = sql("SELECT _key, CIDR FROM aws_vpc WHERE accountId = ? AND region = ? AND displayName = ?",
                            account, region, f"{env}-vpc")
    prefix_list = one(sql, "SELECT r.prefixListId FROM aws_security_group, unnest(ingressRules) AS t(r) "
                      "WHERE _key = ? AND r.prefixListId IS NOT NULL", app)
    ingress, egress = (True, False), (False, True)
    # The groups of some regions only: their one port from anywhere or from the VPC, and AWS's default egress.
    regional = []
    for name, (_, port, source) in REGIONAL_GROUPS.get((account, region), {}).items():
        peer = (INTERNET, "internet", ANYWHERE) if source == ANYWHERE else (
            "aws_security_group_allows_vpc", vpc, vpc_cidr)
        regional += [(INTERNET, group(name), "internet", *egress, *ALL_TRAFFIC, ANYWHERE),
                     (peer[0], group(name), peer[1], *ingress, *tcp(port), peer[2])]
    return [
        *regional,
        # AWS's default egress rule, kept by every group but app and database (whose egress the org replaced).
        *((INTERNET, g, "internet", *egress, *ALL_TRAFFIC, ANYWHERE) for g in (*defaults, bastion, web)),
        (INTERNET, bastion, "internet", *ingress, *tcp(22), ANYWHERE),
        (INTERNET, web, "internet", *ingress, *tcp(443), ANYWHERE),
        (INTERNET, web, "internet", *ingress, *tcp(443), "::/0"),
        ("aws_security_group_allows_group", app, web, *ingress, *tcp(8080), None),
        ("aws_security_group_allows_prefix_list", app, f"arn:aws:ec2:{region}:{account}:prefix-list/{prefix_list}",
         *ingress, *tcp(22), None),
        (INTERNET, app, "internet", *egress, *tcp(443), ANYWHERE),
        ("aws_security_group_allows_vpc", app, vpc, *egress, *tcp(5432), vpc_cidr),
        ("aws_security_group_allows_group", database, app, *ingress, *tcp(5432), None),
    ]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_org_groups_allow_exactly_what_their_rules_say(sql, account):
    expected = [edge for region in REGIONS for edge in expected_edges(sql, account, region)]
    actual = [(edge_type, *rest) for edge_type, _, *rest, _ in allows_edges(sql, account)]
    assert Counter(actual) == Counter(expected)
    assert len(set(expected)) == len(expected) == 3 * 12 + 2 * len(
        [place for place in REGIONAL_GROUPS if place[0] == account])


def test_allows_edge_counts_per_account(sql):
    # Per region: 8 to the internet (the egress to anywhere of both default groups, the bastion and web groups;
    # SSH to the bastion; HTTPS to web over IPv4 and IPv6; the app's HTTPS out), 2 between groups (web -> app,
    # app -> database), 1 to the corp VPN prefix list, 1 to the VPC (the app's 5432 out); three regions. In us-east-1
    # each account has one more group: dev's and shared's open to the internet (2 edges there), prod's to its VPC
    # (its egress to the internet, its 445 from the VPC).
    per_region = {"internet": 8, "group": 2, "prefix_list": 1, "vpc": 1, "subnet": 0, "ip_range": 0}
    more = {PROD: {"internet": 1, "vpc": 1}, DEV: {"internet": 2}, SHARED: {"internet": 2}}
    for account in ACCOUNTS:
        counts = {t.removeprefix("aws_security_group_allows_"): one(
            sql, f'SELECT count(*) FROM "{t}" WHERE accountId = ?', account) for t in ALLOWS_TYPES}
        assert counts == {peer: 3 * count + more[account].get(peer, 0) for peer, count in per_region.items()}


def test_every_rule_of_every_group_is_one_edge(sql):
    rules = dict(sql("SELECT _key, len(ingressRules) + len(egressRules) FROM aws_security_group"))
    edges = Counter(from_key for _, _, from_key, *_ in allows_edges(sql))
    assert dict(edges) == rules  # every group of the org has a rule (the database groups only ingress ones)


def test_the_web_group_allows_the_internet_twice_once_per_address_family(sql):
    web = one(sql, "SELECT _key FROM aws_security_group WHERE accountId = ? AND region = 'us-east-1' "
              "AND groupName = 'prod-web-https'", PROD)
    assert sql(f"SELECT _key, cidr FROM {INTERNET} WHERE _fromEntityKey = ? AND ingress ORDER BY _key", web) == [
        (f"{web}|allows|internet|ingress:tcp:443:0.0.0.0/0", "0.0.0.0/0"),
        (f"{web}|allows|internet|ingress:tcp:443:::/0", "::/0"),
    ]


def test_rule_descriptions_reach_the_edges(sql):
    # As seeded; moto drops the description of a prefix list rule ("corp vpn"), so its edge has none.
    assert sql(f"SELECT DISTINCT ruleDescription FROM {INTERNET} WHERE portRange = '22'") == [("ssh from anywhere",)]
    assert sql("SELECT DISTINCT portRange, ruleDescription FROM aws_security_group_allows_group "
               "WHERE ruleDescription IS NOT NULL") == [("8080", "from web")]


def test_the_org_peers_are_the_internet_and_its_prefix_lists(sql):
    rows = sql(f"SELECT _type, accountId, region, placeholder FROM {PEER_TABLE}")
    assert Counter(rows) == Counter([
        ("internet", None, None, False),
        *(("aws_prefix_list", account, region, True) for account in ACCOUNTS for region in REGIONS),
    ])


def test_every_endpoint_is_an_entity_and_every_check_passed(synced, sql):
    edges = allows_edges(sql)
    assert len({key for _, key, *_ in edges}) == len(edges)
    entities = {key for (key,) in sql("SELECT _key FROM entities")}
    assert {end for _, _, from_key, to_key, *_ in edges for end in (from_key, to_key)} - entities == set()
    for edge_type in ALLOWS_TYPES:
        record = synced["instance"].get_latest_asset_check_evaluation_record(
            AssetCheckKey(AssetKey(edge_type), "valid_edges"))
        assert record is not None and record.event.dagster_event.event_specific_data.passed, edge_type

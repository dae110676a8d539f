"""Findings: each rule on hand-written rows (the pure part), then the exact findings of the synced simulated
organisation, as its docstring (aws_assets/sim/organisation.py) describes the estate, and their Dagster wiring."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aws_assets.analysis.cis import rule_table
from aws_assets.analysis.findings import (
    DATABASE_PORTS,
    FINDINGS_SCHEMA,
    RULES,
    SEVERITIES,
    Rule,
    count_by_rule,
    count_by_severity,
    evaluate,
    finding_id,
    findings_table,
    from_anywhere,
    ports_opened,
    tables_read,
)
from aws_assets.graph.tables import table_schemas
from aws_assets_tests.conftest import REPO

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "111111111111"
OTHER_INGESTED = "222222222222"
EXTERNAL = "999999999999"
RULE_IDS = [rule.id for rule in RULES]


def found(tables: dict[str, list[dict]], rule_id: str, now: datetime = NOW) -> dict[str, dict[str, Any]]:
    """resourceKey -> evidence of one rule's findings, the rule seeing only the columns it declares (as the asset
    reads them), so that every test also proves the declaration."""
    rule = next(r for r in RULES if r.id == rule_id)
    declared = {table: [{column: row[column] for column in columns} for row in tables.get(table, [])]
                for table, columns in rule.reads.items()}
    return {f.resource_key: f.evidence for f in evaluate(declared, now, [rule])}


# ------------------------------------------------------------------------------------------------------------------
# The declarations
# ------------------------------------------------------------------------------------------------------------------


def test_rules_are_declared_once_with_known_severities():
    assert len(set(RULE_IDS)) == len(RULES)
    assert len({rule.check_name for rule in RULES}) == len(RULES)
    assert {rule.severity for rule in RULES} <= set(SEVERITIES)
    assert RULES[0].check_name == "aws_iam_001"


def test_every_column_a_rule_reads_is_declared_by_its_table():
    for table, columns in tables_read().items():
        declared = table_schemas()[table].names
        assert [c for c in columns if c not in declared] == [], table


@pytest.mark.parametrize("rule_id, severity, message", [
    ("IAM-001", "high", "an ID reads AWS-<SERVICE>-<three digits>"),
    ("AWS-IAM-1", "high", "an ID reads AWS-<SERVICE>-<three digits>"),
    ("AWS-IAM-001", "severe", "severity 'severe' is not one of critical, high, medium, low"),
])
def test_a_malformed_rule_is_refused_with_its_id(rule_id, severity, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Rule(rule_id, severity, "title", "description", {}, lambda inputs: [])


# ------------------------------------------------------------------------------------------------------------------
# Trust (through the trust-policy engine)
# ------------------------------------------------------------------------------------------------------------------


def role(name: str, statements: list[dict] | dict | str | None, account: str = ACCOUNT) -> dict[str, Any]:
    policy = statements if statements is None or isinstance(statements, str) else json.dumps(
        {"Version": "2012-10-17", "Statement": statements})
    return {"_key": f"arn:aws:iam::{account}:role/{name}", "accountId": account, "region": "global",
            "roleName": name, "trustPolicy": policy}


def allow(principal: Any, condition: dict | None = None, action: str = "sts:AssumeRole") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def trust_tables(*roles: dict[str, Any]) -> dict[str, list[dict]]:
    return {"aws_account": [{"accountId": ACCOUNT}, {"accountId": OTHER_INGESTED}], "aws_iam_role": list(roles)}


ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
DENY_OUTSIDE_ORG = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}}


@pytest.mark.parametrize("name, statements", [
    ("aws-star", [allow({"AWS": "*"})]),
    ("bare-star", [allow("*")]),
    ("star-in-a-list", [allow({"AWS": ["*", f"arn:aws:iam::{ACCOUNT}:root"]})]),
    # Anyone can pass an external ID, and any AWS user can have MFA: neither restricts who.
    ("star-with-external-id", [allow({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "<redacted>"}})]),
    ("star-with-mfa", [allow({"AWS": "*"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})]),
    ("not-principal-allow", [{"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{EXTERNAL}:root"},
                              "Action": "sts:AssumeRole"}]),
    ("cognito-any-audience", [allow({"Federated": "cognito-identity.amazonaws.com"},
                                    action="sts:AssumeRoleWithWebIdentity")]),
    # The Deny also asks for TLS: a caller outside the organisation over TLS is not denied.
    ("deny-unless-org-and-tls", [allow({"AWS": "*"}), {
        "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}, "Bool": {"aws:SecureTransport": "false"}},
    }]),
    ("deny-unless-any-org", [allow({"AWS": "*"}), {
        "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
        "Condition": {"StringNotLike": {"aws:PrincipalOrgID": "*"}},
    }]),
])
def test_a_role_anyone_can_assume_is_a_critical_finding(name, statements):
    tables = trust_tables(role(name, statements))
    flagged = found(tables, "AWS-IAM-001")
    assert list(flagged) == [f"arn:aws:iam::{ACCOUNT}:role/{name}"]
    evidence = flagged[f"arn:aws:iam::{ACCOUNT}:role/{name}"]
    assert evidence["roleName"] == name
    assert [t["trustZone"] for t in evidence["trusts"]] == ["public"]
    # The statements a reviewer must change, as written.
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["statement"] for s in evidence["trustPolicyStatements"]] == allows


@pytest.mark.parametrize("name, statements", [
    ("org", [allow({"AWS": "*"}, ORG)]),
    ("org-paths", [allow({"AWS": "*"}, {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-abc123/r-1/*"]}})]),
    ("source-account", [allow({"AWS": "*"}, {"StringEquals": {"aws:SourceAccount": ACCOUNT}})]),
    ("principal-arn", [allow({"AWS": "*"}, {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci-*"}})]),
    ("deny-unless-org", [allow({"AWS": "*"}), DENY_OUTSIDE_ORG]),
    ("deny-unless-org-if-exists", [allow({"AWS": "*"}), {
        **DENY_OUTSIDE_ORG, "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}}]),
    ("denied-outright", [allow({"AWS": "*"}), {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}]),
    ("cognito-pinned", [allow({"Federated": "cognito-identity.amazonaws.com"},
                              {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool"}},
                              action="sts:AssumeRoleWithWebIdentity")]),
    ("account-root", [allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})]),
])
def test_a_trust_restricted_to_an_organisation_source_or_principal_is_no_public_finding(name, statements):
    assert found(trust_tables(role(name, statements)), "AWS-IAM-001") == {}


def test_a_deny_unless_org_for_one_assume_action_leaves_the_other_public():
    statements = [allow({"AWS": "*"}, action="sts:*"), DENY_OUTSIDE_ORG]
    flagged = found(trust_tables(role("half-denied", statements)), "AWS-IAM-001")
    [evidence] = flagged.values()
    # AssumeRoleWithSAML and AssumeRoleWithWebIdentity stay open to everyone.
    assert "sts:AssumeRoleWithSAML" in evidence["trusts"][0]["actions"]


@pytest.mark.parametrize("name, statements, flagged", [
    ("auditor", [allow({"AWS": f"arn:aws:iam::{EXTERNAL}:root"})], True),
    ("auditor-id", [allow({"AWS": EXTERNAL})], True),
    ("external-user", [allow({"AWS": f"arn:aws:iam::{EXTERNAL}:user/someone"})], True),
    ("external-role", [allow({"AWS": f"arn:aws:iam::{EXTERNAL}:role/scanner"}, {"Bool": {
        "aws:MultiFactorAuthPresent": "true"}})], True),
    # The collector redacts the value; the condition, and so the protection, is still there.
    ("vendor", [allow({"AWS": f"arn:aws:iam::{EXTERNAL}:root"}, {"StringEquals": {"sts:ExternalId": "<redacted>"}})],
     False),
    ("ingested", [allow({"AWS": f"arn:aws:iam::{OTHER_INGESTED}:role/deployment-pipeline"})], False),
    ("same-account", [allow({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"})], False),
    ("service", [allow({"Service": "lambda.amazonaws.com"})], False),
    # ExternalId does not apply to web identity: an external OIDC provider is not this rule's business.
    ("github", [allow({"Federated": f"arn:aws:iam::{EXTERNAL}:oidc-provider/token.actions.githubusercontent.com"},
                      {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
                      action="sts:AssumeRoleWithWebIdentity")], False),
])
def test_an_external_account_trust_without_external_id_is_a_finding(name, statements, flagged):
    key = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    result = found(trust_tables(role(name, statements)), "AWS-IAM-002")
    assert list(result) == ([key] if flagged else [])
    if flagged:
        [trust] = result[key]["trusts"]
        assert (trust["trustZone"], trust["flags"]["externalIdRequired"]) == ("external_account", False)
        assert trust["principal"].split(":")[4] == EXTERNAL


def test_only_the_trusts_at_fault_are_the_evidence():
    statements = [allow({"AWS": f"arn:aws:iam::{EXTERNAL}:root"}),
                  allow({"AWS": "arn:aws:iam::888888888888:root"}, {"StringEquals": {"sts:ExternalId": "x"}}),
                  allow({"Service": "ec2.amazonaws.com"})]
    [evidence] = found(trust_tables(role("mixed", statements)), "AWS-IAM-002").values()
    assert [t["principal"] for t in evidence["trusts"]] == [f"arn:aws:iam::{EXTERNAL}:root"]
    assert evidence["trustPolicyStatements"] == [{"index": 0, "statement": statements[0]}]


@pytest.mark.parametrize("policy, code", [
    ("{not json", "unreadable_json"),
    (None, "missing_document"),
    (json.dumps({"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "sts:AssumeRole"}]}), "invalid_effect"),
])
def test_a_trust_policy_the_engine_cannot_read_is_a_finding_not_a_gap(policy, code):
    tables = trust_tables(role("broken", policy), role("fine", [allow({"Service": "ec2.amazonaws.com"})]))
    flagged = found(tables, "AWS-IAM-003")
    assert list(flagged) == [f"arn:aws:iam::{ACCOUNT}:role/broken"]
    evidence = flagged[f"arn:aws:iam::{ACCOUNT}:role/broken"]
    assert [p["code"] for p in evidence["problems"]] == [code]
    assert evidence["trustPolicy"] == policy


# ------------------------------------------------------------------------------------------------------------------
# IAM users and access keys
# ------------------------------------------------------------------------------------------------------------------


def user(name: str, password: bool | None, mfa: bool | None, policies: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"_key": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT, "region": "global",
            "username": name, "passwordEnabled": password, "mfaEnabled": mfa, "passwordLastUsed": None,
            "attachedPolicyArns": list(policies)}


def test_a_console_user_without_mfa_is_a_finding():
    users = [user("console-no-mfa", True, False), user("console-mfa", True, True), user("keys-only", False, False),
             user("mfa-unknown", True, None)]  # ListMFADevices was denied: nothing to claim
    assert found({"aws_iam_user": users}, "AWS-IAM-004") == {
        f"arn:aws:iam::{ACCOUNT}:user/console-no-mfa": {
            "username": "console-no-mfa", "passwordEnabled": True, "mfaEnabled": False, "passwordLastUsed": None},
    }


def access_key(name: str, created: datetime | None, last_used: datetime | None, active: bool = True) -> dict:
    return {"_key": f"arn:aws:iam::{ACCOUNT}:access-key/{name}", "accountId": ACCOUNT, "region": "global",
            "active": active, "accessKeyId": name, "userName": "ci", "userArn": f"arn:aws:iam::{ACCOUNT}:user/ci",
            "createdOn": created, "lastUsedDate": last_used}


DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
KEYS = [
    access_key("AKIANEVERUSED90D", NOW - 90 * DAY, None),  # exactly 90 days: not yet older than 90 days
    access_key("AKIANEVERUSED90DS", NOW - 90 * DAY - SECOND, None),
    access_key("AKIAUSED90D", NOW - 400 * DAY, NOW - 90 * DAY),
    access_key("AKIAUSED91D", NOW - 400 * DAY, NOW - 91 * DAY),
    access_key("AKIAOLDBUTUSED", NOW - 200 * DAY, NOW - DAY),
    access_key("AKIANEW", NOW - 10 * DAY, None),
    access_key("AKIAINACTIVE", NOW - 400 * DAY, None, active=False),
    access_key("AKIANODATES", None, None),
]


def test_an_active_key_unused_for_more_than_90_days_is_a_finding():
    flagged = found({"aws_iam_access_key": KEYS}, "AWS-IAM-005")
    assert {key.rsplit("/", 1)[1]: (e.get("daysSinceLastUse"), e.get("neverUsed"), e.get("daysSinceCreation"))
            for key, e in flagged.items()} == {
        "AKIANEVERUSED90DS": (None, True, 90),
        "AKIAUSED91D": (91, None, None),
    }


def test_an_active_key_older_than_90_days_is_unrotated():
    flagged = found({"aws_iam_access_key": KEYS}, "AWS-IAM-006")
    assert {key.rsplit("/", 1)[1]: e["ageDays"] for key, e in flagged.items()} == {
        "AKIANEVERUSED90DS": 90, "AKIAUSED90D": 400, "AKIAUSED91D": 400, "AKIAOLDBUTUSED": 200,
    }
    evidence = flagged[f"arn:aws:iam::{ACCOUNT}:access-key/AKIAOLDBUTUSED"]
    assert (evidence["userArn"], evidence["lastUsedDate"], evidence["thresholdDays"]) == (
        f"arn:aws:iam::{ACCOUNT}:user/ci", NOW - DAY, 90)


def test_an_admin_policy_attached_to_a_user_is_a_finding():
    admin_arn, read_arn = f"arn:aws:iam::{ACCOUNT}:policy/admin", f"arn:aws:iam::{ACCOUNT}:policy/read"
    tables = {
        "aws_iam_user": [user("break-glass", True, False, (admin_arn, read_arn)),
                         user("reader", True, True, (read_arn,)),
                         user("inline-admin", False, False), user("group-admin", True, True)],
        "aws_iam_policy": [{"accountId": ACCOUNT, "arn": admin_arn, "policyName": "admin", "admin": True},
                           {"accountId": ACCOUNT, "arn": read_arn, "policyName": "read", "admin": False}],
        "aws_iam_user_policy": [
            {"userArn": f"arn:aws:iam::{ACCOUNT}:user/inline-admin", "policyName": "everything", "admin": True},
            {"userArn": f"arn:aws:iam::{ACCOUNT}:user/reader", "policyName": "own-keys", "admin": False},
        ],
    }
    assert found(tables, "AWS-IAM-007") == {
        f"arn:aws:iam::{ACCOUNT}:user/break-glass": {
            "username": "break-glass", "attachedAdminPolicies": [admin_arn], "inlineAdminPolicies": []},
        f"arn:aws:iam::{ACCOUNT}:user/inline-admin": {
            "username": "inline-admin", "attachedAdminPolicies": [], "inlineAdminPolicies": ["everything"]},
    }


# ------------------------------------------------------------------------------------------------------------------
# Security groups
# ------------------------------------------------------------------------------------------------------------------


def ingress(protocol: str, low: int | None, high: int | None, ipv4: str | None = None, ipv6: str | None = None,
            **source: str) -> dict[str, Any]:
    return {"ipProtocol": protocol, "fromPort": low, "toPort": high, "cidrIpv4": ipv4, "cidrIpv6": ipv6,
            "prefixListId": source.get("prefixListId"), "referencedGroupId": source.get("referencedGroupId"),
            "referencedGroupAccountId": None, "description": source.get("description")}


@pytest.mark.parametrize("rule, ssh_rdp, databases", [
    (ingress("tcp", 22, 22), [22], []),
    (ingress("6", 20, 23), [22], []),
    (ingress("tcp", 3300, 3400), [3389], [3306]),
    (ingress("tcp", 0, 65535), [22, 3389], sorted(DATABASE_PORTS)),
    (ingress("tcp", None, None), [22, 3389], sorted(DATABASE_PORTS)),
    (ingress("-1", None, None), [22, 3389], sorted(DATABASE_PORTS)),
    (ingress("-1", -1, -1), [22, 3389], sorted(DATABASE_PORTS)),
    (ingress("udp", 0, 65535), [], []),
    (ingress("icmp", -1, -1), [], []),
    (ingress("tcp", 23, 3305), [], [1433, 1521]),
    (ingress("tcp", 443, 443), [], []),
])
def test_the_ports_an_ingress_rule_opens(rule, ssh_rdp, databases):
    assert ports_opened(rule, {22: "SSH", 3389: "RDP"}) == ssh_rdp
    assert ports_opened(rule, DATABASE_PORTS) == databases


@pytest.mark.parametrize("cidr, anywhere", [
    ("0.0.0.0/0", True), ("::/0", True), ("0:0::/0", True), ("0.0.0.0/1", False), ("10.0.0.0/8", False),
    ("2001:db8::/32", False), (None, False), ("", False), ("not-a-cidr", False),
])
def test_from_anywhere(cidr, anywhere):
    assert from_anywhere(cidr) is anywhere


def group(name: str, rules: list[dict], region: str = "eu-west-1") -> dict[str, Any]:
    return {"_key": f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/sg-{name}", "accountId": ACCOUNT,
            "region": region, "groupId": f"sg-{name}", "groupName": name, "vpcId": "vpc-1", "ingressRules": rules}


def test_a_group_open_to_the_internet_is_one_finding_listing_the_instances_it_exposes():
    tables = {
        "aws_security_group": [
            group("bastion", [ingress("tcp", 22, 22, "0.0.0.0/0", description="ssh from anywhere"),
                              ingress("tcp", 22, 22, "10.0.0.0/8")]),
            group("everything-v6", [ingress("-1", None, None, ipv6="::/0")]),
            group("web", [ingress("tcp", 443, 443, "0.0.0.0/0"), ingress("tcp", 22, 22, prefixListId="pl-vpn"),
                          ingress("tcp", 5432, 5432, referencedGroupId="sg-app")]),
            group("bastion", [ingress("tcp", 22, 22, "0.0.0.0/0")], region="us-east-1"),
        ],
        "aws_instance": [
            {"_key": "i-bastion", "accountId": ACCOUNT, "region": "eu-west-1", "securityGroupIds": ["sg-bastion"]},
            {"_key": "i-both", "accountId": ACCOUNT, "region": "eu-west-1",
             "securityGroupIds": ["sg-web", "sg-everything-v6", "sg-bastion"]},
            {"_key": "i-elsewhere", "accountId": ACCOUNT, "region": "ap-southeast-2",
             "securityGroupIds": ["sg-bastion"]},
        ],
        "aws_db_instance": [
            {"_key": "db-open", "accountId": ACCOUNT, "region": "eu-west-1",
             "vpcSecurityGroupIds": ["sg-everything-v6"]},
        ],
    }
    remote = found(tables, "AWS-EC2-001")
    assert remote == {
        f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-bastion": {
            "groupId": "sg-bastion", "groupName": "bastion", "vpcId": "vpc-1",
            "openRules": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "source": "0.0.0.0/0",
                           "description": "ssh from anywhere", "ports": [{"port": 22, "service": "SSH"}]}],
            "exposedInstances": ["i-bastion", "i-both"], "exposedDbInstances": [],
        },
        f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-everything-v6": {
            "groupId": "sg-everything-v6", "groupName": "everything-v6", "vpcId": "vpc-1",
            "openRules": [{"ipProtocol": "-1", "fromPort": None, "toPort": None, "source": "::/0", "description": None,
                           "ports": [{"port": 22, "service": "SSH"}, {"port": 3389, "service": "RDP"}]}],
            "exposedInstances": ["i-both"], "exposedDbInstances": ["db-open"],
        },
        f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-bastion": {
            "groupId": "sg-bastion", "groupName": "bastion", "vpcId": "vpc-1",
            "openRules": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "source": "0.0.0.0/0",
                           "description": None, "ports": [{"port": 22, "service": "SSH"}]}],
            "exposedInstances": [], "exposedDbInstances": [],
        },
    }
    databases = found(tables, "AWS-EC2-002")
    assert list(databases) == [f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-everything-v6"]
    [opened] = databases[f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-everything-v6"]["openRules"]
    assert [p["port"] for p in opened["ports"]] == sorted(DATABASE_PORTS)


# ------------------------------------------------------------------------------------------------------------------
# Data stores
# ------------------------------------------------------------------------------------------------------------------

PUBLIC_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Logs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::b/*"},
    {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
]}
ALL_USERS = {"type": "Group", "grantee": "http://acs.amazonaws.com/groups/global/AllUsers", "permission": "READ"}
OWNER = {"type": "CanonicalUser", "grantee": "abc", "permission": "FULL_CONTROL"}


def bucket(name: str, public: bool, policy: dict | None = None, grants: list[dict] = (OWNER,),
           policy_public: bool = False, acl_public: bool = False, **blocks: bool) -> dict[str, Any]:
    flags = {flag: blocks.get(flag, False) for flag in (
        "blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets",
        "accountBlockPublicAccess")}
    return {"_key": f"arn:aws:s3:::{name}", "accountId": ACCOUNT, "region": "eu-west-1", "bucketName": name,
            "public": public, "policyPublic": policy_public, "aclPublic": acl_public,
            "policy": json.dumps(policy) if policy else None, "aclGrants": json.dumps(list(grants)), **flags}


def test_a_public_bucket_says_whether_its_policy_or_its_acl_makes_it_public():
    tables = {"aws_s3_bucket": [
        bucket("by-policy", True, PUBLIC_POLICY, policy_public=True),
        bucket("by-acl", True, grants=[OWNER, ALL_USERS], acl_public=True),
        # The public policy is neutralised by RestrictPublicBuckets; the ACL is not.
        bucket("acl-not-policy", True, PUBLIC_POLICY, [ALL_USERS], True, True, restrictPublicBuckets=True),
        bucket("blocked", False, PUBLIC_POLICY, [ALL_USERS], True, True, accountBlockPublicAccess=True),
        bucket("private", False),
    ]}
    flagged = found(tables, "AWS-S3-001")
    assert sorted(flagged) == ["arn:aws:s3:::acl-not-policy", "arn:aws:s3:::by-acl", "arn:aws:s3:::by-policy"]
    by_policy = flagged["arn:aws:s3:::by-policy"]
    assert by_policy["publicThrough"] == ["policy"]
    assert by_policy["publicStatements"] == [{"index": 1, "statement": PUBLIC_POLICY["Statement"][1]}]
    assert "publicGrants" not in by_policy
    assert flagged["arn:aws:s3:::by-acl"]["publicThrough"] == ["acl"]
    assert flagged["arn:aws:s3:::by-acl"]["publicGrants"] == [ALL_USERS]
    mixed = flagged["arn:aws:s3:::acl-not-policy"]
    assert (mixed["publicThrough"], mixed["publicAccessBlock"]["restrictPublicBuckets"]) == (["acl"], True)
    assert "publicStatements" not in mixed


def test_a_policy_aws_judges_public_without_a_star_statement_is_given_whole():
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "s3:*"}]}
    [evidence] = found({"aws_s3_bucket": [bucket("wild", True, policy, policy_public=True)]}, "AWS-S3-001").values()
    assert json.loads(evidence["policy"]) == policy


def test_unencrypted_volumes_databases_and_tables_are_findings():
    place = {"accountId": ACCOUNT, "region": "us-east-1"}
    tables = {
        "aws_ebs_volume": [
            {"_key": "vol-plain", **place, "encrypted": False, "volumeId": "vol-plain", "state": "in-use", "size": 8,
             "attachedInstanceIds": ["i-1"]},
            {"_key": "vol-kms", **place, "encrypted": True, "volumeId": "vol-kms", "state": "in-use", "size": 8,
             "attachedInstanceIds": ["i-1"]},
        ],
        "aws_rds_cluster": [
            {"_key": "cluster-plain", **place, "encrypted": False, "dbClusterIdentifier": "plain",
             "engine": "aurora-mysql", "memberInstanceIdentifiers": ["plain-1"]},
            {"_key": "cluster-kms", **place, "encrypted": True, "dbClusterIdentifier": "kms",
             "engine": "aurora-mysql", "memberInstanceIdentifiers": ["kms-1"]},
        ],
        "aws_db_instance": [
            {"_key": "db-plain-1", **place, "encrypted": False, "dbInstanceIdentifier": "plain-1",
             "dbClusterIdentifier": "plain", "engine": "aurora-mysql", "publiclyAccessible": False},
            {"_key": "db-legacy", **place, "encrypted": False, "dbInstanceIdentifier": "legacy",
             "dbClusterIdentifier": None, "engine": "mysql", "publiclyAccessible": True},
            # Its cluster was not collected (another region's failed partition, say): the instance stands alone.
            {"_key": "db-orphan", **place, "encrypted": False, "dbInstanceIdentifier": "orphan-1",
             "dbClusterIdentifier": "uncollected", "engine": "aurora-postgresql", "publiclyAccessible": False},
            {"_key": "db-kms", **place, "encrypted": True, "dbInstanceIdentifier": "kms-1",
             "dbClusterIdentifier": "kms", "engine": "aurora-mysql", "publiclyAccessible": False},
        ],
        "aws_dynamodb_table": [
            {"_key": "table-plain", **place, "encrypted": False, "tableName": "plain", "sseType": None},
            {"_key": "table-owned-key", **place, "encrypted": True, "tableName": "owned", "sseType": "AES256"},
            {"_key": "table-unknown", **place, "encrypted": None, "tableName": "unknown", "sseType": None},
        ],
    }
    assert found(tables, "AWS-EC2-003") == {"vol-plain": {
        "volumeId": "vol-plain", "state": "in-use", "size": 8, "attachedInstanceIds": ["i-1"]}}
    databases = found(tables, "AWS-RDS-001")
    assert sorted(databases) == ["cluster-plain", "db-legacy", "db-orphan"]
    assert databases["cluster-plain"]["memberInstanceIdentifiers"] == ["plain-1"]
    assert databases["db-legacy"] == {"dbInstanceIdentifier": "legacy", "engine": "mysql", "publiclyAccessible": True}
    assert found(tables, "AWS-DYNAMODB-001") == {"table-plain": {"tableName": "plain", "sseType": None}}
    storage = [rule for rule in RULES if rule.id in ("AWS-EC2-003", "AWS-RDS-001", "AWS-DYNAMODB-001")]
    types = {f.resource_key: f.resource_type for f in evaluate(tables, NOW, storage)}
    assert (types["cluster-plain"], types["db-legacy"], types["vol-plain"]) == (
        "aws_rds_cluster", "aws_db_instance", "aws_ebs_volume")


# ------------------------------------------------------------------------------------------------------------------
# Findings as a table
# ------------------------------------------------------------------------------------------------------------------


def test_findings_are_ordered_by_severity_and_keep_their_id_across_runs():
    tables = {
        **trust_tables(role("public", [allow("*")])),
        "aws_iam_user": [user("no-mfa", True, False)],
        "aws_iam_access_key": KEYS,
    }
    rules = [rule for rule in RULES if rule.id in ("AWS-IAM-001", "AWS-IAM-004", "AWS-IAM-005", "AWS-IAM-006")]
    first, later = evaluate(tables, NOW, rules), evaluate(tables, NOW + DAY, rules)
    assert [(f.severity, f.rule_id) for f in first] == [
        ("critical", "AWS-IAM-001"), ("high", "AWS-IAM-004"),
        *[("medium", "AWS-IAM-005")] * 2, *[("medium", "AWS-IAM-006")] * 4,
    ]
    assert first[0].finding_id == finding_id("AWS-IAM-001", f"arn:aws:iam::{ACCOUNT}:role/public")
    # A day later the same keys are still findings (with an older age) under the same IDs.
    assert {f.finding_id for f in first} <= {f.finding_id for f in later}
    assert len({f.finding_id for f in first}) == len(first)
    assert count_by_severity(first) == {"critical": 1, "high": 1, "medium": 6, "low": 0}
    assert count_by_rule(first) == {rule_id: {"AWS-IAM-001": 1, "AWS-IAM-004": 1, "AWS-IAM-005": 2,
                                              "AWS-IAM-006": 4}.get(rule_id, 0) for rule_id in RULE_IDS}
    assert count_by_rule(first, rules) == {"AWS-IAM-001": 1, "AWS-IAM-004": 1, "AWS-IAM-005": 2, "AWS-IAM-006": 4}

    table = findings_table(first, NOW)
    assert table.schema == FINDINGS_SCHEMA
    row = table.to_pylist()[1]
    assert {k: row[k] for k in ("ruleId", "severity", "accountId", "region", "resourceKey", "resourceType")} == {
        "ruleId": "AWS-IAM-004", "severity": "high", "accountId": ACCOUNT, "region": "global",
        "resourceKey": f"arn:aws:iam::{ACCOUNT}:user/no-mfa", "resourceType": "aws_iam_user"}
    assert row["title"] == "IAM user with a console password and no MFA"
    assert json.loads(row["evidence"])["username"] == "no-mfa"
    assert set(table.column("observedAt").to_pylist()) == {NOW}
    # Dates in the evidence are ISO 8601 text.
    unrotated = [r for r in table.to_pylist() if r["ruleId"] == "AWS-IAM-006"]
    assert json.loads(unrotated[0]["evidence"])["createdOn"] == (NOW - 90 * DAY - SECOND).isoformat()


def test_no_finding_is_an_empty_table_of_the_schema():
    table = findings_table(evaluate({}, NOW), NOW)
    assert (table.num_rows, table.schema) == (0, FINDINGS_SCHEMA)


def test_the_readme_lists_every_rule_with_its_severity_title_and_controls():
    lines = (REPO / "README.md").read_text().splitlines()
    table = rule_table(RULES)
    start = lines.index(table[0])
    assert lines[start:start + len(table)] == table, "\n".join(table)

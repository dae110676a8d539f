"""Findings: the problems a security team can act on, decided by declared rules over the lake's entity tables.

Pure functions over rows (mappings of column name to value, as DuckDB returns them): no AWS call, no Dagster, no
DuckDB. Each `Rule` declares its ID (`AWS-IAM-001`), severity, title, what it flags (`description`), the columns it
reads per table (`reads`: the asset selects exactly those, and they are its upstream assets) and a function that
yields one `Detection` per resource with the problem, with the evidence: the statements, ingress rules or settings
that cause it, and what it exposes; each also says how to fix it (`remediation`) and which CIS AWS Foundations
Benchmark v4.0 controls it checks (`cis`, declared in aws_assets.analysis.cis). The trust, exposure, encryption and
access rules are here; the posture rules are in aws_assets.analysis.rules, by area, and `RULES` holds them all.
`evaluate` runs the rules and returns `Finding`s; `findings_table` turns them into the `findings` table.

Choices a reviewer should know:

- One finding per (rule, resource), so `findingId` (a hash of the two) stays the same from one run to the next
  while the problem lasts, and the count of findings is the count of things to fix. A security group open to the
  internet is one finding on the group, with the instances it exposes listed in the evidence: the fix is on the
  group, and the finding must not multiply, nor change its ID, as instances come and go.
- Trust findings come from the trust-policy engine (`aws_assets.analysis.trust`), statement by statement: a role
  trusted by everyone (`*`, `{"AWS": "*"}`, `NotPrincipal` with Allow, a web identity provider whose audience is
  not pinned) is a finding unless the trust requires `aws:PrincipalOrgID`/`PrincipalOrgPaths`, `aws:SourceAccount`/
  `SourceArn`/`SourceOrgID`/`SourceOrgPaths` or `aws:PrincipalArn`/`PrincipalAccount`/`userid`/`username`, in the
  Allow itself or through a Deny whose only condition is a negated test of such a key ("Deny unless the caller is in
  my organisation": `StringNotEquals aws:PrincipalOrgID`), covering every assume action the trust grants.
  `sts:ExternalId` and MFA do not restrict who: anyone can pass an external ID, and any AWS user can have MFA. An
  AWS principal in an account that is not ingested must be asked for `sts:ExternalId` (redacted values count: the
  collector hides the value, not the condition). A trust policy the engine cannot read is a finding of its own,
  never a silent gap, and so is an identity policy the IAM policy engine (`aws_assets.analysis.policy`) cannot read.
- External access (`AWS-ACCESS-*`) follows IAM Access Analyzer: a finding on each resource that a principal outside
  the zone of trust (the account, or its organisation: `aws_assets.analysis.zone_of_trust`) may use through its
  resource-based policy or trust policy, read from the `resource_access` table, where the evaluator decided every
  row. One rule per kind of exposure rather than per resource family: the severity is the exposure's (everyone,
  unconditionally or under conditions that do not restrict who; another account or organisation; an identity
  provider; a service acting for any account), the fix is the same for every family, and a type that declares a
  resource policy is covered without a new rule. A resource public and shared with another account has a finding
  of each rule. Trust findings (`AWS-IAM-001`, `002`) stay: they judge the trust engine's edges, with its
  ExternalId rule.
- A value that was not collected (None: the call was denied) never raises a finding: the rules flag what the lake
  shows, and `collectionErrors` says what it could not see.
- Members of an Aurora (or Multi-AZ) cluster share the cluster's storage: an unencrypted cluster is one finding on
  the cluster, not one more per member instance.
- DynamoDB encrypts every table at rest (the collector records `encrypted` true); the rule flags a table recorded
  as unencrypted and does not flag AWS owned keys, which are encryption at rest, not an exposure.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pyarrow as pa

from aws_assets.analysis.access_graph import POLICY_TABLES
from aws_assets.analysis.evaluation import Result
from aws_assets.analysis.policy import PolicyAnalysis, parse_identity_policy
from aws_assets.analysis.resource_access import (
    ACCOUNT,
    EVERYONE,
    FEDERATED,
    ORGANIZATION,
    PRINCIPAL,
    RESOURCE_ACCESS_TABLE,
    SERVICE,
)
from aws_assets.analysis.rules.functions import FUNCTION_RULES
from aws_assets.analysis.rules.grants import GRANT_RULES
from aws_assets.analysis.rules.iam import IAM_POSTURE_RULES
from aws_assets.analysis.rules.logging import LOGGING_RULES
from aws_assets.analysis.rules.model import (
    PLACE,
    SEVERITIES,
    Detection,
    Finding,
    Row,
    Rule,
    RuleInputs,
    Tables,
    finding_id,
    policy_statements,
    statement_list,
)
from aws_assets.analysis.rules.monitoring import MONITORING_RULES
from aws_assets.analysis.rules.network import NETWORK_RULES
from aws_assets.analysis.rules.storage import STORAGE_RULES
from aws_assets.analysis.trust import (
    ACCOUNT_TYPE,
    ASSUME_ACTIONS,
    EXTERNAL_ACCOUNT,
    FEDERATED_USER_TYPE,
    PUBLIC,
    ROLE_TYPE,
    USER_TYPE,
    RoleTrust,
    TrustEdge,
)
from aws_assets.model.conventions import PUBLIC_GRANTEES
from aws_assets.model.entity import Column, json_text, schema_of, string, timestamp

__all__ = [
    "FINDINGS_SCHEMA", "FINDINGS_TABLE", "FINDING_COLUMNS", "RULES", "SEVERITIES", "Detection", "Finding", "Rule",
    "RuleInputs", "count_by_rule", "count_by_severity", "evaluate", "finding_id", "findings_table", "from_anywhere",
    "ports_opened", "statement_list", "tables_read",
]

FINDINGS_TABLE = "findings"
CREDENTIAL_AGE_DAYS = 90

FINDING_COLUMNS: tuple[Column, ...] = (
    string(
        "findingId",
        "Stable ID of the finding: a hash of its rule and resource, the same in every run while the problem lasts",
    ),
    string("ruleId", "The rule that raised it, e.g. AWS-IAM-001 (README, section Findings)"),
    string("severity", "critical, high, medium or low"),
    string("title", "The rule's title"),
    string("accountId", "AWS account of the resource"),
    string("region", "AWS region of the resource, or `global`"),
    string("resourceKey", "`_key` of the entity the finding is about"),
    string("resourceType", "`_type` of that entity, e.g. aws_security_group"),
    json_text("evidence", "What causes it, per rule: the statements, ingress rules or settings, and what is exposed"),
    timestamp("observedAt", "When the findings asset computed it"),
)
FINDINGS_SCHEMA = schema_of(FINDING_COLUMNS, volatile=("observedAt",))  # each run stamps it: not a change


# ---- rules and findings ------------------------------------------------------------------------------------------


def evaluate(tables: Tables, now: datetime, rules: Sequence[Rule] | None = None) -> list[Finding]:
    """Every finding of the rules (all of them by default), most severe first, then by rule, account, region and
    resource."""
    inputs = RuleInputs(tables, now)
    findings = [finding for rule in (RULES if rules is None else rules) for finding in rule.findings(inputs)]
    return sorted(findings, key=lambda f: (
        SEVERITIES.index(f.severity), f.rule_id, f.account_id, f.region, f.resource_key,
    ))


def tables_read(rules: Sequence[Rule] | None = None) -> dict[str, tuple[str, ...]]:
    """Table -> the columns the rules read from it (in declaration order, each once)."""
    columns: dict[str, dict[str, None]] = {}
    for rule in RULES if rules is None else rules:
        for table, names in rule.reads.items():
            columns.setdefault(table, {}).update(dict.fromkeys(names))
    return {table: tuple(names) for table, names in sorted(columns.items())}


def findings_table(findings: Iterable[Finding], observed_at: datetime) -> pa.Table:
    return pa.Table.from_pylist([f.as_row(observed_at) for f in findings], schema=FINDINGS_SCHEMA)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def count_by_rule(findings: Iterable[Finding], rules: Sequence[Rule] | None = None) -> dict[str, int]:
    """Rule ID -> findings, every rule listed (0 when it found nothing)."""
    counts = {rule.id: 0 for rule in (RULES if rules is None else rules)}
    for finding in findings:
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    return counts




# ---- IAM trust ---------------------------------------------------------------------------------------------------

TRUST_READS = {
    "aws_account": ("accountId",),
    "aws_iam_role": ("_key", "accountId", "region", "roleName", "trustPolicy"),
}
# Condition keys that restrict who may assume a role (the engine's orgRestricted, sourceRestricted and
# principalRestricted flags).
RESTRICTING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
    "aws:sourceorgpaths", "aws:principalarn", "aws:principalaccount", "aws:userid", "aws:username",
})
# A Deny under one of these denies every request whose key is not among the values, and also a request without the
# key: "Deny unless ...". With a set operator (ForAllValues:/ForAnyValue:) that no longer holds.
_NEGATED_OPERATORS = frozenset({
    "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike",
})
# The principal types an `sts:ExternalId` condition applies to (AssumeRole by an AWS principal).
_AWS_PRINCIPAL_TYPES = frozenset({ACCOUNT_TYPE, USER_TYPE, ROLE_TYPE, FEDERATED_USER_TYPE})


def _restricting_deny(denial: Mapping[str, Any]) -> bool:
    """Whether a conditional Deny applying to the whole grant (not to some principals within it) denies every
    caller outside an organisation, source or principal: each of its conditions is a negated string or ARN
    operator on a restricting key, with values that are not a bare `*`."""
    condition = denial.get("conditions")
    if denial.get("principals") or denial.get("notPrincipals") or not isinstance(condition, Mapping) or not condition:
        return False
    for operator, entries in condition.items():
        name = str(operator).lower().removesuffix("ifexists")
        if name not in _NEGATED_OPERATORS or not isinstance(entries, Mapping) or not entries:
            return False
        for key, values in entries.items():
            listed = values if isinstance(values, list) else [values]
            if str(key).lower() not in RESTRICTING_KEYS or not listed or "*" in listed:
                return False
    return True


def restricted(edge: TrustEdge) -> bool:
    """Whether the trust admits only callers of an organisation, a source or named principals."""
    if edge.org_restricted or edge.source_restricted or edge.principal_restricted:
        return True
    assume = set(edge.actions) & set(ASSUME_ACTIONS)
    denied = {action for denial in json.loads(edge.denied_when) if _restricting_deny(denial)
              for action in denial["actions"]}
    return bool(assume) and assume <= denied


def _trust_evidence(edge: TrustEdge) -> dict[str, Any]:
    return {
        "principal": edge.to_key,
        "principalType": edge.to_type,
        "principalsAsWritten": list(edge.principals),
        "trustZone": edge.trust_zone,
        "actions": list(edge.actions),
        "conditions": json.loads(edge.conditions),
        "flags": edge.flags,
        "deniedWhen": json.loads(edge.denied_when),
        "statements": list(edge.statements),
    }


def _role_detection(trust: RoleTrust, edges: list[TrustEdge]) -> Detection:
    role = trust.role
    return Detection(
        "aws_iam_role", role["accountId"], role["region"], role["_key"],
        {
            "roleName": role["roleName"],
            "trusts": [_trust_evidence(edge) for edge in edges],
            "trustPolicyStatements": policy_statements(
                role["trustPolicy"], (i for edge in edges for i in edge.statements)
            ),
        },
    )


def detect_public_trust(inputs: RuleInputs) -> Iterator[Detection]:
    for trust in inputs.role_trusts:
        public = [edge for edge in trust.edges if edge.trust_zone == PUBLIC and not restricted(edge)]
        if public:
            yield _role_detection(trust, public)


def detect_external_trust_without_external_id(inputs: RuleInputs) -> Iterator[Detection]:
    for trust in inputs.role_trusts:
        external = [
            edge for edge in trust.edges
            if edge.trust_zone == EXTERNAL_ACCOUNT and edge.to_type in _AWS_PRINCIPAL_TYPES
            and not edge.external_id_required
        ]
        if external:
            yield _role_detection(trust, external)


def detect_unreadable_trust(inputs: RuleInputs) -> Iterator[Detection]:
    for trust in inputs.role_trusts:
        if not trust.analysis.readable:
            role = trust.role
            problems = [
                {"code": p.code, "message": p.message, "statement": p.statement}
                for p in trust.analysis.problems if p.severity == "error"
            ]
            yield Detection(
                "aws_iam_role", role["accountId"], role["region"], role["_key"],
                {"roleName": role["roleName"], "problems": problems, "trustPolicy": role["trustPolicy"]},
            )


# ---- IAM identity policies ---------------------------------------------------------------------------------------

POLICY_READS = {table: ("_key", "accountId", "region", "policyName", "document") for table in POLICY_TABLES}


def detect_unreadable_policy(inputs: RuleInputs) -> Iterator[Detection]:
    """Each distinct document is read once: AWS managed policies repeat in every account."""
    analyses: dict[str | None, PolicyAnalysis] = {}
    for table in POLICY_TABLES:
        for policy in inputs.rows(table):
            document = policy["document"]
            analysis = analyses.get(document)
            if analysis is None:
                analysis = analyses[document] = parse_identity_policy(document)
            if not analysis.readable:
                problems = [
                    {"code": p.code, "message": p.message, "statement": p.statement}
                    for p in analysis.problems if p.severity == "error"
                ]
                yield Detection(
                    table, policy["accountId"], policy["region"], policy["_key"],
                    {"policyName": policy["policyName"], "problems": problems, "document": document},
                )


# ---- IAM users and credentials -----------------------------------------------------------------------------------


def detect_console_without_mfa(inputs: RuleInputs) -> Iterator[Detection]:
    for user in inputs.rows("aws_iam_user"):
        if user["passwordEnabled"] is True and user["mfaEnabled"] is False:
            yield Detection(
                "aws_iam_user", user["accountId"], user["region"], user["_key"],
                {"username": user["username"], "passwordEnabled": True, "mfaEnabled": False,
                 "passwordLastUsed": user["passwordLastUsed"]},
            )


def _days(now: datetime, then: datetime) -> int:
    return (now - then).days


def _key_evidence(key: Row) -> dict[str, Any]:
    return {
        "accessKeyId": key["accessKeyId"], "userName": key["userName"], "userArn": key["userArn"],
        "createdOn": key["createdOn"], "lastUsedDate": key["lastUsedDate"],
        "thresholdDays": CREDENTIAL_AGE_DAYS,
    }


def detect_unused_access_key(inputs: RuleInputs) -> Iterator[Detection]:
    """Active keys last used more than 90 days ago, or never used and created more than 90 days ago."""
    threshold = inputs.now - timedelta(days=CREDENTIAL_AGE_DAYS)
    for key in inputs.rows("aws_iam_access_key"):
        if key["active"] is not True:
            continue
        last_used, created = key["lastUsedDate"], key["createdOn"]
        if last_used is not None:
            if last_used >= threshold:
                continue
            why = {"daysSinceLastUse": _days(inputs.now, last_used)}
        elif created is not None and created < threshold:
            why = {"neverUsed": True, "daysSinceCreation": _days(inputs.now, created)}
        else:
            continue
        yield Detection(
            "aws_iam_access_key", key["accountId"], key["region"], key["_key"], {**_key_evidence(key), **why}
        )


def detect_unrotated_access_key(inputs: RuleInputs) -> Iterator[Detection]:
    """Active keys created more than 90 days ago: a rotated key is a new key, so its age is the time since it was
    created."""
    threshold = inputs.now - timedelta(days=CREDENTIAL_AGE_DAYS)
    for key in inputs.rows("aws_iam_access_key"):
        created = key["createdOn"]
        if key["active"] is True and created is not None and created < threshold:
            yield Detection(
                "aws_iam_access_key", key["accountId"], key["region"], key["_key"],
                {**_key_evidence(key), "ageDays": _days(inputs.now, created)},
            )


def detect_admin_policy_on_user(inputs: RuleInputs) -> Iterator[Detection]:
    admin_managed = {
        (p["accountId"], p["arn"]): p["policyName"] for p in inputs.rows("aws_iam_policy") if p["admin"] is True
    }
    admin_inline: dict[str, list[str]] = {}
    for policy in inputs.rows("aws_iam_user_policy"):
        if policy["admin"] is True:
            admin_inline.setdefault(policy["userArn"], []).append(policy["policyName"])
    for user in inputs.rows("aws_iam_user"):
        managed = sorted(
            arn for arn in user["attachedPolicyArns"] or () if (user["accountId"], arn) in admin_managed
        )
        inline = sorted(admin_inline.get(user["_key"], ()))
        if managed or inline:
            yield Detection(
                "aws_iam_user", user["accountId"], user["region"], user["_key"],
                {"username": user["username"], "attachedAdminPolicies": managed, "inlineAdminPolicies": inline},
            )


# ---- security groups ---------------------------------------------------------------------------------------------

REMOTE_ACCESS_PORTS = {22: "SSH", 3389: "RDP"}
DATABASE_PORTS = {
    1433: "SQL Server", 1521: "Oracle", 3306: "MySQL/MariaDB", 5432: "PostgreSQL", 5439: "Redshift",
    6379: "Redis", 9200: "Elasticsearch/OpenSearch", 27017: "MongoDB/DocumentDB",
}
_ALL_PROTOCOLS = frozenset({"-1", "all"})
_TCP = frozenset({"tcp", "6"})


@lru_cache(maxsize=4096)  # an estate writes a handful of CIDRs in thousands of rules
def from_anywhere(cidr: str | None) -> bool:
    """0.0.0.0/0 or ::/0, however spelled (a prefix of length 0)."""
    if not cidr:
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def ports_opened(rule: Row, ports: Mapping[int, str]) -> list[int]:
    """The `ports` (TCP) an ingress rule opens: all of them for every protocol (-1), those in its range for TCP (an
    empty or -1 bound is the whole range)."""
    protocol = str(rule.get("ipProtocol") or "").lower()
    if protocol in _ALL_PROTOCOLS:
        return sorted(ports)
    if protocol not in _TCP:
        return []
    low, high = rule.get("fromPort"), rule.get("toPort")
    low = 0 if low is None or low < 0 else low
    high = 65535 if high is None or high < 0 else high
    return sorted(port for port in ports if low <= port <= high)


def _open_rules(group: Row, ports: Mapping[int, str]) -> list[dict[str, Any]]:
    opened = []
    for rule in group["ingressRules"] or ():
        source = next((c for c in (rule.get("cidrIpv4"), rule.get("cidrIpv6")) if from_anywhere(c)), None)
        matched = ports_opened(rule, ports) if source else []
        if matched:
            opened.append({
                "ipProtocol": rule.get("ipProtocol"), "fromPort": rule.get("fromPort"), "toPort": rule.get("toPort"),
                "source": source, "description": rule.get("description"),
                "ports": [{"port": port, "service": ports[port]} for port in matched],
            })
    return opened


def _internet_exposure(ports: Mapping[int, str]) -> Callable[[RuleInputs], Iterator[Detection]]:
    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for group in inputs.rows("aws_security_group"):
            opened = _open_rules(group, ports)
            if not opened:
                continue
            workloads = inputs.workloads_by_group.get((group["accountId"], group["region"], group["groupId"]), {})
            yield Detection(
                "aws_security_group", group["accountId"], group["region"], group["_key"],
                {
                    "groupId": group["groupId"], "groupName": group["groupName"], "vpcId": group["vpcId"],
                    "openRules": opened,
                    "exposedInstances": sorted(workloads.get("exposedInstances", [])),
                    "exposedDbInstances": sorted(workloads.get("exposedDbInstances", [])),
                },
            )

    return detect


def _internet_family(control: str, finding: Finding) -> bool:
    """CIS 5.3 is about rules from 0.0.0.0/0, 5.4 about rules from ::/0."""
    wanted = 4 if control == "5.3" else 6
    return any(ipaddress.ip_network(rule["source"], strict=False).version == wanted
               for rule in finding.evidence["openRules"])


SECURITY_GROUP_READS = {
    "aws_security_group": ("_key", "accountId", "region", "groupId", "groupName", "vpcId", "ingressRules"),
    "aws_instance": ("_key", "accountId", "region", "securityGroupIds"),
    "aws_db_instance": ("_key", "accountId", "region", "vpcSecurityGroupIds"),
}


# ---- data stores -------------------------------------------------------------------------------------------------


def _public_statements(policy: str | None) -> list[dict[str, Any]]:
    """The Allow statements of a bucket policy that name everyone as principal, with their index."""
    public = []
    for index, statement in enumerate(statement_list(policy)):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        named = principal.get("AWS") if isinstance(principal, dict) else principal
        if named == "*" or (isinstance(named, list) and "*" in named):
            public.append({"index": index, "statement": statement})
    return public


def detect_public_bucket(inputs: RuleInputs) -> Iterator[Detection]:
    for bucket in inputs.rows("aws_s3_bucket"):
        if bucket["public"] is not True:
            continue
        account_block = bucket["accountBlockPublicAccess"] is True
        through = []
        evidence: dict[str, Any] = {}
        if bucket["policyPublic"] and not bucket["restrictPublicBuckets"] and not account_block:
            through.append("policy")
            statements = _public_statements(bucket["policy"])
            # AWS judged the policy public; when no statement names `*` outright, the whole policy is the evidence.
            evidence["publicStatements" if statements else "policy"] = statements or bucket["policy"]
        if bucket["aclPublic"] and not bucket["ignorePublicAcls"] and not account_block:
            through.append("acl")
            grants = json.loads(bucket["aclGrants"] or "[]")
            evidence["publicGrants"] = [grant for grant in grants if grant.get("grantee") in PUBLIC_GRANTEES]
        yield Detection(
            "aws_s3_bucket", bucket["accountId"], bucket["region"], bucket["_key"],
            {
                "bucketName": bucket["bucketName"], "publicThrough": through,
                "policyPublic": bucket["policyPublic"], "aclPublic": bucket["aclPublic"],
                "publicAccessBlock": {
                    "blockPublicAcls": bucket["blockPublicAcls"], "ignorePublicAcls": bucket["ignorePublicAcls"],
                    "blockPublicPolicy": bucket["blockPublicPolicy"],
                    "restrictPublicBuckets": bucket["restrictPublicBuckets"],
                    "accountBlockPublicAccess": bucket["accountBlockPublicAccess"],
                },
                **evidence,
            },
        )


def detect_unencrypted_volume(inputs: RuleInputs) -> Iterator[Detection]:
    for volume in inputs.rows("aws_ebs_volume"):
        if volume["encrypted"] is False:
            yield Detection(
                "aws_ebs_volume", volume["accountId"], volume["region"], volume["_key"],
                {"volumeId": volume["volumeId"], "state": volume["state"], "size": volume["size"],
                 "attachedInstanceIds": list(volume["attachedInstanceIds"] or [])},
            )


def detect_unencrypted_database(inputs: RuleInputs) -> Iterator[Detection]:
    clusters = {(c["accountId"], c["region"], c["dbClusterIdentifier"]) for c in inputs.rows("aws_rds_cluster")}
    for cluster in inputs.rows("aws_rds_cluster"):
        if cluster["encrypted"] is False:
            yield Detection(
                "aws_rds_cluster", cluster["accountId"], cluster["region"], cluster["_key"],
                {"dbClusterIdentifier": cluster["dbClusterIdentifier"], "engine": cluster["engine"],
                 "memberInstanceIdentifiers": list(cluster["memberInstanceIdentifiers"] or [])},
            )
    for instance in inputs.rows("aws_db_instance"):
        in_cluster = (instance["accountId"], instance["region"], instance["dbClusterIdentifier"]) in clusters
        if instance["encrypted"] is False and not in_cluster:
            yield Detection(
                "aws_db_instance", instance["accountId"], instance["region"], instance["_key"],
                {"dbInstanceIdentifier": instance["dbInstanceIdentifier"], "engine": instance["engine"],
                 "publiclyAccessible": instance["publiclyAccessible"]},
            )


def detect_unencrypted_table(inputs: RuleInputs) -> Iterator[Detection]:
    for table in inputs.rows("aws_dynamodb_table"):
        if table["encrypted"] is False:
            yield Detection(
                "aws_dynamodb_table", table["accountId"], table["region"], table["_key"],
                {"tableName": table["tableName"], "sseType": table["sseType"]},
            )


# ---- external access ---------------------------------------------------------------------------------------------

EXTERNAL_ACCESS_READS = {RESOURCE_ACCESS_TABLE: (
    "resourceKey", "resourceType", "resourceArn", "accountId", "region", "principal", "principalKind",
    "principalAccount", "principalOrgId", "external", "zoneOfTrust", "actions", "conditions", "conditional",
    "decision", "statements",
)}


def _external_access(kinds: frozenset[str], conditional: bool | None) -> Callable[[RuleInputs], Iterator[Detection]]:
    """One detection per resource that a principal of `kinds` outside the zone of trust may use (allowed, or
    allowed when conditions hold; `conditional` None: either), with every such access as evidence."""

    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        by_resource: dict[str, list[Row]] = {}
        for row in inputs.rows(RESOURCE_ACCESS_TABLE):
            may = row["decision"] == Result.ALLOWED.value or row["conditional"] is True
            wanted = conditional is None or row["conditional"] is conditional
            if row["external"] is True and may and wanted and row["principalKind"] in kinds:
                by_resource.setdefault(row["resourceKey"], []).append(row)
        for key, rows in sorted(by_resource.items()):
            first = rows[0]
            yield Detection(first["resourceType"], first["accountId"], first["region"], key, {
                "resourceArn": first["resourceArn"],
                "zoneOfTrust": first["zoneOfTrust"],
                "access": [{
                    "principal": row["principal"], "principalKind": row["principalKind"],
                    "principalAccount": row["principalAccount"], "principalOrgId": row["principalOrgId"],
                    "actions": list(row["actions"] or ()), "conditions": json.loads(row["conditions"] or "[]"),
                    "decision": row["decision"], "conditional": row["conditional"],
                    "statements": json.loads(row["statements"] or "[]"),
                } for row in rows],
            })

    return detect


_ACCESS_FIX = (
    "Remove the statement or narrow its Principal to principals of the zone, or require a condition that "
    "keeps callers inside it (`aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:SourceAccount`/`aws:SourceArn` "
    "for a service), in the Allow or in a \"Deny unless\" statement (or an RCP). The zone of trust is the "
    "account or its organisation (`zoneOfTrust` in the instances file)."
)
_ACCESS_EVIDENCE = (
    " Evidence: each access with its principal, the exact actions, the conditions and the statements, from the "
    "`resource_access` table."
)

# ---- the rules ---------------------------------------------------------------------------------------------------

_PLACE = PLACE
_KEY_COLUMNS = (*_PLACE, "active", "accessKeyId", "userName", "userArn", "createdOn", "lastUsedDate")

CIFS_PORTS = {445: "CIFS/SMB"}

_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-IAM-001", "critical", "Role trusted by everyone without a restricting condition",
        "A role's trust policy lets anyone assume it (`*`, `{\"AWS\": \"*\"}`, NotPrincipal with Allow, or a web "
        "identity provider without a pinned audience) and no condition (in the Allow, or a \"Deny unless\") limits "
        "the callers to an organisation (`aws:PrincipalOrgID`), a source (`aws:SourceAccount`, `aws:SourceArn`) or "
        "named principals (`aws:PrincipalArn`). Evidence: the trusts and their statements.",
        TRUST_READS, detect_public_trust,
        remediation="Remove the statement or narrow its Principal; require `aws:PrincipalOrgID`, "
        "`aws:SourceAccount`/`aws:SourceArn` or `aws:PrincipalArn` in the Allow, or add a \"Deny unless\" "
        "statement.",
    ),
    Rule(
        "AWS-IAM-002", "high", "Role trusted by an external AWS account without sts:ExternalId",
        "A role trusts an AWS account, user or role of an account that is not ingested, and the trust does not "
        "require `sts:ExternalId` (the confused deputy protection for third parties). Evidence: the trusts and "
        "their statements.",
        TRUST_READS, detect_external_trust_without_external_id,
        remediation="Require `sts:ExternalId` (`\"StringEquals\": {\"sts:ExternalId\": \"<the value the third party "
        "gave>\"}`) in the trust statement, or remove the account.",
    ),
    Rule(
        "AWS-IAM-003", "medium", "Role trust policy the analysis cannot read",
        "The trust-policy analysis met an error in the role's trust policy (invalid JSON, an unknown Effect, a "
        "malformed principal, ...): who can assume the role is unknown. Evidence: the problems and the document.",
        TRUST_READS, detect_unreadable_trust,
        remediation="Fix the trust policy so that IAM's policy grammar reads it (`aws iam update-assume-role-policy`); "
        "IAM Access Analyzer's policy validation names the errors.",
    ),
    Rule(
        "AWS-IAM-004", "high", "IAM user with a console password and no MFA",
        "The user can sign in to the console with a password and has no MFA device.",
        {"aws_iam_user": (*_PLACE, "username", "passwordEnabled", "mfaEnabled", "passwordLastUsed")},
        detect_console_without_mfa,
        remediation="Assign an MFA device to the user (`aws iam enable-mfa-device`), or remove the console password if "
        "the user does not sign in.",
        cis=('1.10',),
    ),
    Rule(
        "AWS-IAM-005", "medium", "Access key unused for 90 days",
        "An active access key was last used more than 90 days ago, or was never used and was created more than 90 "
        "days ago: it should be deactivated.",
        {"aws_iam_access_key": _KEY_COLUMNS}, detect_unused_access_key,
        remediation="Deactivate the key (`aws iam update-access-key --status Inactive`), then delete it once nothing "
        "breaks.",
    ),
    Rule(
        "AWS-IAM-006", "medium", "Access key not rotated for 90 days",
        "An active access key was created more than 90 days ago.",
        {"aws_iam_access_key": _KEY_COLUMNS}, detect_unrotated_access_key,
        remediation="Create a second key, move its users to it, then deactivate and delete the old one; better, "
        "replace the key with a role.",
        cis=('1.14',),
    ),
    Rule(
        "AWS-IAM-007", "high", "Admin policy attached directly to an IAM user",
        "A policy granting every action on every resource is attached to the user (managed) or embedded in it "
        "(inline), rather than reaching it through a group or a role.",
        {
            "aws_iam_user": (*_PLACE, "username", "attachedPolicyArns"),
            "aws_iam_policy": ("accountId", "arn", "policyName", "admin"),
            "aws_iam_user_policy": ("userArn", "policyName", "admin"),
        },
        detect_admin_policy_on_user,
        remediation="Put the user in a group holding the policy (or let it assume a role), then detach the policy from "
        "the user.",
    ),
    Rule(
        "AWS-IAM-008", "medium", "Identity policy the analysis cannot read",
        "The IAM policy analysis met an error in a managed or inline policy (invalid JSON, a statement that is not "
        "an object, an unknown Effect, a missing Action or Resource, a Principal, ...): what the policy grants, and "
        "so what its principals can reach, is unknown. Evidence: the problems and the document.",
        POLICY_READS, detect_unreadable_policy,
        remediation="Fix the policy so that IAM's policy grammar reads it; IAM Access Analyzer's policy validation "
        "names the errors.",
    ),
    Rule(
        "AWS-EC2-001", "high", "Security group open to the internet on SSH or RDP",
        "An ingress rule admits 0.0.0.0/0 or ::/0 on TCP 22 (SSH) or 3389 (RDP), by port, by a range covering "
        "it or with all protocols. Evidence: the rules, and the EC2 and DB instances the group is attached to.",
        SECURITY_GROUP_READS, _internet_exposure(REMOTE_ACCESS_PORTS),
        remediation="Remove the rule, or narrow its source to the addresses that administer the hosts; reach them with "
        "Systems Manager Session Manager instead.",
        cis=('5.3', '5.4'),
        fails_control=_internet_family,
    ),
    Rule(
        "AWS-EC2-002", "high", "Security group open to the internet on a database port",
        "An ingress rule admits 0.0.0.0/0 or ::/0 on a database port (TCP "
        + ", ".join(f"{port} {name}" for port, name in sorted(DATABASE_PORTS.items()))
        + "), by port, by a range covering it or with all protocols. Evidence: the rules, and the EC2 and DB "
        "instances the group is attached to.",
        SECURITY_GROUP_READS, _internet_exposure(DATABASE_PORTS),
        remediation="Remove the rule, or narrow its source to the application's security group or addresses; keep "
        "databases in private subnets.",
    ),
    Rule(
        "AWS-EC2-003", "medium", "Unencrypted EBS volume",
        "The EBS volume is not encrypted.",
        {"aws_ebs_volume": (*_PLACE, "encrypted", "volumeId", "state", "size", "attachedInstanceIds")},
        detect_unencrypted_volume,
        remediation="Copy a snapshot of the volume with encryption on, create a volume from it and swap it in; turn on "
        "EBS encryption by default in every region.",
    ),
    Rule(
        "AWS-EC2-008", "high", "Security group open to the internet on CIFS/SMB",
        "An ingress rule admits 0.0.0.0/0 or ::/0 on TCP 445 (CIFS/SMB file sharing), by port, by a range covering "
        "it or with all protocols. Evidence: the rules, and the EC2 and DB instances the group is attached to.",
        SECURITY_GROUP_READS, _internet_exposure(CIFS_PORTS),
        remediation="Remove the rule, or narrow its source to the networks that use the share.",
        cis=("5.1.2",),
    ),
    Rule(
        "AWS-S3-001", "critical", "Public S3 bucket",
        "The bucket is public: its policy or ACL grants everyone access and no public access block (the bucket's "
        "or the account's) neutralises it. Evidence: which one makes it public (`publicThrough`), the public "
        "statements or grants, and the public access block settings.",
        {"aws_s3_bucket": (
            *_PLACE, "bucketName", "public", "policyPublic", "aclPublic", "policy", "aclGrants", "blockPublicAcls",
            "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets", "accountBlockPublicAccess",
        )},
        detect_public_bucket,
        remediation="Turn on Block Public Access for the account and the bucket, then remove the public statements or "
        "grants; serve public content through CloudFront with origin access control.",
    ),
    Rule(
        "AWS-ACCESS-001", "critical", "Resource public to everyone",
        "A resource-based policy (S3 bucket, Lambda function, API Gateway, KMS key, SQS queue, SNS topic, secret, "
        "ECR repository, any type declaring one, or a role's trust) lets everyone (`*`, `{\"AWS\": \"*\"}`, "
        "NotPrincipal) use it with no condition, as IAM Access Analyzer's public findings; RCPs and Denies applied."
        + _ACCESS_EVIDENCE,
        EXTERNAL_ACCESS_READS, _external_access(frozenset({EVERYONE}), False),
        remediation=_ACCESS_FIX,
    ),
    Rule(
        "AWS-ACCESS-002", "high", "Resource public to everyone under conditions that do not restrict who",
        "A resource-based policy lets everyone use the resource when conditions hold that do not keep the callers "
        "inside the zone of trust (`aws:SourceIp`, `aws:SecureTransport`, `sts:ExternalId`, ...): anyone meeting "
        "them is in, as Access Analyzer judges it." + _ACCESS_EVIDENCE,
        EXTERNAL_ACCESS_READS, _external_access(frozenset({EVERYONE}), True),
        remediation=_ACCESS_FIX,
    ),
    Rule(
        "AWS-ACCESS-003", "medium", "Resource shared with an account or organisation outside the zone of trust",
        "A resource-based policy (or a role's trust policy) grants an account, an IAM user or role of an account, or "
        "every principal of an organisation (`aws:PrincipalOrgID`) outside the zone of trust, with or without "
        "conditions that leave them outside." + _ACCESS_EVIDENCE,
        EXTERNAL_ACCESS_READS, _external_access(frozenset({ACCOUNT, PRINCIPAL, ORGANIZATION}), None),
        remediation=_ACCESS_FIX,
    ),
    Rule(
        "AWS-ACCESS-004", "medium", "Resource shared with a federated identity",
        "A resource-based policy or trust policy grants an identity provider (SAML, OIDC, Cognito, a web identity "
        "provider): its users are outside the zone of trust, as Access Analyzer reports them." + _ACCESS_EVIDENCE,
        EXTERNAL_ACCESS_READS, _external_access(frozenset({FEDERATED}), None),
        remediation=_ACCESS_FIX,
    ),
    Rule(
        "AWS-ACCESS-005", "low", "Resource usable by an AWS service on behalf of any account",
        "A resource-based policy grants an AWS service principal without `aws:SourceAccount`, `aws:SourceArn` or "
        "`aws:SourceOrgID` pinned to the zone of trust: the service may use the resource for another account's "
        "resources (the confused deputy). A role trusted by a service is AWS-IAM-023's." + _ACCESS_EVIDENCE,
        EXTERNAL_ACCESS_READS, _external_access(frozenset({SERVICE}), None),
        remediation=_ACCESS_FIX,
    ),
    Rule(
        "AWS-RDS-001", "medium", "Unencrypted RDS database",
        "An RDS cluster, or a DB instance outside any collected cluster, does not encrypt its storage (cluster "
        "members share the cluster's storage and are covered by its finding).",
        {
            "aws_rds_cluster": (*_PLACE, "encrypted", "dbClusterIdentifier", "engine", "memberInstanceIdentifiers"),
            "aws_db_instance": (
                *_PLACE, "encrypted", "dbInstanceIdentifier", "dbClusterIdentifier", "engine", "publiclyAccessible",
            ),
        },
        detect_unencrypted_database,
        remediation="Snapshot the database, copy the snapshot with encryption on, and restore from the copy (RDS "
        "cannot encrypt a database in place).",
        cis=('2.2.1',),
    ),
    Rule(
        "AWS-DYNAMODB-001", "medium", "Unencrypted DynamoDB table",
        "The table is recorded as not encrypted at rest (`encrypted` false). AWS encrypts every table, with an AWS "
        "owned key by default, and the collector records them so: the rule holds the line should that change. An "
        "AWS owned key is not flagged: it is encryption at rest, not an exposure.",
        {"aws_dynamodb_table": (*_PLACE, "encrypted", "tableName", "sseType")},
        detect_unencrypted_table,
        remediation="Update the table's encryption (`aws dynamodb update-table --sse-specification Enabled=true`).",
    ),
)



def _by_service(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """The rules of each service together, services in the order they first appear, IDs in order within each."""
    services = list(dict.fromkeys(rule.id.rsplit("-", 1)[0] for rule in rules))
    return tuple(sorted(rules, key=lambda rule: (services.index(rule.id.rsplit("-", 1)[0]), rule.id)))


RULES: tuple[Rule, ...] = _by_service(
    (*_RULES, *IAM_POSTURE_RULES, *GRANT_RULES, *NETWORK_RULES, *STORAGE_RULES, *FUNCTION_RULES, *LOGGING_RULES,
     *MONITORING_RULES)
)

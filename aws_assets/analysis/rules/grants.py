"""Identity policies that grant too much, decided by the request evaluator (aws_assets.analysis.evaluation): each
attached policy alone, as the identity policy of a principal of its account, is asked for probe requests.

- Administrator access (`*:*`): every probe allowed, among them an action of no AWS service (only `"Action": "*"`
  or a NotAction grants it) and actions of the services a NotAction would most likely spare (IAM, STS, S3, EC2,
  KMS, Organizations).
- Full access to a service (KMS, CloudTrail): an action of that service that does not exist, on any resource of
  the service (only `kms:*`, `cloudtrail:*` or broader grants it); an administrator policy is left to the
  administrator rule, which already says as much.

A grant under a condition is not access to everything: the evaluator leaves a request whose conditions read keys it
does not hold conditional, and its result is then the worst case (not allowed), so an "admin with MFA" policy does
not fire. A policy counts wherever attached: a managed policy attached to anyone (`attachmentCount`, or a user,
group or role listing it), every inline policy."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aws_assets.analysis.evaluation import PolicySet, Request, evaluate
from aws_assets.analysis.rules.model import PLACE, Detection, Detector, Rule, RuleInputs
from aws_assets.analysis.statements import Policy

# A KMS key policy and a role's trust policy must allow too: the probes' resources hold the default ones, which
# delegate to the account's IAM policies (what "full access" means for a key whose policy defers to IAM).
_DELEGATE_TO_ACCOUNT = '{{"Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}}, ' \
    '"Action": "*", "Resource": "*"}}]}}'
_NEEDS_RESOURCE_POLICY = ("kms", "sts")
# (action, resource) with `{account}` for the policy's account.
ADMIN_PROBES: tuple[tuple[str, str], ...] = (
    ("aws-assets-probe:AnyAction", "arn:aws:aws-assets-probe:us-east-1:{account}:anything/probe"),
    ("iam:PassRole", "arn:aws:iam::{account}:role/aws-assets-probe"),
    ("iam:CreateAccessKey", "arn:aws:iam::{account}:user/aws-assets-probe"),
    ("sts:AssumeRole", "arn:aws:iam::{account}:role/aws-assets-probe"),
    ("s3:GetObject", "arn:aws:s3:::aws-assets-probe/any-key"),
    ("ec2:RunInstances", "arn:aws:ec2:us-east-1:{account}:instance/*"),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:{account}:key/aws-assets-probe"),
    ("organizations:LeaveOrganization", "*"),
)
SERVICE_PROBES = {
    "kms": ("kms:AwsAssetsProbe", "arn:aws:kms:us-east-1:{account}:key/aws-assets-probe"),
    "cloudtrail": ("cloudtrail:AwsAssetsProbe", "arn:aws:cloudtrail:us-east-1:{account}:trail/aws-assets-probe"),
}
INLINE_TABLES = {"aws_iam_user_policy": "userArn", "aws_iam_group_policy": "groupArn",
                 "aws_iam_role_policy": "roleArn"}
_PRINCIPAL_TABLES = ("aws_iam_user", "aws_iam_group", "aws_iam_role")

READS: dict[str, tuple[str, ...]] = {
    "aws_iam_policy": (*PLACE, "arn", "policyName", "document", "awsManaged", "attachmentCount"),
    **{table: (*PLACE, "policyName", "document", owner) for table, owner in INLINE_TABLES.items()},
    **{table: ("_key", "accountId", "attachedPolicyArns") for table in _PRINCIPAL_TABLES},
}


@dataclass(frozen=True)
class Grant:
    """What one policy grants among the probes: every admin probe, or the whole of a service."""

    admin: bool
    full_services: frozenset[str]
    statements: tuple[dict[str, str], ...]  # the allowing statements (Sid, else index) of the first probe


_UNDER_TEST = "policy"  # the name decisions cite the policy by: a decision serves every policy of its key


def _decide(document: str, account: str, probes: Sequence[tuple[str, str]]) -> tuple[bool, list]:
    principal = f"arn:aws:iam::{account}:role/aws-assets-probe"
    identity = PolicySet(identity=[Policy(_UNDER_TEST, document)])
    delegated = PolicySet(identity=[Policy(_UNDER_TEST, document)],
                          resource=Policy("default resource policy", _DELEGATE_TO_ACCOUNT.format(account=account)))
    cited: list = []
    for action, resource in probes:
        policies = delegated if action.split(":", 1)[0] in _NEEDS_RESOURCE_POLICY else identity
        decision = evaluate(Request(principal, action, resource.format(account=account),
                                    resource_account=account), policies)
        if not decision.allowed:
            return False, []
        cited = cited or [{"statement": ref.statement} for ref in decision.statements if ref.policy == _UNDER_TEST]
    return True, cited


def policy_grant(document: str | None, account: str) -> Grant | None:
    if not document:
        return None
    admin, cited = _decide(document, account, ADMIN_PROBES)
    if admin:
        return Grant(True, frozenset(SERVICE_PROBES), tuple(cited))
    full: set[str] = set()
    for service, probe in SERVICE_PROBES.items():
        granted, refs = _decide(document, account, (probe,))
        if granted:
            full.add(service)
            cited = cited or refs
    return Grant(False, frozenset(full), tuple(cited)) if full else None


_ACCOUNT_SPECIFIC = re.compile(r"[0-9]{12}|\$\{")


def decision_key(document: str, account: str) -> tuple[str, str]:
    """What a policy's grant depends on: its document, and its account when the document names an account or holds
    a policy variable (`${aws:PrincipalAccount}`); otherwise the probes match its wildcards alike in every account,
    and an AWS managed or templated policy is decided once for the estate."""
    return (document, account if _ACCOUNT_SPECIFIC.search(document) else "")


@dataclass
class _Attached:
    """Every attached policy of the lake with what it grants, each (document, account) decided once: AWS managed
    policies repeat in every account."""

    inputs: RuleInputs

    @cached_property
    def holders(self) -> dict[tuple[str, str], list[str]]:
        """(account, managed policy ARN) -> the users, groups and roles it is attached to."""
        found: dict[tuple[str, str], list[str]] = {}
        for table in _PRINCIPAL_TABLES:
            for principal in self.inputs.rows(table):
                for arn in principal["attachedPolicyArns"] or ():
                    found.setdefault((principal["accountId"], arn), []).append(principal["_key"])
        return found

    @cached_property
    def grants(self) -> list[tuple[str, Mapping[str, Any], list[str], Grant]]:
        """(table, policy row, where attached, grant) for each attached policy that grants something probed."""
        decided: dict[tuple[str, str], Grant | None] = {}  # one decision per decision_key
        out = []
        for table, row, attached in self._attached_policies():
            if not row["document"]:
                continue
            place = decision_key(row["document"], row["accountId"])
            if place not in decided:
                decided[place] = policy_grant(row["document"], row["accountId"])
            grant = decided[place]
            if grant is not None:
                out.append((table, row, attached, grant))
        return out

    def _attached_policies(self) -> Iterator[tuple[str, Mapping[str, Any], list[str]]]:
        for policy in self.inputs.rows("aws_iam_policy"):
            attached = sorted(self.holders.get((policy["accountId"], policy["arn"]), ()))
            if attached or (policy["attachmentCount"] or 0) > 0:
                yield "aws_iam_policy", policy, attached
        for table, owner in INLINE_TABLES.items():
            for policy in self.inputs.rows(table):
                yield table, policy, [policy[owner]]


def _detection(table: str, policy: Mapping[str, Any], attached: list[str], grant: Grant,
               extra: dict[str, Any]) -> Detection:
    return Detection(table, policy["accountId"], policy["region"], policy["_key"], {
        "policyName": policy["policyName"], "awsManaged": policy.get("awsManaged", False),
        "attachedTo": attached, "allowingStatements": list(grant.statements), **extra,
    })


def detect_admin_policies(inputs: RuleInputs) -> Iterator[Detection]:
    for table, policy, attached, grant in inputs.shared(_Attached).grants:
        if grant.admin:
            yield _detection(table, policy, attached, grant, {"probes": [a for a, _ in ADMIN_PROBES]})


def _full_service(service: str) -> Detector:
    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for table, policy, attached, grant in inputs.shared(_Attached).grants:
            if not grant.admin and service in grant.full_services and policy.get("awsManaged") is not True:
                yield _detection(table, policy, attached, grant, {"service": service})

    return detect


_FIX = ("Replace the policy with one that names the actions and resources its principals need (IAM Access "
        "Analyzer's policy generation starts from their CloudTrail history), or require a condition that keeps "
        "the grant to break-glass use.")

GRANT_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-IAM-018", "high", "Attached policy grants full administrative access (*:*)",
        "A managed policy attached to a user, group or role, or an inline policy, allows every action on every "
        "resource without a condition, as the policy evaluator decides it: `\"Action\": \"*\"` or a NotAction "
        "that spares none of IAM, STS, S3, EC2, KMS and Organizations. A grant only under a condition "
        "(MFA, a source IP, a tag) does not fire. Evidence: where it is attached and the allowing statements.",
        READS, detect_admin_policies,
        remediation=_FIX, cis=("1.16",),
    ),
    Rule(
        "AWS-IAM-019", "medium", "Customer policy grants full access to KMS (kms:*)",
        "A customer managed policy attached to someone, or an inline policy, allows every KMS action (`kms:*`) on "
        "every key without a condition: whoever holds it can decrypt with, re-key, or schedule the deletion of any "
        "key whose key policy defers to IAM. Administrator policies are the finding of AWS-IAM-018 instead.",
        READS, _full_service("kms"),
        remediation="Grant the KMS actions the principals use (`kms:Decrypt`, `kms:GenerateDataKey`) on the keys "
        "they use; keep `kms:ScheduleKeyDeletion`, `kms:PutKeyPolicy` and `kms:DisableKey` to key administrators.",
    ),
    Rule(
        "AWS-IAM-020", "medium", "Customer policy grants full access to CloudTrail (cloudtrail:*)",
        "A customer managed policy attached to someone, or an inline policy, allows every CloudTrail action "
        "(`cloudtrail:*`) on every trail without a condition: whoever holds it can stop or delete the audit trail. "
        "Administrator policies are the finding of AWS-IAM-018 instead.",
        READS, _full_service("cloudtrail"),
        remediation="Grant read actions (`cloudtrail:LookupEvents`, `cloudtrail:Describe*`, `cloudtrail:Get*`) and "
        "keep `cloudtrail:StopLogging`, `cloudtrail:DeleteTrail` and `cloudtrail:UpdateTrail` to the logging "
        "administrators.",
    ),
)

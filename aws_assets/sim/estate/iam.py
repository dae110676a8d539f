"""IAM (global): the integration role, customer managed policies, users, groups and roles of every account.

* Role ``aws-assets-readonly``: the integration role, trusting the operator account root with an ``sts:ExternalId``
  condition (see :func:`~aws_assets.sim.accounts.external_id_for`), attached to the customer managed policy
  ``aws-assets-security-audit`` (moto has no AWS managed policy unless the server loads all of them, which is slow;
  the simulator teaches it only the few the estate attaches, :mod:`aws_assets.sim.teach_moto`).
* Customer managed policies: ``aws-assets-security-audit`` (read-only), ``acme-admin-access``
  (``"Action": "*", "Resource": "*"``), ``acme-s3-read-artifacts`` (two versions, v2 default),
  ``acme-dynamodb-read-write``; prod also has ``acme-legacy-unused``, attached to nothing, and
  ``acme-security-operations`` (``kms:*`` only with MFA, read-only CloudTrail); shared has ``acme-kms-full-access``
  (``kms:*``) and ``acme-cloudtrail-full-access`` (``cloudtrail:*``).
* Users: ``alice`` (Email tag, console password, virtual MFA, one active access key, inline policy),
  ``bob.smith@example.com`` (the user name is an email; console, no MFA), ``dave`` (malformed Email tag
  ``not-an-email``; console and MFA), ``ci-deploy`` (no console, one active and one inactive access key, in dev
  two active ones; inline policy), ``break-glass`` (console, no MFA, ``acme-admin-access`` attached directly) and
  bulk ``engineer-NN`` users (Email tag, console; odd ones hold an access key, even ones an MFA device): prod 3,
  dev 2, shared 1.
* Groups: ``admins`` (alice; inline ``require-mfa``; ``acme-admin-access``) and ``developers`` (bob, dave, the
  engineers; inline ``developer-console-access``; ``acme-s3-read-artifacts`` and ``acme-dynamodb-read-write``);
  shared also has an empty ``auditors`` group (``aws-assets-security-audit``, ``acme-kms-full-access``,
  ``acme-cloudtrail-full-access``). dev's developers also hold the AWS managed ``AWSCloudShellFullAccess``.
* Roles in every account: ``aws-assets-readonly``; ``lambda-execution`` (trusts lambda.amazonaws.com); ``ec2-app``
  (trusts ec2.amazonaws.com, with instance profile ``ec2-app``); ``aws-config-recorder`` (trusts
  config.amazonaws.com); ``admin-escalation`` (trusts the user alice of the same account, MFA required; in prod it
  also holds ``acme-security-operations`` and the AWS managed ``AWSSupportAccess``: the support role);
  ``okta-engineer`` (trusts the SAML provider ``okta``). Only in prod and dev: ``cross-account-deploy``, trusted by
  the shared account's role ``deployment-pipeline`` (which exists only in shared and trusts
  codebuild.amazonaws.com). Only in dev: ``vendor-support``, trusting
  ``{"AWS": "*"}`` with only an ``sts:ExternalId`` condition. Only in prod: ``external-auditor``, trusted by the
  unseeded account 999999999999 without an ExternalId. Only in prod and shared: ``org-readonly``, trusting
  ``{"AWS": "*"}`` under an ``aws:PrincipalOrgID`` condition.
* Password policy: prod's meets CIS (14 characters, every character class, 24 remembered, 90 days), dev's is weak
  (8 characters, no symbols, no reuse prevention, no expiry), shared has none.
* History (moto makes everything at seeding; see ``_PLANS``): prod's ci-deploy key is 400 days old and was used
  yesterday, dave last signed in 60 days ago and bob 2 days ago; dev's ci-deploy has a 400-day-old key last used 100
  days ago beside its 80-day-old successor. The root users: prod's has a hardware MFA device and last signed in 200
  days ago; dev's a virtual MFA device and an access key used 10 days ago; shared's no MFA and no recorded use.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_assets.sim.accounts import (
    ACCOUNTS,
    DEV,
    INTEGRATION_ROLE_NAME,
    OPERATOR_ACCOUNT_ID,
    ORGANIZATION_ID,
    PROD,
    SHARED,
    external_id_for,
    role_arn,
)
from aws_assets.sim.documents import policy_document, statement, trust_policy
from aws_assets.sim.seeder import AccountContext, Output, Seeder
from aws_assets.sim.teach_moto import KeyHistory, RootUser, backdate_user, declare_root_user

EXTERNAL_AUDITOR_ACCOUNT_ID = "999999999999"
_PIPELINE_ACCOUNT_ID = SHARED  # the account whose deployment-pipeline role deploys to the others

LAMBDA_ROLE_ARN = Output[str]("the Lambda functions' execution role")
CONFIG_ROLE_ARN = Output[str]("the role AWS Config records with")
INSTANCE_PROFILE_ARN = Output[str]("the web and worker hosts' instance profile")


@dataclass(frozen=True)
class _History:
    """A user's past, in days before seeding: when it was made, when its password was last used, and (made, last
    used) of its first keys in the order they were made (None: never used)."""

    made: int
    password_used: int | None = None
    keys: tuple[tuple[int, int | None], ...] = ()


@dataclass(frozen=True)
class _Root:
    """The account's root user, in days before seeding (see aws_assets.sim.teach_moto.RootUser)."""

    made: int
    mfa: str | None = None
    access_key: bool = False
    password_used: int | None = None
    access_key_used: int | None = None


@dataclass(frozen=True)
class _Plan:
    engineer_users: int  # multiplied by scale
    root: _Root
    extra_roles: tuple[str, ...] = ()
    has_auditors_group: bool = False
    has_unused_policy: bool = False
    ci_deploy_keys: tuple[str, ...] = ("Active", "Inactive")  # the status of each
    histories: Mapping[str, _History] = field(default_factory=dict)  # by user name; the others are new
    extra_policies: tuple[str, ...] = ()  # of _EXTRA_POLICIES
    # group or role -> the customer managed (by name) and AWS managed (by ARN) policies it holds besides the usual ones
    group_policies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    role_policies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_SUPPORT_ACCESS = "arn:aws:iam::aws:policy/AWSSupportAccess"
_CLOUDSHELL_FULL_ACCESS = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"

_PLANS = {
    # The root user has a hardware MFA device and last signed in months ago; admin-escalation is the support role.
    # ci-deploy's key is 400 days old (used yesterday), dave last signed in two months ago, bob two days ago.
    PROD: _Plan(
        engineer_users=3,
        root=_Root(made=1500, mfa="hardware", password_used=200),
        extra_roles=("cross-account-deploy", "external-auditor", "org-readonly"),
        has_unused_policy=True,
        histories={"ci-deploy": _History(420, keys=((400, 1),)), "dave": _History(300, password_used=60),
                   "bob.smith@example.com": _History(200, password_used=2)},
        extra_policies=("acme-security-operations",),
        role_policies={"admin-escalation": ("acme-security-operations", _SUPPORT_ACCESS)},
    ),
    # The root user has a virtual MFA device and an access key used ten days ago; a vendor's support role trusts
    # everyone who knows its ExternalId. ci-deploy was rotated 80 days ago and its old key is still active, last used
    # 100 days ago; the developers may use CloudShell's file transfers.
    DEV: _Plan(
        engineer_users=2,
        root=_Root(made=1100, mfa="virtual", access_key=True, access_key_used=10),
        extra_roles=("cross-account-deploy", "vendor-support"),
        ci_deploy_keys=("Active", "Active"),
        histories={"ci-deploy": _History(420, keys=((400, 100), (80, 0)))},
        group_policies={"developers": (_CLOUDSHELL_FULL_ACCESS,)},
    ),
    # The root user has no MFA and was never used. The (empty) auditors group was given kms:* and cloudtrail:* where
    # read-only access was meant.
    SHARED: _Plan(
        engineer_users=1,
        root=_Root(made=700),
        extra_roles=("deployment-pipeline", "org-readonly"),
        has_auditors_group=True,
        extra_policies=("acme-kms-full-access", "acme-cloudtrail-full-access"),
        group_policies={"auditors": ("acme-kms-full-access", "acme-cloudtrail-full-access")},
    ),
}
_VENDOR_SUPPORT_EXTERNAL_ID = "acme-dev-support-4821"  # the vendor's, given to every customer alike
ENGINEER_USERS = {account: plan.engineer_users for account, plan in _PLANS.items()}  # at scale 1


@dataclass(frozen=True)
class _InlinePolicy:
    name: str
    document: str


@dataclass(frozen=True)
class _Group:
    name: str
    inline_policy: _InlinePolicy | None
    managed_policies: tuple[str, ...]  # names of the account's customer managed policies, or AWS managed ARNs


@dataclass(frozen=True)
class _User:
    name: str
    tags: Mapping[str, str]
    console: bool = False
    mfa: bool = False
    access_keys: tuple[str, ...] = ()  # the status of each
    groups: tuple[str, ...] = ()
    inline_policy: _InlinePolicy | None = None
    managed_policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Role:
    name: str
    description: str
    trust: dict[str, Any]
    managed_policies: tuple[str, ...] = ()  # names of the account's customer managed policies, or AWS managed ARNs
    inline_policy: _InlinePolicy | None = None


def _seed(account: AccountContext) -> None:
    iam = account.clients("iam")
    policy_arns = _seed_managed_policies(iam, account.account_id)
    for group in _groups(account.account_id):
        iam.create_group(GroupName=group.name)
        if group.inline_policy:
            iam.put_group_policy(GroupName=group.name, PolicyName=group.inline_policy.name,
                                 PolicyDocument=group.inline_policy.document)
        for policy in group.managed_policies:
            iam.attach_group_policy(GroupName=group.name, PolicyArn=policy_arns.get(policy, policy))
    for user in _users(account.account_id, account.scale):
        _create_user(iam, user, policy_arns)
    _seed_history(account.account_id)

    iam.create_saml_provider(Name="okta", SAMLMetadataDocument=_saml_metadata(account.account_id))
    role_arns = {}
    for role in _roles(account.account_id):
        role_arns[role.name] = iam.create_role(
            RoleName=role.name,
            AssumeRolePolicyDocument=json.dumps(role.trust),
            Description=role.description,
            Tags=[{"Key": "ManagedBy", "Value": "terraform"}],
        )["Role"]["Arn"]
        for policy in role.managed_policies:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=policy_arns.get(policy, policy))
        if role.inline_policy:
            iam.put_role_policy(RoleName=role.name, PolicyName=role.inline_policy.name,
                                PolicyDocument=role.inline_policy.document)
    account[LAMBDA_ROLE_ARN] = role_arns["lambda-execution"]
    account[CONFIG_ROLE_ARN] = role_arns["aws-config-recorder"]

    account[INSTANCE_PROFILE_ARN] = iam.create_instance_profile(InstanceProfileName="ec2-app")[
        "InstanceProfile"
    ]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-app", RoleName="ec2-app")
    password_policy = PASSWORD_POLICIES[account.account_id]
    if password_policy:
        iam.update_account_password_policy(**password_policy)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    users = _users(account_id, scale)
    groups = _groups(account_id)
    roles = _roles(account_id)
    aws_managed_in_use = {policy for principal in (*groups, *roles) for policy in principal.managed_policies
                          if policy.startswith("arn:")}
    return {
        "aws_iam": 1,  # aws-assets models each service of an account as one entity
        "aws_iam_policy": len(_managed_policies(account_id)) + len(aws_managed_in_use),
        "aws_iam_user": len(users),
        "aws_iam_user_policy": sum(user.inline_policy is not None for user in users),
        "aws_iam_access_key": sum(len(user.access_keys) for user in users),
        "mfa_device": sum(user.mfa for user in users),
        "aws_iam_group": len(groups),
        "aws_iam_group_policy": sum(group.inline_policy is not None for group in groups),
        "aws_iam_role": len(roles),
        "aws_iam_role_policy": sum(role.inline_policy is not None for role in roles),
    }


SEEDER = Seeder(seed=_seed, counts=_counts)

PASSWORD_POLICIES: Mapping[str, Mapping[str, Any] | None] = {
    PROD: {"MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
           "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "AllowUsersToChangePassword": True,
           "MaxPasswordAge": 90, "PasswordReusePrevention": 24},
    DEV: {"MinimumPasswordLength": 8, "RequireSymbols": False, "RequireNumbers": True,
          "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "AllowUsersToChangePassword": True},
    SHARED: None,
}


# --------------------------------------------------------------------------------------------
# Customer managed policies
# --------------------------------------------------------------------------------------------


def _managed_policies(account_id: str) -> dict[str, str]:
    """The customer managed policies of the account: name -> document of its first version."""
    env = ACCOUNTS[account_id]
    documents = {
        "aws-assets-security-audit": policy_document(
            statement(
                [
                    "apigateway:GET",
                    "config:Describe*",
                    "config:Get*",
                    "dynamodb:Describe*",
                    "dynamodb:List*",
                    "ec2:Describe*",
                    "iam:Get*",
                    "iam:List*",
                    "iam:GenerateCredentialReport",
                    "lambda:Get*",
                    "lambda:List*",
                    "rds:Describe*",
                    "s3:GetBucket*",
                    "s3:GetEncryptionConfiguration",
                    "s3:ListAllMyBuckets",
                    "sts:GetCallerIdentity",
                ],
                "*",
            )
        ),
        "acme-admin-access": policy_document(statement("*", "*")),
        "acme-s3-read-artifacts": policy_document(statement(["s3:GetObject"], "arn:aws:s3:::acme-artifacts/*")),
        "acme-dynamodb-read-write": policy_document(
            statement(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                f"arn:aws:dynamodb:*:{account_id}:table/{env}-*",
            )
        ),
    }
    for name in _PLANS[account_id].extra_policies:
        documents[name] = _EXTRA_POLICIES[name]
    if _PLANS[account_id].has_unused_policy:
        documents["acme-legacy-unused"] = policy_document(
            statement(["sqs:SendMessage"], f"arn:aws:sqs:*:{account_id}:legacy-*")
        )
    return documents


# Policies some accounts hold: full KMS and CloudTrail access, and their near miss, KMS administration only with MFA
# beside read-only CloudTrail.
_EXTRA_POLICIES = {
    "acme-kms-full-access": policy_document(statement("kms:*", "*")),
    "acme-cloudtrail-full-access": policy_document(statement("cloudtrail:*", "*")),
    "acme-security-operations": policy_document(
        statement("kms:*", "*", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        statement(["cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents"], "*"),
    ),
}


def _seed_managed_policies(iam: Any, account_id: str) -> dict[str, str]:
    """Create the account's customer managed policies and return their ARNs by name."""
    arns = {
        name: iam.create_policy(
            PolicyName=name,
            PolicyDocument=document,
            Description=f"{name} (seeded by aws-assets simulated org)",
        )["Policy"]["Arn"]
        for name, document in _managed_policies(account_id).items()
    }
    # A second version as the default: collectors must read the default version, not v1.
    iam.create_policy_version(
        PolicyArn=arns["acme-s3-read-artifacts"],
        PolicyDocument=policy_document(
            statement(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::acme-artifacts", "arn:aws:s3:::acme-artifacts/*"],
            )
        ),
        SetAsDefault=True,
    )
    return arns


# --------------------------------------------------------------------------------------------
# Groups and users
# --------------------------------------------------------------------------------------------


def _groups(account_id: str) -> list[_Group]:
    groups = [
        _Group(
            "admins",
            _InlinePolicy(
                "require-mfa",
                policy_document(
                    statement(
                        "*", "*", effect="Deny", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
                    )
                ),
            ),
            ("acme-admin-access",),
        ),
        _Group(
            "developers",
            _InlinePolicy(
                "developer-console-access",
                policy_document(statement(["cloudwatch:Get*", "logs:Get*", "logs:FilterLogEvents"], "*")),
            ),
            ("acme-s3-read-artifacts", "acme-dynamodb-read-write"),
        ),
    ]
    if _PLANS[account_id].has_auditors_group:
        groups.append(_Group("auditors", None, ("aws-assets-security-audit",)))
    more = _PLANS[account_id].group_policies
    return [replace(group, managed_policies=group.managed_policies + more.get(group.name, ())) for group in groups]


def _users(account_id: str, scale: int) -> list[_User]:
    named = [
        _User(
            "alice",
            {"Email": "alice@example.com", "Team": "platform"},
            console=True,
            mfa=True,
            access_keys=("Active",),
            groups=("admins",),
            inline_policy=_InlinePolicy(
                "manage-own-credentials",
                policy_document(
                    statement(
                        ["iam:ChangePassword", "iam:CreateAccessKey", "iam:DeleteAccessKey"],
                        f"arn:aws:iam::{account_id}:user/alice",
                    )
                ),
            ),
        ),
        _User("bob.smith@example.com", {"Team": "payments"}, console=True, groups=("developers",)),
        _User("dave", {"Email": "not-an-email", "Team": "payments"}, console=True, mfa=True, groups=("developers",)),
        _User(
            "ci-deploy",
            {"Purpose": "ci"},
            access_keys=_PLANS[account_id].ci_deploy_keys,
            inline_policy=_InlinePolicy(
                "deploy-artifacts",
                policy_document(
                    statement(["s3:PutObject"], "arn:aws:s3:::acme-artifacts/*"),
                    statement(["lambda:UpdateFunctionCode"], f"arn:aws:lambda:*:{account_id}:function:*"),
                ),
            ),
        ),
        _User("break-glass", {"Purpose": "emergency"}, console=True, managed_policies=("acme-admin-access",)),
    ]
    engineers = [
        _User(
            f"engineer-{number:02d}",
            {"Email": f"engineer-{number:02d}@example.com", "Team": "engineering"},
            console=True,
            mfa=number % 2 == 0,
            access_keys=("Active",) if number % 2 == 1 else (),
            groups=("developers",),
        )
        for number in range(1, _PLANS[account_id].engineer_users * scale + 1)
    ]
    return named + engineers


def _seed_history(account_id: str) -> None:
    """The users' and the root user's past (moto makes everything now: aws_assets.sim.teach_moto)."""
    now = datetime.now(UTC)

    def ago(days: int | None) -> datetime | None:
        return None if days is None else now - timedelta(days=days)

    for user_name, history in _PLANS[account_id].histories.items():
        keys = [KeyHistory(now - timedelta(days=made), ago(used)) for made, used in history.keys]
        backdate_user(account_id, user_name, now - timedelta(days=history.made), ago(history.password_used), keys)
    root = _PLANS[account_id].root
    declare_root_user(account_id, RootUser(now - timedelta(days=root.made), root.mfa, root.access_key,
                                           ago(root.password_used), ago(root.access_key_used)))


def _create_user(iam: Any, user: _User, policy_arns: Mapping[str, str]) -> None:
    iam.create_user(UserName=user.name, Tags=[{"Key": k, "Value": v} for k, v in user.tags.items()])
    if user.console:
        iam.create_login_profile(UserName=user.name, Password="Correct-Horse-Battery-9")
    if user.mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=user.name,
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    for status in user.access_keys:
        access_key_id = iam.create_access_key(UserName=user.name)["AccessKey"]["AccessKeyId"]
        if status != "Active":
            iam.update_access_key(UserName=user.name, AccessKeyId=access_key_id, Status=status)
    for group_name in user.groups:
        iam.add_user_to_group(GroupName=group_name, UserName=user.name)
    if user.inline_policy:
        iam.put_user_policy(UserName=user.name, PolicyName=user.inline_policy.name,
                            PolicyDocument=user.inline_policy.document)
    for policy_name in user.managed_policies:
        iam.attach_user_policy(UserName=user.name, PolicyArn=policy_arns[policy_name])


# --------------------------------------------------------------------------------------------
# Roles
# --------------------------------------------------------------------------------------------


def _roles(account_id: str) -> list[_Role]:
    env = ACCOUNTS[account_id]
    roles = [
        _Role(
            INTEGRATION_ROLE_NAME,
            "Read-only security audit access for aws-assets",
            trust_policy(
                {"AWS": f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root"},
                condition={"StringEquals": {"sts:ExternalId": external_id_for(account_id)}},
            ),
            managed_policies=("aws-assets-security-audit",),
        ),
        _Role(
            "lambda-execution",
            "Execution role of the Lambda functions",
            trust_policy({"Service": "lambda.amazonaws.com"}),
            managed_policies=("acme-dynamodb-read-write",),
            inline_policy=_InlinePolicy(
                "write-logs",
                policy_document(
                    statement(
                        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                        f"arn:aws:logs:*:{account_id}:*",
                    )
                ),
            ),
        ),
        _Role(
            "ec2-app",
            "Instance role of the web and worker hosts",
            trust_policy({"Service": "ec2.amazonaws.com"}),
            managed_policies=("acme-s3-read-artifacts",),
            inline_policy=_InlinePolicy(
                "read-ssm-parameters",
                policy_document(statement(["ssm:GetParameter*"], f"arn:aws:ssm:*:{account_id}:parameter/{env}/*")),
            ),
        ),
        _Role(
            "aws-config-recorder",
            "Role AWS Config records resources with",
            trust_policy({"Service": "config.amazonaws.com"}),
            inline_policy=_InlinePolicy(
                "deliver-config-snapshots",
                policy_document(statement(["s3:PutObject"], f"arn:aws:s3:::acme-{env}-access-logs/AWSLogs/*")),
            ),
        ),
        _Role(
            "admin-escalation",
            "alice may escalate to admin with MFA",
            trust_policy(
                {"AWS": f"arn:aws:iam::{account_id}:user/alice"},
                condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
            managed_policies=("acme-admin-access",),
        ),
        _Role(
            "okta-engineer",
            "Engineers signing in through Okta",
            trust_policy(
                {"Federated": f"arn:aws:iam::{account_id}:saml-provider/okta"},
                action="sts:AssumeRoleWithSAML",
                condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            ),
            managed_policies=("acme-s3-read-artifacts",),
        ),
    ]
    extra_roles = {
        "cross-account-deploy": _Role(
            "cross-account-deploy",
            "Assumed by the shared account's deployment pipeline",
            trust_policy({"AWS": role_arn(_PIPELINE_ACCOUNT_ID, "deployment-pipeline")}),
            inline_policy=_InlinePolicy(
                "deploy-workloads",
                policy_document(statement(["lambda:UpdateFunctionCode", "ecs:UpdateService"], "*")),
            ),
        ),
        "deployment-pipeline": _Role(
            "deployment-pipeline",
            "CodeBuild deploys to the workload accounts with this role",
            trust_policy({"Service": "codebuild.amazonaws.com"}),
            inline_policy=_InlinePolicy(
                "assume-deploy-roles",
                policy_document(statement(["sts:AssumeRole"], "arn:aws:iam::*:role/cross-account-deploy")),
            ),
        ),
        "external-auditor": _Role(
            "external-auditor",
            "Third-party auditor; trusts a whole foreign account without an ExternalId",
            trust_policy({"AWS": f"arn:aws:iam::{EXTERNAL_AUDITOR_ACCOUNT_ID}:root"}),
            managed_policies=("aws-assets-security-audit",),
        ),
        "vendor-support": _Role(
            "vendor-support",
            "The monitoring vendor's support engineers; trusts anyone who passes the vendor's ExternalId",
            trust_policy({"AWS": "*"}, condition={"StringEquals": {"sts:ExternalId": _VENDOR_SUPPORT_EXTERNAL_ID}}),
            managed_policies=("aws-assets-security-audit",),
        ),
        "org-readonly": _Role(
            "org-readonly",
            "Read-only access for any principal of the organisation",
            trust_policy({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}),
            managed_policies=("aws-assets-security-audit",),
        ),
    }
    more = _PLANS[account_id].role_policies
    return [replace(role, managed_policies=role.managed_policies + more.get(role.name, ()))
            for role in roles + [extra_roles[name] for name in _PLANS[account_id].extra_roles]]


def _saml_metadata(account_id: str) -> str:
    # IAM requires at least 1000 characters; a signing certificate makes the document realistic.
    # The certificate bytes are a deterministic stand-in, not a parseable X.509 certificate.
    certificate = base64.b64encode(
        b"".join(hashlib.sha256(f"okta-{account_id}-{n}".encode()).digest() for n in range(24))
    ).decode()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="http://www.okta.com/acme-{account_id}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing">'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{certificate}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://acme.okta.com/app/amazon_aws/sso/saml"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )

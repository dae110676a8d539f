"""The account itself and one Service entity per AWS service the graph's relationships name.

Calls per account: iam:ListAccountAliases, iam:GetAccountSummary, iam:GetAccountPasswordPolicy,
iam:ListVirtualMFADevices (paginated, assigned devices only: whether the root user's MFA is a virtual device),
s3control:GetPublicAccessBlock (the account-level S3 block) and the credential report (the root user's last use).
The report and the S3 block are fetched once per partition with the IAM and S3 collectors that also read them. The
service entities need no call: they are the anchors `aws_account HAS aws_<service>` hangs on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection, optional
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, integer, strings, timestamp
from aws_assets.services import s3
from aws_assets.services.common import console_link
from aws_assets.services.iam import CredentialReport, credential_report, report_time

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def account_key(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def service_key(service_type: str, account_id: str) -> str:
    return f"{service_type}:{account_id}"


def root_virtual_mfa(account_id: str, assigned_virtual_devices: list[dict[str, Any]] | None) -> bool | None:
    """Whether a virtual MFA device is assigned to the root user (so its MFA is not, or not only, a hardware
    device); None when the devices could not be listed."""
    if assigned_virtual_devices is None:
        return None
    root = account_key(account_id)
    return any((device.get("User") or {}).get("Arn") == root
               or device.get("SerialNumber", "").endswith(":mfa/root-account-mfa-device")
               for device in assigned_virtual_devices)


def root_use_columns(account_id: str, report: CredentialReport) -> dict[str, datetime | None]:
    """When the root user last signed in and last used an access key, from the credential report's root row."""
    row = report.rows.get(account_key(account_id))
    key_uses = [t for t in (report_time(row, f"access_key_{n}_last_used_date") for n in (1, 2)) if t is not None]
    return {
        "rootPasswordLastUsed": report_time(row, "password_last_used"),
        "rootAccessKeyLastUsed": max(key_uses, default=None),
    }


def s3_block_columns(account_block: dict[str, Any] | None) -> dict[str, bool | None]:
    """The account-level S3 public access block: each flag, and whether all four are on; None when refused."""
    flags = s3.block_flags(account_block)
    return {
        "s3BlockPublicAcls": flags["BlockPublicAcls"],
        "s3IgnorePublicAcls": flags["IgnorePublicAcls"],
        "s3BlockPublicPolicy": flags["BlockPublicPolicy"],
        "s3RestrictPublicBuckets": flags["RestrictPublicBuckets"],
        "s3AccountPublicAccessBlocked": None if account_block is None else all(flags.values()),
    }


def account_rows(
    account_id: str,
    aliases: list[str],
    summary: dict[str, int],
    password_policy: dict[str, Any] | None,
    root_virtual_mfa_assigned: bool | None = None,
    root_use: dict[str, datetime | None] | None = None,
    s3_block: dict[str, bool | None] | None = None,
    errors: list[str] | None = None,
) -> list[dict[str, Any]]:
    policy = password_policy or {}
    return [
        {
            "_key": account_key(account_id),
            "name": aliases[0] if aliases else account_id,
            "arn": account_key(account_id),
            "webLink": console_link("billing/home#/account"),
            "aliases": aliases,
            "rootMfaEnabled": bool(summary.get("AccountMFAEnabled")),
            "rootAccessKeysPresent": bool(summary.get("AccountAccessKeysPresent")),
            "rootSigningCertificatesPresent": bool(summary.get("AccountSigningCertificatesPresent")),
            "userCount": summary.get("Users"),
            "roleCount": summary.get("Roles"),
            "passwordPolicyPresent": password_policy is not None,
            "passwordMinimumLength": policy.get("MinimumPasswordLength"),
            "passwordRequireSymbols": policy.get("RequireSymbols"),
            "passwordRequireNumbers": policy.get("RequireNumbers"),
            "passwordRequireUppercase": policy.get("RequireUppercaseCharacters"),
            "passwordRequireLowercase": policy.get("RequireLowercaseCharacters"),
            "passwordMaxAgeDays": policy.get("MaxPasswordAge"),
            "passwordReusePrevention": policy.get("PasswordReusePrevention"),
            "passwordHardExpiry": policy.get("HardExpiry"),
            "passwordAllowUsersToChange": policy.get("AllowUsersToChangePassword"),
            "rootVirtualMfa": root_virtual_mfa_assigned,
            **(root_use or {}),
            **(s3_block or {}),
            "collectionErrors": errors or [],
        }
    ]


def service_rows(entity: ServiceEntity, account_id: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": service_key(entity.type, account_id),
            "name": entity.name,
            "displayName": f"AWS {entity.name}",
            "webLink": console_link(entity.console),
            "category": ["infrastructure"],
            "function": entity.function,
        }
    ]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_account(aws: PartitionCollection) -> list[dict[str, Any]]:
    iam = aws.client("iam")
    aliases = aws.paginate("iam", "list_account_aliases", "AccountAliases")
    summary = iam.get_account_summary()["SummaryMap"]
    password_policy = optional(lambda: iam.get_account_password_policy()["PasswordPolicy"], "NoSuchEntity")
    calls = DetailCalls()
    virtual_devices = calls.get(
        "iam:ListVirtualMFADevices",
        lambda: aws.paginate("iam", "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned"),
    )
    report = credential_report(aws)
    account_block, block_errors = s3.account_public_access_block(aws)
    return account_rows(
        aws.account_id, aliases, summary, password_policy,
        root_virtual_mfa(aws.account_id, virtual_devices), root_use_columns(aws.account_id, report),
        s3_block_columns(account_block), [*calls.errors, *report.errors, *block_errors],
    )


def _service_collector(entity: ServiceEntity):
    return lambda aws: service_rows(entity, aws.account_id)


# ---- declarations ------------------------------------------------------------------------------------------------

AWS_ACCOUNT = EntityType(
    type="aws_account",
    classes=("Account",),
    description="The AWS account, with its aliases, root-user hygiene and password policy.",
    columns=(
        strings("aliases", "Account aliases"),
        boolean("rootMfaEnabled", "Whether the root user has MFA"),
        boolean("rootAccessKeysPresent", "Whether the root user has access keys"),
        boolean("rootSigningCertificatesPresent", "Whether the root user has signing certificates"),
        integer("userCount", "Number of IAM users"),
        integer("roleCount", "Number of IAM roles"),
        boolean("passwordPolicyPresent", "Whether an IAM password policy is set"),
        integer("passwordMinimumLength", "Minimum password length"),
        boolean("passwordRequireSymbols", "Passwords need a symbol"),
        boolean("passwordRequireNumbers", "Passwords need a digit"),
        boolean("passwordRequireUppercase", "Passwords need an upper-case letter"),
        boolean("passwordRequireLowercase", "Passwords need a lower-case letter"),
        integer("passwordMaxAgeDays", "Days before a password expires"),
        integer("passwordReusePrevention", "How many previous passwords cannot be reused"),
        boolean("passwordHardExpiry", "Whether an expired password needs an administrator to reset it"),
        boolean("passwordAllowUsersToChange", "Whether IAM users may change their own password"),
        boolean(
            "rootVirtualMfa",
            "Whether a virtual MFA device is assigned to the root user: with rootMfaEnabled and this false, the root "
            "user's MFA is a hardware device; empty when the devices could not be listed",
        ),
        timestamp("rootPasswordLastUsed", "When the root user last signed in with its password (credential report)"),
        timestamp("rootAccessKeyLastUsed", "When an access key of the root user was last used (credential report)"),
        boolean("s3BlockPublicAcls", "Account-level S3 public access block: new public ACLs are refused"),
        boolean("s3IgnorePublicAcls", "Account-level S3 public access block: public ACLs are ignored"),
        boolean("s3BlockPublicPolicy", "Account-level S3 public access block: new public bucket policies are refused"),
        boolean(
            "s3RestrictPublicBuckets",
            "Account-level S3 public access block: public bucket policies only admit AWS services and the account",
        ),
        boolean(
            "s3AccountPublicAccessBlocked",
            "Whether all four account-level S3 public access block settings are on; empty when it could not be read",
        ),
        strings(
            "collectionErrors",
            "Calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_account,
)

def service_entity_type(entity: ServiceEntity) -> EntityType:
    return EntityType(
        type=entity.type,
        classes=("Service",),
        description=f"The AWS {entity.name} service of the account: the anchor of `aws_account HAS {entity.type}`.",
        columns=(),
        collect=_service_collector(entity),
    )


def account_service(services: tuple[Service, ...]) -> Service:
    """The account and the service entities of `services`, collected together once per account."""
    return Service(
        name="account",
        title="Account",
        scope=Scope.ACCOUNT,
        entity_types=(
            AWS_ACCOUNT,
            *(service_entity_type(service.entity) for service in services if service.entity is not None),
        ),
    )

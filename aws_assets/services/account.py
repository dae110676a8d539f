"""The account itself and one Service entity per AWS service the graph's relationships name.

Calls: iam:ListAccountAliases, iam:GetAccountSummary, iam:GetAccountPasswordPolicy (three per account). The
service entities need no call: they are the anchors `aws_account HAS aws_<service>` hangs on.
"""

from __future__ import annotations

from typing import Any

from aws_assets.aws.partition import PartitionCollection, optional
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, integer, strings
from aws_assets.services.common import console_link

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def account_key(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def service_key(service_type: str, account_id: str) -> str:
    return f"{service_type}:{account_id}"


def account_rows(
    account_id: str, aliases: list[str], summary: dict[str, int], password_policy: dict[str, Any] | None
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
    return account_rows(aws.account_id, aliases, summary, password_policy)


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

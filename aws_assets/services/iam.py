"""IAM: users, their access keys and MFA devices, groups, roles, inline policies and managed policies.

Calls per account (IAM is global, so one partition per account):
- iam:GetAccountAuthorizationDetails, paginated at 1,000 items a page: every user, group and role with its inline
  policies, attached policies and group memberships, and every managed policy with its versions. Fetched once and
  shared by all nine entity types (never principal by principal).
- iam:ListRoles, paginated at 1,000 a page: the role description and maximum session duration, which
  GetAccountAuthorizationDetails leaves out.
- iam:GenerateCredentialReport + iam:GetCredentialReport (two calls while the report AWS keeps for four hours is
  fresh; two more per retry while AWS builds a new one): every user's password state, password last use and each
  access key's last use, in one CSV.
- Per user, concurrently: iam:ListAccessKeys and iam:ListMFADevices (paginated; one page each in practice: two
  keys and eight devices at most). The report names no key IDs and no device serial numbers, and it can be four
  hours old; listing keeps the key and device inventory exact (a key created an hour ago is exactly what a security
  team must see).
- Fallbacks, normally zero: iam:GetLoginProfile for a user the report does not list (created since it was built),
  iam:GetAccessKeyLastUsed for a key the report does not describe; iam:GetPolicy + iam:GetPolicyVersion for an
  attached AWS managed policy that GetAccountAuthorizationDetails did not return (moto does not).
- iam:ListServerCertificates, paginated: the server certificates (aws_assets.services.iam_server_certificates).

With N users and K access keys this is 2N + 4 calls (plus one per 1,000 principals or policies), against 3N + K
+ 2 for GetLoginProfile per user and GetAccessKeyLastUsed per key: the report replaces the two detail calls whose
answers it carries, and the calls it cannot replace are the ones that list entities.

Customer managed policies are all kept; AWS managed policies only when something in the account uses them
(attached or a permissions boundary), since AWS defines over a thousand of them.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.conventions import is_aws_managed, managed_policy_key
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link, tags_from_list
from aws_assets.services.iam_server_certificates import SERVER_CERTIFICATE

AUTHORIZATION_FILTER = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
PAGE_SIZE = 1000  # the largest page GetAccountAuthorizationDetails and ListRoles accept
REPORT_NOT_READY_CODES = ("ReportInProgress", "ReportNotPresent", "ReportExpired")
REPORT_ATTEMPTS = 30
REPORT_RETRY_SECONDS = 2.0
# What the credential report writes where it has no value.
REPORT_NO_VALUE = {"", "N/A", "no_information", "not_supported"}
SERVICE_LINKED_ROLE_PATH = "/aws-service-role/"
REDACTED = "<redacted>"

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def policy_document(document: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """A policy document as a dict; some IAM APIs return it as URL-encoded JSON text."""
    if document is None or isinstance(document, dict):
        return document
    try:
        return json.loads(document)
    except json.JSONDecodeError:
        return json.loads(unquote(document))


def document_text(document: dict[str, Any] | str | None) -> str | None:
    decoded = policy_document(document)
    return None if decoded is None else json.dumps(decoded, sort_keys=True)


def without_external_ids(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """The trust policy with every `sts:ExternalId` condition value replaced: the external ID is a shared secret
    against the confused deputy, and that a condition requires one is what the analysis needs, not its value."""
    if not isinstance(document, dict):
        return document
    redacted = json.loads(json.dumps(document))
    for statement in _as_list(redacted.get("Statement")):
        conditions = statement.get("Condition") if isinstance(statement, dict) else None
        for operator_values in (conditions or {}).values() if isinstance(conditions, dict) else ():
            if not isinstance(operator_values, dict):
                continue
            for key, value in operator_values.items():
                if key.lower() == "sts:externalid":
                    operator_values[key] = [REDACTED] * len(value) if isinstance(value, list) else REDACTED
    return redacted


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def grants_admin(document: dict[str, Any] | str | None) -> bool:
    """Whether a statement allows Action `*` on Resource `*`. Conditions do not count: a conditional grant of
    everything (e.g. "with MFA") is still administrator access; NotAction does not count either."""
    decoded = policy_document(document) or {}
    return any(
        str(statement.get("Effect", "")).lower() == "allow"
        and "*" in _as_list(statement.get("Action"))
        and "*" in _as_list(statement.get("Resource"))
        for statement in _as_list(decoded.get("Statement"))
        if isinstance(statement, dict)
    )


def parse_credential_report(content: bytes) -> dict[str, dict[str, str]]:
    """The credential report's CSV rows by user ARN (the root account's row included)."""
    return {row["arn"]: row for row in csv.DictReader(io.StringIO(content.decode("utf-8")))}


def report_value(row: dict[str, str] | None, column: str) -> str | None:
    value = (row or {}).get(column, "")
    return None if value in REPORT_NO_VALUE else value


def report_time(row: dict[str, str] | None, column: str) -> datetime | None:
    value = report_value(row, column)
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def report_flag(row: dict[str, str] | None, column: str) -> bool | None:
    value = report_value(row, column)
    return None if value is None else value.lower() == "true"


def last_used_from_report(row: dict[str, str] | None, access_key: dict[str, Any]) -> dict[str, Any] | None:
    """The key's last use as GetAccessKeyLastUsed shapes it, or None when the report does not describe the key.

    The report names keys `access_key_1` and `access_key_2` without their IDs; a key is matched by its creation
    time (the report's `last_rotated`, to the second), and only when exactly one report key has that time.
    """
    created = access_key["CreateDate"].replace(microsecond=0)
    matches = [slot for slot in ("access_key_1", "access_key_2") if report_time(row, f"{slot}_last_rotated") == created]
    if len(matches) != 1:
        return None
    slot = matches[0]
    return {
        "LastUsedDate": report_time(row, f"{slot}_last_used_date"),
        "ServiceName": report_value(row, f"{slot}_last_used_service"),
        "Region": report_value(row, f"{slot}_last_used_region"),
    }


@dataclass(frozen=True)
class CredentialReport:
    rows: dict[str, dict[str, str]]  # by user ARN
    errors: tuple[str, ...] = ()  # why there is no report, e.g. "iam:GenerateCredentialReport: AccessDenied"


@dataclass
class UserCredentials:
    """What the per-user calls found; None where the call was denied."""

    access_keys: list[dict[str, Any]] | None = None
    mfa_devices: list[dict[str, Any]] | None = None
    password_enabled_fallback: bool | None = None  # from GetLoginProfile, for users the report does not list
    last_used_fallback: dict[str, dict[str, Any]] = field(default_factory=dict)  # GetAccessKeyLastUsed by key ID
    errors: list[str] = field(default_factory=list)
    key_errors: dict[str, list[str]] = field(default_factory=dict)


def _without_value(value: str | None) -> str | None:
    return None if value in REPORT_NO_VALUE else value


def _user_link(user_name: str, section: str = "") -> str:
    return console_link(f"iam/home#/users/details/{user_name}" + (f"?section={section}" if section else ""))


def _attached_arns(principal: dict[str, Any]) -> list[str]:
    return [policy["PolicyArn"] for policy in principal.get("AttachedManagedPolicies") or []]


def _boundary_arn(principal: dict[str, Any]) -> str | None:
    return (principal.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def _email(tags: dict[str, str]) -> str | None:
    return (tags.get("Email") or tags.get("email") or "").strip() or None


def user_rows(
    details: dict[str, Any], report: CredentialReport, credentials: dict[str, UserCredentials]
) -> list[dict[str, Any]]:
    rows = []
    for user in details.get("UserDetailList", []):
        found = credentials[user["Arn"]]
        report_row = report.rows.get(user["Arn"])
        password_enabled = (
            report_flag(report_row, "password_enabled") if report_row else found.password_enabled_fallback
        )
        keys, devices = found.access_keys, found.mfa_devices
        active_keys = None if keys is None else sum(key["Status"] == "Active" for key in keys)
        tags = tags_from_list(user.get("Tags"))
        rows.append(
            {
                "_key": user["Arn"],
                "name": user["UserName"],
                "arn": user["Arn"],
                "webLink": _user_link(user["UserName"]),
                "createdOn": user.get("CreateDate"),
                "tags": tags,
                "userId": user["UserId"],
                "username": user["UserName"],
                "path": user.get("Path"),
                "passwordEnabled": password_enabled,
                "passwordLastUsed": report_time(report_row, "password_last_used"),
                "mfaEnabled": None if devices is None else bool(devices),
                "mfaDeviceCount": None if devices is None else len(devices),
                "accessKeyCount": None if keys is None else len(keys),
                "activeAccessKeyCount": active_keys,
                "groupNames": list(user.get("GroupList") or []),
                "attachedPolicyArns": _attached_arns(user),
                "inlinePolicyNames": [policy["PolicyName"] for policy in user.get("UserPolicyList") or []],
                "permissionsBoundaryArn": _boundary_arn(user),
                "email": _email(tags),
                "active": _user_active(password_enabled, active_keys),
                "collectionErrors": [*(report.errors if report_row is None else ()), *found.errors],
            }
        )
    return rows


def _user_active(password_enabled: bool | None, active_keys: int | None) -> bool | None:
    if password_enabled or active_keys:
        return True
    if password_enabled is None or active_keys is None:
        return None
    return False


def access_key_rows(
    details: dict[str, Any], report: CredentialReport, credentials: dict[str, UserCredentials]
) -> list[dict[str, Any]]:
    rows = []
    for user in details.get("UserDetailList", []):
        found = credentials[user["Arn"]]
        for key in found.access_keys or []:
            key_id = key["AccessKeyId"]
            last_used = (
                last_used_from_report(report.rows.get(user["Arn"]), key) or found.last_used_fallback.get(key_id) or {}
            )
            rows.append(
                {
                    "_key": key_id,
                    "name": key_id,
                    "webLink": _user_link(user["UserName"], "security_credentials"),
                    "createdOn": key.get("CreateDate"),
                    "accessKeyId": key_id,
                    "userName": user["UserName"],
                    "userArn": user["Arn"],
                    "status": key["Status"],
                    "active": key["Status"] == "Active",
                    "lastUsedDate": last_used.get("LastUsedDate"),
                    "lastUsedService": _without_value(last_used.get("ServiceName")),
                    "lastUsedRegion": _without_value(last_used.get("Region")),
                    "collectionErrors": found.key_errors.get(key_id, []),
                }
            )
    return rows


def mfa_device_rows(details: dict[str, Any], credentials: dict[str, UserCredentials]) -> list[dict[str, Any]]:
    rows = []
    for user in details.get("UserDetailList", []):
        for device in credentials[user["Arn"]].mfa_devices or []:
            serial = device["SerialNumber"]
            is_arn = serial.startswith("arn:")
            rows.append(
                {
                    "_key": serial,
                    "name": serial.rsplit("/", 1)[-1] if is_arn else serial,
                    "arn": serial if is_arn else None,
                    "webLink": _user_link(user["UserName"], "security_credentials"),
                    "createdOn": device.get("EnableDate"),
                    "serialNumber": serial,
                    "userName": user["UserName"],
                    "userArn": user["Arn"],
                    "enableDate": device.get("EnableDate"),
                    "virtual": ":mfa/" in serial,
                    "active": True,
                }
            )
    return rows


def group_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    members: dict[str, list[str]] = {}
    for user in details.get("UserDetailList", []):
        for group_name in user.get("GroupList") or []:
            members.setdefault(group_name, []).append(user["UserName"])
    return [
        {
            "_key": group["Arn"],
            "name": group["GroupName"],
            "arn": group["Arn"],
            "webLink": console_link(f"iam/home#/groups/details/{group['GroupName']}"),
            "createdOn": group.get("CreateDate"),
            "groupId": group["GroupId"],
            "groupName": group["GroupName"],
            "path": group.get("Path"),
            "attachedPolicyArns": _attached_arns(group),
            "inlinePolicyNames": [policy["PolicyName"] for policy in group.get("GroupPolicyList") or []],
            "memberUserNames": sorted(members.get(group["GroupName"], [])),
        }
        for group in details.get("GroupDetailList", [])
    ]


def role_rows(
    details: dict[str, Any], listed_roles: list[dict[str, Any]] | None, list_errors: list[str]
) -> list[dict[str, Any]]:
    """`listed_roles` (ListRoles) adds what GetAccountAuthorizationDetails omits; None when it was denied."""
    listed = {role["Arn"]: role for role in listed_roles or []}
    rows = []
    for role in details.get("RoleDetailList", []):
        extra = listed.get(role["Arn"], {})
        last_used = role.get("RoleLastUsed") or {}
        path = role.get("Path") or "/"
        rows.append(
            {
                "_key": role["Arn"],
                "name": role["RoleName"],
                "arn": role["Arn"],
                "webLink": console_link(f"iam/home#/roles/details/{role['RoleName']}"),
                "createdOn": role.get("CreateDate"),
                "tags": tags_from_list(role.get("Tags")),
                "roleId": role["RoleId"],
                "roleName": role["RoleName"],
                "path": path,
                "description": extra.get("Description"),
                "maxSessionDuration": extra.get("MaxSessionDuration"),
                "trustPolicy": document_text(
                    without_external_ids(policy_document(role.get("AssumeRolePolicyDocument")))
                ),
                "attachedPolicyArns": _attached_arns(role),
                "inlinePolicyNames": [policy["PolicyName"] for policy in role.get("RolePolicyList") or []],
                "instanceProfileArns": [profile["Arn"] for profile in role.get("InstanceProfileList") or []],
                "permissionsBoundaryArn": _boundary_arn(role),
                "lastUsedDate": last_used.get("LastUsedDate"),
                "lastUsedRegion": last_used.get("Region"),
                "serviceLinked": path.startswith(SERVICE_LINKED_ROLE_PATH),
                "collectionErrors": list_errors,
            }
        )
    return rows


@dataclass(frozen=True)
class InlinePolicyOwner:
    """Where GetAccountAuthorizationDetails lists one kind of principal and its inline policies."""

    kind: str  # user, group, role
    details_key: str  # UserDetailList, ...
    policies_key: str  # UserPolicyList, ...
    console_path: str  # users, groups, roles

    @property
    def name_key(self) -> str:
        return f"{self.kind.capitalize()}Name"


USER_OWNER = InlinePolicyOwner("user", "UserDetailList", "UserPolicyList", "users")
GROUP_OWNER = InlinePolicyOwner("group", "GroupDetailList", "GroupPolicyList", "groups")
ROLE_OWNER = InlinePolicyOwner("role", "RoleDetailList", "RolePolicyList", "roles")


def inline_policy_key(owner_arn: str, policy_name: str) -> str:
    """Inline policies have no ARN; the owner's ARN makes the key unique."""
    return f"{owner_arn}:inline-policy/{policy_name}"


def inline_policy_rows(details: dict[str, Any], owner: InlinePolicyOwner) -> list[dict[str, Any]]:
    rows = []
    for principal in details.get(owner.details_key, []):
        principal_name = principal[owner.name_key]
        for policy in principal.get(owner.policies_key) or []:
            document = policy.get("PolicyDocument")
            rows.append(
                {
                    "_key": inline_policy_key(principal["Arn"], policy["PolicyName"]),
                    "name": policy["PolicyName"],
                    "webLink": console_link(
                        f"iam/home#/{owner.console_path}/details/{principal_name}?section=permissions"
                    ),
                    "policyName": policy["PolicyName"],
                    "document": document_text(document),
                    "admin": grants_admin(document),
                    f"{owner.kind}Name": principal_name,
                    f"{owner.kind}Arn": principal["Arn"],
                }
            )
    return rows


def referenced_policy_arns(details: dict[str, Any]) -> set[str]:
    """Managed policies attached to a principal or used as its permissions boundary."""
    principals = [
        *details.get("UserDetailList", []),
        *details.get("GroupDetailList", []),
        *details.get("RoleDetailList", []),
    ]
    arns = {arn for principal in principals for arn in _attached_arns(principal)}
    return arns | {arn for principal in principals if (arn := _boundary_arn(principal))}


def _in_use(policy: dict[str, Any], referenced: set[str]) -> bool:
    return bool(
        policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount") or policy["Arn"] in referenced
    )


def _default_version(policy: dict[str, Any]) -> dict[str, Any]:
    versions = policy.get("PolicyVersionList") or []
    return next(
        (v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == policy.get("DefaultVersionId")),
        {},
    )


def managed_policy_rows(
    policies: Iterable[dict[str, Any]],
    referenced: set[str],
    account_id: str,
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Rows for every customer managed policy and every AWS managed policy in use; `policies` are
    ManagedPolicyDetail-shaped (GetAccountAuthorizationDetails' `Policies`)."""
    rows = []
    for policy in policies:
        arn = policy["Arn"]
        if is_aws_managed(arn) and not _in_use(policy, referenced):
            continue
        name = policy.get("PolicyName") or arn.rsplit("/", 1)[-1]  # moto omits PolicyName
        document = _default_version(policy).get("Document")
        rows.append(
            {
                "_key": managed_policy_key(arn, account_id),
                "name": name,
                "arn": arn,
                "webLink": console_link(f"iam/home#/policies/details/{quote(arn, safe='')}"),
                "createdOn": policy.get("CreateDate"),
                "tags": tags_from_list(policy.get("Tags")),
                "policyName": name,
                "policyId": policy.get("PolicyId"),
                "path": policy.get("Path"),
                "description": policy.get("Description") or None,
                "awsManaged": is_aws_managed(arn),
                "defaultVersionId": policy.get("DefaultVersionId"),
                "document": document_text(document),
                "attachmentCount": policy.get("AttachmentCount"),
                "permissionsBoundaryUsageCount": policy.get("PermissionsBoundaryUsageCount"),
                "isAttachable": policy.get("IsAttachable"),
                "updateDate": policy.get("UpdateDate"),
                "admin": grants_admin(document) if document is not None else None,
                "collectionErrors": (errors or {}).get(arn, []),
            }
        )
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def authorization_details(aws: PartitionCollection) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        paginator = aws.client("iam").get_paginator("get_account_authorization_details")
        pages = paginator.paginate(Filter=AUTHORIZATION_FILTER, PaginationConfig={"PageSize": PAGE_SIZE})
        return pages.build_full_result()

    return aws.shared("iam:GetAccountAuthorizationDetails", fetch)


def _fetch_credential_report(aws: PartitionCollection) -> CredentialReport:
    iam = aws.client("iam")
    calls = DetailCalls()
    for _ in range(REPORT_ATTEMPTS):
        # Starts a report unless AWS holds one less than four hours old.
        if calls.get("iam:GenerateCredentialReport", iam.generate_credential_report) is None:
            return CredentialReport({}, tuple(calls.errors))
        response = calls.get("iam:GetCredentialReport", iam.get_credential_report, *REPORT_NOT_READY_CODES)
        if calls.errors:
            return CredentialReport({}, tuple(calls.errors))
        if response is not None:
            return CredentialReport(parse_credential_report(response["Content"]))
        time.sleep(REPORT_RETRY_SECONDS)
    return CredentialReport({}, ("iam:GetCredentialReport: ReportInProgress",))


def credential_report(aws: PartitionCollection) -> CredentialReport:
    return aws.shared("iam:CredentialReport", lambda: _fetch_credential_report(aws))


def _fetch_user_credentials(
    aws: PartitionCollection, user: dict[str, Any], report: CredentialReport
) -> UserCredentials:
    iam = aws.client("iam")
    user_name = user["UserName"]
    report_row = report.rows.get(user["Arn"])
    calls = DetailCalls()
    found = UserCredentials(errors=calls.errors)
    found.access_keys = calls.get(
        "iam:ListAccessKeys",
        lambda: aws.paginate("iam", "list_access_keys", "AccessKeyMetadata", UserName=user_name),
    )
    for key in found.access_keys or []:
        if last_used_from_report(report_row, key) is None:
            key_calls = DetailCalls()
            found.key_errors[key["AccessKeyId"]] = key_calls.errors
            response = key_calls.get(
                "iam:GetAccessKeyLastUsed", partial(iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"])
            )
            if response is not None:
                found.last_used_fallback[key["AccessKeyId"]] = response.get("AccessKeyLastUsed", {})
    found.mfa_devices = calls.get(
        "iam:ListMFADevices", lambda: aws.paginate("iam", "list_mfa_devices", "MFADevices", UserName=user_name)
    )
    if report_row is None:
        # {} when the user has no password, None when the call was denied.
        profile: dict[str, Any] | None = calls.get(
            "iam:GetLoginProfile", lambda: iam.get_login_profile(UserName=user_name), "NoSuchEntity", missing={}
        )
        found.password_enabled_fallback = None if profile is None else "LoginProfile" in profile
    return found


def user_credentials(aws: PartitionCollection) -> dict[str, UserCredentials]:
    """Each user's keys, devices and fallbacks, by user ARN; fetched once for users, keys and MFA devices."""

    def fetch() -> dict[str, UserCredentials]:
        users = authorization_details(aws).get("UserDetailList", [])
        report = credential_report(aws)
        found = aws.map_concurrently(lambda user: _fetch_user_credentials(aws, user, report), users)
        return {user["Arn"]: credentials for user, credentials in zip(users, found)}

    return aws.shared("iam:UserCredentials", fetch)


def collect_users(aws: PartitionCollection) -> list[dict[str, Any]]:
    return user_rows(authorization_details(aws), credential_report(aws), user_credentials(aws))


def collect_access_keys(aws: PartitionCollection) -> list[dict[str, Any]]:
    return access_key_rows(authorization_details(aws), credential_report(aws), user_credentials(aws))


def collect_mfa_devices(aws: PartitionCollection) -> list[dict[str, Any]]:
    return mfa_device_rows(authorization_details(aws), user_credentials(aws))


def collect_groups(aws: PartitionCollection) -> list[dict[str, Any]]:
    return group_rows(authorization_details(aws))


def collect_roles(aws: PartitionCollection) -> list[dict[str, Any]]:
    details = authorization_details(aws)
    calls = DetailCalls()
    listed = calls.get(
        "iam:ListRoles", lambda: aws.paginate("iam", "list_roles", "Roles", PaginationConfig={"PageSize": PAGE_SIZE})
    )
    return role_rows(details, listed, calls.errors)


def _inline_policy_collector(owner: InlinePolicyOwner) -> Callable[[PartitionCollection], list[dict[str, Any]]]:
    return lambda aws: inline_policy_rows(authorization_details(aws), owner)


def _fetch_managed_policy(aws: PartitionCollection, arn: str) -> tuple[dict[str, Any] | None, list[str]]:
    """GetPolicy + GetPolicyVersion (default version), shaped like GetAccountAuthorizationDetails' `Policies`."""
    iam = aws.client("iam")
    calls = DetailCalls()
    response = calls.get("iam:GetPolicy", lambda: iam.get_policy(PolicyArn=arn), "NoSuchEntity")
    if calls.errors:
        return {"Arn": arn}, calls.errors
    if response is None:
        return None, calls.errors
    policy = response["Policy"]
    version = calls.get(
        "iam:GetPolicyVersion", lambda: iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    )
    return {**policy, "PolicyVersionList": [version["PolicyVersion"]] if version else []}, calls.errors


def collect_managed_policies(aws: PartitionCollection) -> list[dict[str, Any]]:
    details = authorization_details(aws)
    referenced = referenced_policy_arns(details)
    returned = details.get("Policies", [])
    missing = sorted(referenced - {policy["Arn"] for policy in returned})
    fetched = [
        (policy, errors)
        for policy, errors in aws.map_concurrently(lambda arn: _fetch_managed_policy(aws, arn), missing)
        if policy is not None
    ]
    errors = {policy["Arn"]: policy_errors for policy, policy_errors in fetched}
    return managed_policy_rows([*returned, *(policy for policy, _ in fetched)], referenced, aws.account_id, errors)


# ---- declarations ------------------------------------------------------------------------------------------------

COLLECTION_ERRORS = strings(
    "collectionErrors", "Calls that were denied while collecting this entity, e.g. `iam:ListMFADevices: AccessDenied`"
)
PATH = string("path", "IAM path the entity was created under, e.g. `/engineering/`")
ATTACHED_POLICY_ARNS = strings("attachedPolicyArns", "ARNs of the managed policies attached to it")
INLINE_POLICY_NAMES = strings("inlinePolicyNames", "Names of its inline policies")
PERMISSIONS_BOUNDARY_ARN = string(
    "permissionsBoundaryArn", "ARN of the managed policy that caps its permissions (permissions boundary), if any"
)
POLICY_NAME = string("policyName", "Policy name")
POLICY_DOCUMENT = json_text("document", "The policy document")
INLINE_ADMIN = boolean(
    "admin", "Whether a statement allows every action (`*`) on every resource (`*`), conditions or not"
)


def _owner_columns(kind: str, title: str) -> tuple[Column, ...]:
    return (
        string(f"{kind}Name", f"Name of the {title} the policy is embedded in"),
        string(f"{kind}Arn", f"ARN of the {title} the policy is embedded in"),
    )


IAM_USER = EntityType(
    type="aws_iam_user",
    volatile=("passwordLastUsed",),  # the credential report's last use
    classes=("User",),
    description="An IAM user, with its console password, MFA, access keys, groups and policies.",
    columns=(
        string("userId", "Stable unique ID of the user (AIDA...)"),
        PATH,
        boolean("passwordEnabled", "Whether the user has a console password (credential report, up to 4 hours old)"),
        timestamp("passwordLastUsed", "When the console password was last used (credential report)"),
        boolean("mfaEnabled", "Whether the user has at least one MFA device"),
        integer("mfaDeviceCount", "Number of MFA devices of the user"),
        integer("accessKeyCount", "Number of access keys, active or not"),
        integer("activeAccessKeyCount", "Number of active access keys"),
        strings("groupNames", "Names of the groups the user belongs to"),
        ATTACHED_POLICY_ARNS,
        INLINE_POLICY_NAMES,
        PERMISSIONS_BOUNDARY_ARN,
        string("email", "E-mail address from the user's `Email` tag, if any (maps the user to a Person)"),
        COLLECTION_ERRORS,
    ),
    collect=collect_users,
    console="Users",
)

IAM_ACCESS_KEY = EntityType(
    type="aws_iam_access_key",
    volatile=("lastUsedDate", "lastUsedService", "lastUsedRegion"),
    classes=("AccessKey",),
    description="A long-term access key of an IAM user: ID, status and last use, never the secret.",
    columns=(
        string("accessKeyId", "Access key ID (AKIA...); the secret is never collected"),
        string("userName", "Name of the user the key belongs to"),
        string("userArn", "ARN of the user the key belongs to"),
        string("status", "Active or Inactive"),
        timestamp("lastUsedDate", "When the key was last used to sign a request, if ever"),
        string("lastUsedService", "Service the key last called, e.g. s3"),
        string("lastUsedRegion", "Region the key last called"),
        COLLECTION_ERRORS,
    ),
    collect=collect_access_keys,
    console="Users > Security credentials > Access keys",
)

MFA_DEVICE = EntityType(
    type="mfa_device",
    classes=("AccessKey",),
    description="An MFA device enabled for an IAM user.",
    columns=(
        string("serialNumber", "Serial number, or the ARN for virtual and security-key devices"),
        string("userName", "Name of the user the device is enabled for"),
        string("userArn", "ARN of the user the device is enabled for"),
        timestamp("enableDate", "When the device was enabled for the user"),
        boolean("virtual", "Whether it is a virtual (authenticator app) device rather than hardware"),
    ),
    collect=collect_mfa_devices,
    console="Users > Security credentials > MFA",
)

IAM_GROUP = EntityType(
    type="aws_iam_group",
    classes=("UserGroup",),
    description="An IAM group, its members and its policies.",
    columns=(
        string("groupId", "Stable unique ID of the group (AGPA...)"),
        string("groupName", "Group name"),
        PATH,
        ATTACHED_POLICY_ARNS,
        INLINE_POLICY_NAMES,
        strings("memberUserNames", "Names of the users in the group"),
    ),
    collect=collect_groups,
    console="User groups",
)

IAM_ROLE = EntityType(
    type="aws_iam_role",
    volatile=("lastUsedDate", "lastUsedRegion"),
    classes=("AccessRole",),
    description="An IAM role: who may assume it (trust policy), its policies and when it was last used.",
    columns=(
        string("roleId", "Stable unique ID of the role (AROA...)"),
        string("roleName", "Role name"),
        PATH,
        string("description", "Description of the role"),
        integer("maxSessionDuration", "Longest session the role allows, in seconds"),
        json_text("trustPolicy", "Trust policy: which principals may assume the role; sts:ExternalId values are "
                  "replaced by <redacted>"),
        ATTACHED_POLICY_ARNS,
        INLINE_POLICY_NAMES,
        strings("instanceProfileArns", "ARNs of the EC2 instance profiles that carry the role"),
        PERMISSIONS_BOUNDARY_ARN,
        timestamp("lastUsedDate", "When the role was last assumed (AWS tracks the last 400 days)"),
        string("lastUsedRegion", "Region in which the role was last used"),
        boolean("serviceLinked", "Whether it is a service-linked role, owned by an AWS service"),
        COLLECTION_ERRORS,
    ),
    collect=collect_roles,
    console="Roles",
)


def _inline_policy_type(owner: InlinePolicyOwner, title: str) -> EntityType:
    return EntityType(
        type=f"aws_iam_{owner.kind}_policy",
        classes=("AccessPolicy",),
        description=f"An inline policy embedded in an IAM {title}, with its document.",
        columns=(POLICY_NAME, POLICY_DOCUMENT, INLINE_ADMIN, *_owner_columns(owner.kind, title)),
        collect=_inline_policy_collector(owner),
        console=f"{title.capitalize()}s > Permissions",
    )


IAM_USER_POLICY = _inline_policy_type(USER_OWNER, "user")
IAM_GROUP_POLICY = _inline_policy_type(GROUP_OWNER, "group")
IAM_ROLE_POLICY = _inline_policy_type(ROLE_OWNER, "role")

IAM_MANAGED_POLICY = EntityType(
    type="aws_iam_policy",
    classes=("AccessPolicy",),
    description="A managed policy: every customer managed policy, and the AWS managed policies the account uses.",
    columns=(
        POLICY_NAME,
        string("policyId", "Stable unique ID of the policy (ANPA...)"),
        PATH,
        string("description", "Description of the policy"),
        boolean("awsManaged", "Whether AWS defines the policy (arn:aws:iam::aws:policy/...)"),
        string("defaultVersionId", "The version in force, e.g. v3"),
        json_text("document", "The policy document of the default version"),
        integer("attachmentCount", "Number of users, groups and roles the policy is attached to"),
        integer("permissionsBoundaryUsageCount", "Number of users and roles using it as permissions boundary"),
        boolean("isAttachable", "Whether the policy can be attached"),
        timestamp("updateDate", "When the policy last changed (a version was created or set as default)"),
        INLINE_ADMIN,
        COLLECTION_ERRORS,
    ),
    collect=collect_managed_policies,
    console="Policies",
)

SERVICE = Service(
    name="iam",
    title="IAM",
    scope=Scope.ACCOUNT,
    entity_types=(
        IAM_USER,
        IAM_ACCESS_KEY,
        MFA_DEVICE,
        IAM_GROUP,
        IAM_ROLE,
        IAM_USER_POLICY,
        IAM_GROUP_POLICY,
        IAM_ROLE_POLICY,
        IAM_MANAGED_POLICY,
        SERVER_CERTIFICATE,
    ),
    entity=ServiceEntity(
        "aws_iam", "IAM", "identity", "iam/home",
        members=(IAM_MANAGED_POLICY, IAM_ROLE, IAM_ROLE_POLICY, IAM_USER, IAM_USER_POLICY, IAM_GROUP, IAM_GROUP_POLICY),
        members_beyond_spec=(IAM_ACCESS_KEY, SERVER_CERTIFICATE),
    ),
    kind="iam",
)

"""IAM posture rules beyond trust and policy grants: the root user, the password policy, the support role, users'
credentials and directly attached policies, roles a service may assume for any account, expired server
certificates and IAM Access Analyzer in every region.

Each judges the rows as collected; a value that was not collected (None) raises nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from aws_assets.analysis.rules.model import PLACE, Detection, Detector, Row, Rule, RuleInputs, policy_statements
from aws_assets.analysis.trust import SERVICE as SERVICE_PRINCIPAL

MINIMUM_PASSWORD_LENGTH = 14  # CIS 1.8
PASSWORD_REUSE_PREVENTION = 24  # CIS 1.9
PASSWORD_MAX_AGE_DAYS = 90
UNUSED_CREDENTIAL_DAYS = 45  # CIS 1.12
# CIS 1.7 names no window; the root user's sign-in or key use this recent is daily use, not break-glass.
ROOT_RECENT_USE_DAYS = 90
# A key made this soon after its user was made at the user's setup: the console's create-user wizard and scripts
# make both within seconds.
INITIAL_SETUP = timedelta(hours=1)
SUPPORT_POLICY = "arn:aws:iam::aws:policy/AWSSupportAccess"
CLOUDSHELL_FULL_ACCESS = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
_PRINCIPAL_TABLES = ("aws_iam_user", "aws_iam_group", "aws_iam_role")
_SERVICE_LINKED_PATH = re.compile(r"^/aws-service-role/")

_ACCOUNT_READS = {"aws_account": (
    *PLACE, "rootMfaEnabled", "rootAccessKeysPresent", "passwordPolicyPresent", "passwordMinimumLength",
    "passwordReusePrevention", "passwordRequireSymbols", "passwordRequireNumbers", "passwordRequireUppercase",
    "passwordRequireLowercase", "passwordMaxAgeDays", "rootVirtualMfa", "rootPasswordLastUsed",
    "rootAccessKeyLastUsed",
)}


def _account(row: Row, evidence: dict[str, Any]) -> Detection:
    return Detection("aws_account", row["accountId"], row["region"], row["_key"], evidence)


def detect_root_access_keys(inputs: RuleInputs) -> Iterator[Detection]:
    for account in inputs.rows("aws_account"):
        if account["rootAccessKeysPresent"] is True:
            yield _account(account, {"rootAccessKeysPresent": True})


def detect_root_without_mfa(inputs: RuleInputs) -> Iterator[Detection]:
    for account in inputs.rows("aws_account"):
        if account["rootMfaEnabled"] is False:
            yield _account(account, {"rootMfaEnabled": False})


def detect_root_without_hardware_mfa(inputs: RuleInputs) -> Iterator[Detection]:
    """CIS 1.6: MFA on and no virtual device assigned to the root user means a hardware one; MFA off fails too."""
    for account in inputs.rows("aws_account"):
        enabled, virtual = account["rootMfaEnabled"], account["rootVirtualMfa"]
        if enabled is False or (enabled is True and virtual is True):
            yield _account(account, {"rootMfaEnabled": enabled, "rootVirtualMfa": virtual})


def detect_recent_root_use(inputs: RuleInputs) -> Iterator[Detection]:
    since = inputs.now - timedelta(days=ROOT_RECENT_USE_DAYS)
    for account in inputs.rows("aws_account"):
        used = {column: account[column] for column in ("rootPasswordLastUsed", "rootAccessKeyLastUsed")
                if account[column] is not None and account[column] >= since}
        if used:
            yield _account(account, {**used, "withinDays": ROOT_RECENT_USE_DAYS})


def _password_rule(column: str, wanted: int) -> Detector:
    """Accounts with no password policy, or one whose `column` is below `wanted`."""

    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for account in inputs.rows("aws_account"):
            present, value = account["passwordPolicyPresent"], account[column]
            if present is False or (present is True and (value or 0) < wanted):
                yield _account(account, {"passwordPolicyPresent": present, column: value, "required": wanted})

    return detect


_COMPLEXITY = ("passwordRequireSymbols", "passwordRequireNumbers", "passwordRequireUppercase",
               "passwordRequireLowercase")


def detect_weak_password_complexity(inputs: RuleInputs) -> Iterator[Detection]:
    """No policy, or one that does not ask for every class of character or lets passwords live past 90 days."""
    for account in inputs.rows("aws_account"):
        present = account["passwordPolicyPresent"]
        if present is None:
            continue
        missing = [column for column in _COMPLEXITY if account[column] is not True] if present else list(_COMPLEXITY)
        max_age = account["passwordMaxAgeDays"]
        too_long = not present or not max_age or max_age > PASSWORD_MAX_AGE_DAYS
        if missing or too_long:
            yield _account(account, {
                "passwordPolicyPresent": present, "notRequired": missing, "passwordMaxAgeDays": max_age,
                "maxAgeAllowedDays": PASSWORD_MAX_AGE_DAYS,
            })


def _attachments(inputs: RuleInputs, policy_arn: str) -> dict[str, list[str]]:
    """Account -> the keys of the users, groups and roles `policy_arn` is attached to."""
    holders: dict[str, list[str]] = {}
    for table in _PRINCIPAL_TABLES:
        for principal in inputs.rows(table):
            if policy_arn in (principal["attachedPolicyArns"] or ()):
                holders.setdefault(principal["accountId"], []).append(principal["_key"])
    return holders


_ATTACHED_READS = {table: (*PLACE, "attachedPolicyArns") for table in _PRINCIPAL_TABLES}


def detect_no_support_role(inputs: RuleInputs) -> Iterator[Detection]:
    """Accounts where no user, group or role holds AWSSupportAccess. An account whose roles were not collected is
    not judged: every account has roles (this integration's own, at least)."""
    holders = _attachments(inputs, SUPPORT_POLICY)
    with_roles = {role["accountId"] for role in inputs.rows("aws_iam_role")}
    for account in inputs.rows("aws_account"):
        if account["accountId"] in with_roles and not holders.get(account["accountId"]):
            yield _account(account, {"policyArn": SUPPORT_POLICY, "attachedTo": []})


def detect_cloudshell_full_access(inputs: RuleInputs) -> Iterator[Detection]:
    for table in _PRINCIPAL_TABLES:
        for principal in inputs.rows(table):
            if CLOUDSHELL_FULL_ACCESS in (principal["attachedPolicyArns"] or ()):
                yield Detection(table, principal["accountId"], principal["region"], principal["_key"],
                                {"policyArn": CLOUDSHELL_FULL_ACCESS})


# ---- users and their credentials ---------------------------------------------------------------------------------

_USER_READS = (*PLACE, "username", "createdOn", "passwordEnabled", "passwordLastUsed", "activeAccessKeyCount",
               "attachedPolicyArns", "inlinePolicyNames")
_KEY_READS = (*PLACE, "active", "accessKeyId", "userName", "userArn", "createdOn", "lastUsedDate")


def detect_keys_made_with_the_user(inputs: RuleInputs) -> Iterator[Detection]:
    """CIS 1.11: an active key of a console user, made at the user's setup and never used."""
    users = {user["_key"]: user for user in inputs.rows("aws_iam_user")}
    for key in inputs.rows("aws_iam_access_key"):
        user = users.get(key["userArn"])
        if user is None or user["passwordEnabled"] is not True or key["active"] is not True:
            continue
        made, user_made = key["createdOn"], user["createdOn"]
        if key["lastUsedDate"] is None and made is not None and user_made is not None \
                and made - user_made <= INITIAL_SETUP:
            yield Detection("aws_iam_access_key", key["accountId"], key["region"], key["_key"], {
                "accessKeyId": key["accessKeyId"], "userName": key["userName"], "userArn": key["userArn"],
                "keyCreatedOn": made, "userCreatedOn": user_made,
                "secondsAfterUser": int((made - user_made).total_seconds()), "neverUsed": True,
            })


def detect_unused_credentials(inputs: RuleInputs) -> Iterator[Detection]:
    """CIS 1.12: console passwords and active keys unused for 45 days or more (never used: made that long ago)."""
    threshold = inputs.now - timedelta(days=UNUSED_CREDENTIAL_DAYS)

    def stale(last_used: Any, made: Any) -> bool:
        return last_used <= threshold if last_used is not None else made is not None and made <= threshold

    for user in inputs.rows("aws_iam_user"):
        if user["passwordEnabled"] is True and stale(user["passwordLastUsed"], user["createdOn"]):
            yield Detection("aws_iam_user", user["accountId"], user["region"], user["_key"], {
                "username": user["username"], "credential": "password", "lastUsed": user["passwordLastUsed"],
                "createdOn": user["createdOn"], "thresholdDays": UNUSED_CREDENTIAL_DAYS,
            })
    for key in inputs.rows("aws_iam_access_key"):
        if key["active"] is True and stale(key["lastUsedDate"], key["createdOn"]):
            yield Detection("aws_iam_access_key", key["accountId"], key["region"], key["_key"], {
                "userName": key["userName"], "credential": "accessKey", "accessKeyId": key["accessKeyId"],
                "lastUsed": key["lastUsedDate"], "createdOn": key["createdOn"],
                "thresholdDays": UNUSED_CREDENTIAL_DAYS,
            })


def detect_several_active_keys(inputs: RuleInputs) -> Iterator[Detection]:
    for user in inputs.rows("aws_iam_user"):
        if (user["activeAccessKeyCount"] or 0) > 1:
            yield Detection("aws_iam_user", user["accountId"], user["region"], user["_key"],
                            {"username": user["username"], "activeAccessKeyCount": user["activeAccessKeyCount"]})


def detect_policies_on_users(inputs: RuleInputs) -> Iterator[Detection]:
    """CIS 1.15: a user with managed policies attached or inline policies of its own, rather than through groups."""
    for user in inputs.rows("aws_iam_user"):
        attached, inline = list(user["attachedPolicyArns"] or ()), list(user["inlinePolicyNames"] or ())
        if attached or inline:
            yield Detection("aws_iam_user", user["accountId"], user["region"], user["_key"], {
                "username": user["username"], "attachedPolicyArns": sorted(attached),
                "inlinePolicyNames": sorted(inline),
            })


# ---- roles a service assumes -------------------------------------------------------------------------------------

_TRUST_READS = {
    "aws_iam_role": (*PLACE, "roleName", "trustPolicy", "path", "serviceLinked"),
    "aws_account": ("accountId",),
}


def detect_service_trust_without_source(inputs: RuleInputs) -> Iterator[Detection]:
    """Roles a service principal may assume with no `aws:SourceAccount`/`aws:SourceArn`/`aws:SourceOrgID` condition;
    service-linked roles are AWS's own and are not judged."""
    for trust in inputs.role_trusts:
        role = trust.role
        if role["serviceLinked"] is True or _SERVICE_LINKED_PATH.match(role["path"] or ""):
            continue
        open_edges = [edge for edge in trust.edges
                      if SERVICE_PRINCIPAL in edge.principal_kinds and not edge.source_restricted]
        if open_edges:
            yield Detection("aws_iam_role", role["accountId"], role["region"], role["_key"], {
                "roleName": role["roleName"],
                "services": sorted({edge.to_name or edge.to_key for edge in open_edges}),
                "trustPolicyStatements": policy_statements(
                    role["trustPolicy"], (i for edge in open_edges for i in edge.statements)),
            })


_FIX_PASSWORD = (
    "Set the account password policy (IAM > Account settings, or `aws iam update-account-password-policy`)"
)

def detect_expired_server_certificates(inputs: RuleInputs) -> Iterator[Detection]:
    for certificate in inputs.rows("aws_iam_server_certificate"):
        expiration = certificate["expiration"]
        if expiration is not None and expiration <= inputs.now:
            yield Detection("aws_iam_server_certificate", certificate["accountId"], certificate["region"],
                            certificate["_key"], {"serverCertificateName": certificate["serverCertificateName"],
                                                  "expiration": expiration})


# The analyzers that look for access from outside the zone of trust, which CIS 1.20 is about; unused-access and
# internal-access analyzers do not.
EXTERNAL_ACCESS_ANALYZERS = ("ACCOUNT", "ORGANIZATION")
_ANALYZER_READS = {
    "aws_accessanalyzer_analyzer": (*PLACE, "name", "present", "analyzerType", "status", "statusReason"),
    "aws_organization_account": ("accountId", "memberAccountId"),
}


def _analyzes_external_access(analyzer: Row) -> bool:
    return bool(analyzer["present"] and analyzer["status"] == "ACTIVE"
                and analyzer["analyzerType"] in EXTERNAL_ACCESS_ANALYZERS)


def detect_region_without_analyzer(inputs: RuleInputs) -> Iterator[Detection]:
    """Per account and region collected: an ACTIVE external-access analyzer of the account, or an ACTIVE organisation
    analyzer in the region of an account (the management account or a delegated administrator) whose listing of the
    organisation names this account: that analyzer covers every account of the organisation."""
    members: dict[str, set[str]] = {}
    for row in inputs.rows("aws_organization_account"):
        members.setdefault(row["accountId"], set()).add(row["memberAccountId"])
    by_region: dict[tuple[str, str], list[Row]] = {}
    for row in inputs.rows("aws_accessanalyzer_analyzer"):
        by_region.setdefault((row["accountId"], row["region"]), []).append(row)
    covered_by_organization = {
        (member, region) for (account, region), rows in by_region.items() for row in rows
        if _analyzes_external_access(row) and row["analyzerType"] == "ORGANIZATION"
        for member in members.get(account, ())
    }
    for (account, region), rows in sorted(by_region.items()):
        if any(_analyzes_external_access(row) for row in rows) or (account, region) in covered_by_organization:
            continue
        analyzers = [{"name": row["name"], "analyzerType": row["analyzerType"], "status": row["status"],
                      "statusReason": row["statusReason"]} for row in rows if row["present"]]
        yield Detection("aws_accessanalyzer_analyzer", account, region, rows[0]["_key"], {"analyzers": analyzers})


IAM_POSTURE_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-IAM-009", "critical", "Root user has access keys",
        "The account's root user has access keys (`rootAccessKeysPresent`, from the account summary): long-term "
        "credentials of the one principal no policy can restrict.",
        _ACCOUNT_READS, detect_root_access_keys,
        remediation="Sign in as the root user, delete its access keys (Security credentials > Access keys) and use "
        "IAM roles instead.",
        cis=("1.4",),
    ),
    Rule(
        "AWS-IAM-010", "critical", "Root user without MFA",
        "The account's root user has no MFA device (`rootMfaEnabled` false).",
        _ACCOUNT_READS, detect_root_without_mfa,
        remediation="Sign in as the root user and assign an MFA device (a hardware key preferably) under "
        "Security credentials > Multi-factor authentication.",
        cis=("1.5",),
    ),
    Rule(
        "AWS-IAM-011", "medium", f"Password policy allows passwords shorter than {MINIMUM_PASSWORD_LENGTH}",
        f"The account has no password policy, or its minimum length is below {MINIMUM_PASSWORD_LENGTH}.",
        _ACCOUNT_READS, _password_rule("passwordMinimumLength", MINIMUM_PASSWORD_LENGTH),
        remediation=f"{_FIX_PASSWORD} with `--minimum-password-length {MINIMUM_PASSWORD_LENGTH}` or more.",
        cis=("1.8",),
    ),
    Rule(
        "AWS-IAM-012", "medium", "Password policy does not prevent reuse of the last 24 passwords",
        f"The account has no password policy, or it remembers fewer than {PASSWORD_REUSE_PREVENTION} passwords.",
        _ACCOUNT_READS, _password_rule("passwordReusePrevention", PASSWORD_REUSE_PREVENTION),
        remediation=f"{_FIX_PASSWORD} with `--password-reuse-prevention {PASSWORD_REUSE_PREVENTION}`.",
        cis=("1.9",),
    ),
    Rule(
        "AWS-IAM-013", "low", "Password policy without complexity or expiry",
        "The account has no password policy, or it does not require symbols, numbers, upper-case and lower-case "
        f"letters, or lets passwords live longer than {PASSWORD_MAX_AGE_DAYS} days (or forever). Not a CIS v4.0 "
        "control (CIS dropped complexity for length); other frameworks (PCI DSS, AWS FSBP IAM.7) keep it.",
        _ACCOUNT_READS, detect_weak_password_complexity,
        remediation=f"{_FIX_PASSWORD} with `--require-symbols --require-numbers --require-uppercase-characters "
        f"--require-lowercase-characters --max-password-age {PASSWORD_MAX_AGE_DAYS}`.",
    ),
    Rule(
        "AWS-IAM-014", "medium", "Access key made at the console user's setup and never used",
        "An active access key of a user with a console password was made within an hour of the user and has "
        "never been used: keys handed out at setup, whether needed or not (CIS 1.11). A key made later, or used, "
        "is not flagged.",
        {"aws_iam_access_key": _KEY_READS, "aws_iam_user": _USER_READS}, detect_keys_made_with_the_user,
        remediation="Delete the key (`aws iam delete-access-key`); create keys only when the user needs "
        "programmatic access, and prefer roles.",
        cis=("1.11",),
    ),
    Rule(
        "AWS-IAM-015", "medium", f"Credential unused for {UNUSED_CREDENTIAL_DAYS} days",
        f"A console password or an active access key last used {UNUSED_CREDENTIAL_DAYS} days ago or more, or "
        f"never used and made {UNUSED_CREDENTIAL_DAYS} days ago or more (CIS: 45 days or more).",
        {"aws_iam_user": _USER_READS, "aws_iam_access_key": _KEY_READS}, detect_unused_credentials,
        remediation="Remove the console password (`aws iam delete-login-profile`) or deactivate the key "
        "(`aws iam update-access-key --status Inactive`).",
        cis=("1.12",),
    ),
    Rule(
        "AWS-IAM-016", "medium", "IAM user with more than one active access key",
        "The user has two active access keys: one is usually forgotten after a rotation.",
        {"aws_iam_user": _USER_READS}, detect_several_active_keys,
        remediation="Deactivate, then delete, the key no longer in use.",
        cis=("1.13",),
    ),
    Rule(
        "AWS-IAM-017", "low", "IAM user with policies of its own",
        "Managed policies are attached to the user, or inline policies embedded in it, instead of reaching it "
        "through a group.",
        {"aws_iam_user": _USER_READS}, detect_policies_on_users,
        remediation="Put the user in a group holding the policies, then detach them from the user "
        "(`aws iam detach-user-policy`, `aws iam delete-user-policy`).",
        cis=("1.15",),
    ),
    Rule(
        "AWS-IAM-021", "low", "No support role: AWSSupportAccess attached to nobody",
        "No user, group or role of the account holds the AWS managed policy AWSSupportAccess, so incidents with AWS "
        "Support need broader permissions. An account whose roles were not collected is not judged.",
        {"aws_account": PLACE, **_ATTACHED_READS}, detect_no_support_role,
        remediation="Create a role for the incident responders and attach AWSSupportAccess "
        "(`aws iam attach-role-policy --policy-arn arn:aws:iam::aws:policy/AWSSupportAccess`).",
        cis=("1.17",),
    ),
    Rule(
        "AWS-IAM-022", "medium", "AWSCloudShellFullAccess attached",
        "A user, group or role holds AWSCloudShellFullAccess, which lets it upload and download files through "
        "CloudShell (a path for data out of the account).",
        _ATTACHED_READS, detect_cloudshell_full_access, subject="aws_iam_role",
        remediation="Detach AWSCloudShellFullAccess; grant a narrower policy that denies "
        "`cloudshell:GetFileDownloadUrls` and `cloudshell:GetFileUploadUrls`.",
        cis=("1.22",),
    ),
    Rule(
        "AWS-IAM-023", "low", "Role a service may assume for any account (confused deputy)",
        "The role's trust policy lets an AWS service principal assume it with no `aws:SourceAccount`, "
        "`aws:SourceArn` or `aws:SourceOrgID` condition: a service acting for another customer could be made to "
        "use it (AWS's cross-service confused deputy guidance). Service-linked roles are not judged.",
        _TRUST_READS, detect_service_trust_without_source,
        remediation="Add a condition to the trust statement: `\"StringEquals\": {\"aws:SourceAccount\": "
        "\"<account>\"}` or `\"ArnLike\": {\"aws:SourceArn\": \"<the resource acting>\"}`.",
    ),
    Rule(
        "AWS-IAM-024", "medium", "Root user without a hardware MFA device",
        "The root user's MFA is a virtual device (`rootVirtualMfa`), or it has no MFA at all: CIS wants a "
        "hardware device for the account's most powerful user.",
        _ACCOUNT_READS, detect_root_without_hardware_mfa,
        remediation="Sign in as the root user, assign a hardware MFA device (a FIDO security key or a hardware "
        "TOTP token) and remove the virtual one.",
        cis=("1.6",),
    ),
    Rule(
        "AWS-IAM-025", "medium", f"Root user used in the last {ROOT_RECENT_USE_DAYS} days",
        f"The credential report shows the root user's password or an access key of it used within "
        f"{ROOT_RECENT_USE_DAYS} days: the root user is for the few tasks only it can do.",
        _ACCOUNT_READS, detect_recent_root_use,
        remediation="Do the work with IAM roles (IAM Identity Center) instead; keep the root user's credentials "
        "locked away and alert on its use (CIS 4.3).",
        cis=("1.7",),
    ),
    Rule(
        "AWS-IAM-026", "medium", "Expired IAM server certificate",
        "An SSL/TLS certificate stored in IAM has expired: a load balancer or CloudFront distribution given it by "
        "mistake serves a certificate browsers refuse, and an old certificate kept is one more to account for.",
        {"aws_iam_server_certificate": (*PLACE, "serverCertificateName", "expiration")},
        detect_expired_server_certificates,
        remediation="Check nothing uses it, then `aws iam delete-server-certificate --server-certificate-name "
        "<name>`; keep certificates in AWS Certificate Manager, which renews them.",
        cis=("1.19",),
    ),
    Rule(
        "AWS-ACCESSANALYZER-001", "medium", "IAM Access Analyzer not enabled in the region",
        "The account has no ACTIVE analyzer of external access (type ACCOUNT or ORGANIZATION) in the region, and no "
        "ACTIVE organisation analyzer there covers it: resources shared outside the account go unreported. Analyzers "
        "of unused or internal access do not count. Evidence: the region's analyzers and their status.",
        _ANALYZER_READS, detect_region_without_analyzer,
        remediation="`aws accessanalyzer create-analyzer --analyzer-name <name> --type ACCOUNT --region <region>` "
        "(or --type ORGANIZATION from the management account or a delegated administrator, in every region).",
        cis=("1.20",),
    ),
)

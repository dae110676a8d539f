"""The posture rules (aws_assets.analysis.rules): each on hand-written rows, with the case that fires and the near
miss that must not. Each rule sees only the columns it declares, a column the rows leave out being null, as a
column the collector could not fill."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aws_assets.analysis.findings import RULES, evaluate
from aws_assets.analysis.rules.functions import secret_like
from aws_assets.analysis.rules.grants import policy_grant
from aws_assets.analysis.rules.storage import bucket_neutral, insecure_transport_denied

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ACCOUNT = "111111111111"
REGION = "eu-west-1"


def found(tables: dict[str, list[dict]], rule_id: str, now: datetime = NOW) -> dict[str, dict[str, Any]]:
    rule = next(r for r in RULES if r.id == rule_id)
    declared = {table: [{column: row.get(column) for column in columns} for row in tables.get(table, [])]
                for table, columns in rule.reads.items()}
    return {f.resource_key: f.evidence for f in evaluate(declared, now, [rule])}


def keys(tables: dict[str, list[dict]], rule_id: str, now: datetime = NOW) -> set[str]:
    return set(found(tables, rule_id, now))


def place(key: str, **columns: Any) -> dict[str, Any]:
    return {"_key": key, "accountId": ACCOUNT, "region": columns.pop("region", REGION), **columns}


# ---- account posture ---------------------------------------------------------------------------------------------

STRONG_POLICY = {"passwordPolicyPresent": True, "passwordMinimumLength": 14, "passwordReusePrevention": 24,
                 "passwordRequireSymbols": True, "passwordRequireNumbers": True, "passwordRequireUppercase": True,
                 "passwordRequireLowercase": True, "passwordMaxAgeDays": 90}


def account(name: str, **columns: Any) -> dict[str, Any]:
    return place(name, region="global", **{"rootMfaEnabled": True, "rootAccessKeysPresent": False,
                                           **STRONG_POLICY, **columns})


def test_root_keys_and_root_without_mfa_fire_and_an_unknown_does_not():
    tables = {"aws_account": [account("keys", rootAccessKeysPresent=True), account("no-mfa", rootMfaEnabled=False),
                              account("unknown", rootAccessKeysPresent=None, rootMfaEnabled=None),
                              account("clean")]}
    assert keys(tables, "AWS-IAM-009") == {"keys"}
    assert keys(tables, "AWS-IAM-010") == {"no-mfa"}


def test_the_password_policy_rules_want_length_14_and_reuse_24():
    tables = {"aws_account": [
        account("strong"), account("none", passwordPolicyPresent=False, passwordMinimumLength=None,
                                   passwordReusePrevention=None),
        account("length-13", passwordMinimumLength=13), account("reuse-23", passwordReusePrevention=23),
        account("not-collected", passwordPolicyPresent=None, passwordMinimumLength=None),
        account("no-symbols-no-expiry", passwordRequireSymbols=False, passwordMaxAgeDays=None),
        account("expiry-91", passwordMaxAgeDays=91),
    ]}
    assert keys(tables, "AWS-IAM-011") == {"none", "length-13"}
    assert found(tables, "AWS-IAM-011")["length-13"]["required"] == 14
    assert keys(tables, "AWS-IAM-012") == {"none", "reuse-23"}
    assert keys(tables, "AWS-IAM-013") == {"none", "no-symbols-no-expiry", "expiry-91"}
    assert found(tables, "AWS-IAM-013")["no-symbols-no-expiry"]["notRequired"] == ["passwordRequireSymbols"]


SUPPORT = "arn:aws:iam::aws:policy/AWSSupportAccess"
CLOUDSHELL = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"


def principal(kind: str, name: str, account_id: str = ACCOUNT, *attached: str) -> dict[str, Any]:
    return {"_key": f"arn:aws:iam::{account_id}:{kind}/{name}", "accountId": account_id, "region": "global",
            "attachedPolicyArns": list(attached)}


def test_an_account_without_a_support_role_fires_unless_its_roles_were_not_collected():
    tables = {
        "aws_account": [place(a, accountId=a, region="global") for a in ("111111111111", "222222222222",
                                                                          "333333333333", "444444444444")],
        "aws_iam_role": [principal("role", "support", "111111111111", SUPPORT),
                         principal("role", "app", "222222222222"), principal("role", "app", "333333333333")],
        "aws_iam_group": [principal("group", "responders", "333333333333", SUPPORT)],
    }
    # 444... has no role collected: its IAM partition failed, nothing to claim.
    assert keys(tables, "AWS-IAM-021") == {"222222222222"}


def test_cloudshell_full_access_fires_on_whoever_holds_it():
    tables = {"aws_iam_user": [principal("user", "dev", ACCOUNT, CLOUDSHELL),
                               principal("user", "ops", ACCOUNT, "arn:aws:iam::aws:policy/AWSCloudShellPowerUser")]}
    assert keys(tables, "AWS-IAM-022") == {f"arn:aws:iam::{ACCOUNT}:user/dev"}


# ---- users and keys ----------------------------------------------------------------------------------------------


def user(name: str, created: datetime, password: bool | None = True, last_used: datetime | None = None,
         **columns: Any) -> dict[str, Any]:
    return place(f"arn:aws:iam::{ACCOUNT}:user/{name}", region="global", username=name, createdOn=created,
                 passwordEnabled=password, passwordLastUsed=last_used, **columns)


def key(name: str, owner: str, created: datetime, last_used: datetime | None = None, active: bool = True) -> dict:
    return place(f"{name}", region="global", active=active, accessKeyId=name, userName=owner,
                 userArn=f"arn:aws:iam::{ACCOUNT}:user/{owner}", createdOn=created, lastUsedDate=last_used)


def test_a_key_made_with_a_console_user_and_never_used_fires():
    made = NOW - 10 * DAY
    tables = {
        "aws_iam_user": [user("wizard", made), user("later", made), user("used", made),
                         user("programmatic", made, password=False)],
        "aws_iam_access_key": [
            key("AKIAWIZARD", "wizard", made + timedelta(seconds=5)),
            key("AKIALATER", "later", made + 2 * DAY),  # made two days after the user: asked for
            key("AKIAUSED", "used", made + timedelta(seconds=5), last_used=NOW - DAY),
            key("AKIAPROG", "programmatic", made + timedelta(seconds=5)),  # no console password
            key("AKIAOFF", "wizard", made + timedelta(seconds=9), active=False),
        ],
    }
    assert found(tables, "AWS-IAM-014") == {"AKIAWIZARD": {
        "accessKeyId": "AKIAWIZARD", "userName": "wizard", "userArn": f"arn:aws:iam::{ACCOUNT}:user/wizard",
        "keyCreatedOn": made + timedelta(seconds=5), "userCreatedOn": made, "secondsAfterUser": 5,
        "neverUsed": True}}


def test_credentials_unused_for_45_days_fire_at_45_not_at_44():
    old = NOW - 100 * DAY
    tables = {
        "aws_iam_user": [user("idle", old, last_used=NOW - 45 * DAY), user("recent", old, last_used=NOW - 44 * DAY),
                         user("never-signed-in", old), user("new", NOW - 10 * DAY),
                         user("no-password", old, password=False)],
        "aws_iam_access_key": [key("AKIAIDLE", "ci", old, NOW - 46 * DAY), key("AKIARECENT", "ci", old, NOW - DAY),
                               key("AKIAOFF", "ci", old, active=False), key("AKIANEVER", "ci", old)],
    }
    assert keys(tables, "AWS-IAM-015") == {
        f"arn:aws:iam::{ACCOUNT}:user/idle", f"arn:aws:iam::{ACCOUNT}:user/never-signed-in", "AKIAIDLE", "AKIANEVER"}


def test_two_active_keys_and_policies_on_users():
    tables = {"aws_iam_user": [
        user("two", NOW, activeAccessKeyCount=2), user("one", NOW, activeAccessKeyCount=1),
        user("attached", NOW, attachedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
        user("inline", NOW, inlinePolicyNames=["own"]), user("grouped", NOW, attachedPolicyArns=[]),
    ]}
    assert keys(tables, "AWS-IAM-016") == {f"arn:aws:iam::{ACCOUNT}:user/two"}
    assert keys(tables, "AWS-IAM-017") == {f"arn:aws:iam::{ACCOUNT}:user/attached",
                                           f"arn:aws:iam::{ACCOUNT}:user/inline"}


def role(name: str, statement: dict, path: str = "/", service_linked: bool = False) -> dict[str, Any]:
    return place(f"arn:aws:iam::{ACCOUNT}:role/{name}", region="global", roleName=name, path=path,
                 serviceLinked=service_linked,
                 trustPolicy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def service_trust(service: str, condition: dict | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


def test_a_role_a_service_may_assume_for_any_account_fires_and_a_pinned_one_does_not():
    tables = {"aws_account": [{"accountId": ACCOUNT}], "aws_iam_role": [
        role("open", service_trust("config.amazonaws.com")),
        role("pinned", service_trust("config.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCOUNT}})),
        role("by-arn", service_trust("sns.amazonaws.com", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:1:t"}})),
        role("AWSServiceRoleForSupport", service_trust("support.amazonaws.com"), "/aws-service-role/", True),
        role("person", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "sts:AssumeRole"}),
    ]}
    flagged = found(tables, "AWS-IAM-023")
    assert set(flagged) == {f"arn:aws:iam::{ACCOUNT}:role/open"}
    assert flagged[f"arn:aws:iam::{ACCOUNT}:role/open"]["trustPolicyStatements"][0]["index"] == 0


# ---- policies granting too much (the evaluator) ------------------------------------------------------------------


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ADMIN_WITH_MFA = {**ADMIN, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
KMS_ALL = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}


@pytest.mark.parametrize("statements, admin, services", [
    ([ADMIN], True, {"kms", "cloudtrail"}),
    ([{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}], True, {"kms", "cloudtrail"}),
    ([{"Effect": "Allow", "NotAction": "aws-portal:*", "Resource": "*"}], True, {"kms", "cloudtrail"}),
    ([ADMIN_WITH_MFA], None, set()),  # admin only under a condition
    ([ADMIN, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}], False, {"kms", "cloudtrail"}),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], False, {"kms", "cloudtrail"}),
    ([KMS_ALL], False, {"kms"}),
    ([{"Effect": "Allow", "Action": "kms:*", "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/one"}], None, set()),
    ([{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}], None, set()),
    ([{"Effect": "Allow", "Action": "cloudtrail:*", "Resource": "*"}], False, {"cloudtrail"}),
    ([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}], None, set()),
])
def test_what_a_policy_grants_is_decided_by_the_evaluator(statements, admin, services):
    grant = policy_grant(document(*statements), ACCOUNT)
    if admin is None:
        assert grant is None
    else:
        assert grant is not None and (grant.admin, set(grant.full_services)) == (admin, services)


def managed(name: str, statements: list[dict], attachments: int, aws_managed: bool = False) -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    return place(arn, region="global", arn=arn, policyName=name, document=document(*statements),
                 awsManaged=aws_managed, attachmentCount=attachments)


def test_admin_and_full_service_policies_fire_wherever_attached():
    tables = {
        "aws_iam_policy": [managed("admin", [ADMIN], 1), managed("admin-mfa", [ADMIN_WITH_MFA], 3),
                           managed("admin-unused", [ADMIN], 0), managed("kms", [KMS_ALL], 1),
                           managed("trail", [{"Effect": "Allow", "Action": "cloudtrail:*", "Resource": "*"}], 2)],
        "aws_iam_role_policy": [place(f"arn:aws:iam::{ACCOUNT}:role/app|inline-admin", region="global",
                                      policyName="inline-admin", document=document(ADMIN),
                                      roleArn=f"arn:aws:iam::{ACCOUNT}:role/app")],
        "aws_iam_role": [principal("role", "ops", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:policy/admin")],
    }
    admin = found(tables, "AWS-IAM-018")
    assert set(admin) == {f"arn:aws:iam::{ACCOUNT}:policy/admin", f"arn:aws:iam::{ACCOUNT}:role/app|inline-admin"}
    assert admin[f"arn:aws:iam::{ACCOUNT}:policy/admin"]["attachedTo"] == [f"arn:aws:iam::{ACCOUNT}:role/ops"]
    assert admin[f"arn:aws:iam::{ACCOUNT}:policy/admin"]["allowingStatements"] == [{"statement": "0"}]
    # The admin policies grant KMS and CloudTrail too: they are AWS-IAM-018's findings, not these rules'.
    assert keys(tables, "AWS-IAM-019") == {f"arn:aws:iam::{ACCOUNT}:policy/kms"}
    assert keys(tables, "AWS-IAM-020") == {f"arn:aws:iam::{ACCOUNT}:policy/trail"}


# ---- EC2 and VPC -------------------------------------------------------------------------------------------------


def instance(name: str, **columns: Any) -> dict[str, Any]:
    return place(name, instanceId=name, **{"state": "running", "metadataHttpTokens": "required",
                                           "metadataHttpEndpoint": "enabled",
                                           "instanceProfileArn": "arn:aws:iam::1:instance-profile/app", **columns})


def test_instance_rules_fire_on_running_instances_and_spare_the_near_misses():
    tables = {"aws_instance": [
        instance("v1", metadataHttpTokens="optional"),
        instance("v1-off", metadataHttpTokens="optional", metadataHttpEndpoint="disabled"),
        instance("v1-gone", metadataHttpTokens="optional", state="terminated"),
        instance("public", publicIpAddress="203.0.113.9"),
        instance("no-role", instanceProfileArn=None), instance("clean"),
    ]}
    assert keys(tables, "AWS-EC2-004") == {"v1"}
    assert keys(tables, "AWS-EC2-006") == {"public"}
    assert keys(tables, "AWS-EC2-009") == {"no-role"}


ALL_OUT = {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}


def test_a_default_group_with_any_rule_fires_and_an_empty_one_or_a_custom_one_does_not():
    tables = {"aws_security_group": [
        place("default-open", groupId="sg-1", vpcId="vpc-1", isDefault=True, ingressRules=[],
              egressRules=[ALL_OUT]),
        place("default-closed", groupId="sg-2", vpcId="vpc-2", isDefault=True, ingressRules=[], egressRules=[]),
        place("custom", groupId="sg-3", vpcId="vpc-1", isDefault=False, ingressRules=[], egressRules=[ALL_OUT]),
    ]}
    assert keys(tables, "AWS-EC2-005") == {"default-open"}


def test_a_subnet_assigning_public_ips_fires():
    tables = {"aws_subnet": [place("s-public", subnetId="s-1", mapPublicIpOnLaunch=True),
                             place("s-private", subnetId="s-2", mapPublicIpOnLaunch=False),
                             place("s-unknown", subnetId="s-3", mapPublicIpOnLaunch=None)]}
    assert keys(tables, "AWS-EC2-007") == {"s-public"}


def ingress(from_port: int, to_port: int, cidr: str) -> dict[str, Any]:
    family = "cidrIpv6" if ":" in cidr else "cidrIpv4"
    return {"ipProtocol": "tcp", "fromPort": from_port, "toPort": to_port, family: cidr}


def test_cifs_open_to_the_internet_fires_and_https_does_not():
    tables = {"aws_security_group": [
        place("smb", groupId="sg-1", groupName="smb", vpcId="v", ingressRules=[ingress(445, 445, "0.0.0.0/0")]),
        place("https", groupId="sg-2", groupName="web", vpcId="v", ingressRules=[ingress(443, 443, "0.0.0.0/0")]),
        place("smb-office", groupId="sg-3", groupName="o", vpcId="v", ingressRules=[ingress(445, 445, "10.0.0.0/8")]),
    ]}
    assert keys(tables, "AWS-EC2-008") == {"smb"}


# ---- S3 ----------------------------------------------------------------------------------------------------------

TLS_ONLY = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize("statements, denied", [
    ([TLS_ONLY], True),
    ([{**TLS_ONLY, "Action": "*", "Resource": "*"}], True),
    ([{**TLS_ONLY, "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}], True),
    ([{**TLS_ONLY, "Action": "s3:GetObject"}], False),  # writes and listing over HTTP are still allowed
    # Denied only from outside a VPC: a request over HTTP from the VPC is allowed.
    ([{**TLS_ONLY, "Condition": {"Bool": {"aws:SecureTransport": "false"},
                                 "StringNotEquals": {"aws:SourceVpc": "vpc-1"}}}], False),
    ([{**TLS_ONLY, "Effect": "Allow"}], False),
    ([{**TLS_ONLY, "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}], False),
    (None, False),
])
def test_a_tls_only_bucket_policy_is_decided_by_the_evaluator(statements, denied):
    assert insecure_transport_denied("b", ACCOUNT, None if statements is None else document(*statements)) is denied


FLAGS = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True,
         "restrictPublicBuckets": True}


def bucket(name: str, **columns: Any) -> dict[str, Any]:
    return place(f"arn:aws:s3:::{name}", bucketName=name, **{
        **FLAGS, "accountBlockPublicAccess": False, "policy": document({**TLS_ONLY, "Resource": [
            f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}),
        "versioningStatus": "Enabled", "mfaDelete": True, "loggingEnabled": True,
        "objectOwnership": "BucketOwnerEnforced", "collectionErrors": [], **columns})


def test_bucket_rules_fire_on_their_setting_and_spare_the_near_misses():
    tables = {"aws_s3_bucket": [
        bucket("clean"),
        bucket("no-block", blockPublicPolicy=False),
        bucket("account-blocked", blockPublicPolicy=False, ignorePublicAcls=False, accountBlockPublicAccess=True),
        bucket("http", policy=None),
        bucket("unlogged", loggingEnabled=False), bucket("logging-unknown", loggingEnabled=None),
        bucket("suspended", versioningStatus="Suspended"), bucket("no-mfa-delete", mfaDelete=False),
        bucket("writer", objectOwnership="ObjectWriter"), bucket("no-controls", objectOwnership=None),
        bucket("controls-denied", objectOwnership=None,
               collectionErrors=["s3:GetBucketOwnershipControls: AccessDenied"]),
    ]}
    arn = "arn:aws:s3:::{}".format
    assert keys(tables, "AWS-S3-002") == {arn("no-block")}
    assert found(tables, "AWS-S3-002")[arn("no-block")]["settingsOff"] == ["blockPublicPolicy"]
    assert keys(tables, "AWS-S3-003") == {arn("http")}
    assert keys(tables, "AWS-S3-004") == {arn("unlogged")}
    assert keys(tables, "AWS-S3-005") == {arn("suspended")}
    assert keys(tables, "AWS-S3-006") == {arn("no-mfa-delete")}
    assert keys(tables, "AWS-S3-007") == {arn("writer"), arn("no-controls")}


# ---- RDS, DynamoDB, KMS ------------------------------------------------------------------------------------------

HARDENED = {"publiclyAccessible": False, "deletionProtection": True, "multiAz": True,
            "iamDatabaseAuthenticationEnabled": True, "autoMinorVersionUpgrade": True}


def db(name: str, engine: str = "postgres", cluster: str | None = None, **columns: Any) -> dict[str, Any]:
    return place(name, dbInstanceIdentifier=name, dbClusterIdentifier=cluster, engine=engine,
                 **{**HARDENED, **columns})


def test_database_rules_fire_on_their_setting_and_judge_aurora_members_by_their_cluster():
    hardened = {k: v for k, v in HARDENED.items() if k != "autoMinorVersionUpgrade"}
    tables = {
        "aws_rds_cluster": [place("aurora", dbClusterIdentifier="aurora", engine="aurora-mysql",
                                  **{**hardened, "publiclyAccessible": None, "multiAz": False})],
        "aws_db_instance": [
            db("clean"), db("public", publiclyAccessible=True), db("deletable", deletionProtection=False),
            db("single-az", multiAz=False), db("passwords", iamDatabaseAuthenticationEnabled=False),
            db("oracle", "oracle-ee", iamDatabaseAuthenticationEnabled=False),  # no IAM authentication in Oracle
            db("unpatched", autoMinorVersionUpgrade=False),
            # A member's single-AZ, unprotected settings are its cluster's to judge.
            db("aurora-1", "aurora-mysql", "aurora", multiAz=False, deletionProtection=False,
               publiclyAccessible=True),
        ],
    }
    assert keys(tables, "AWS-RDS-002") == {"public", "aurora-1"}
    assert keys(tables, "AWS-RDS-003") == {"deletable"}
    assert keys(tables, "AWS-RDS-004") == {"single-az", "aurora"}
    assert keys(tables, "AWS-RDS-005") == {"passwords"}
    assert keys(tables, "AWS-RDS-006") == {"unpatched"}


def test_a_table_without_pitr_and_a_customer_key_without_rotation_fire():
    tables = {
        "aws_dynamodb_table": [place("t-off", tableName="off", pointInTimeRecoveryEnabled=False),
                               place("t-on", tableName="on", pointInTimeRecoveryEnabled=True),
                               place("t-unknown", tableName="unknown", pointInTimeRecoveryEnabled=None)],
        "aws_kms_key": [
            place(k, keyId=k, keyManager=manager, keySpec=spec, keyState=state, rotationEnabled=rotation)
            for k, manager, spec, state, rotation in (
                ("k-off", "CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled", False),
                ("k-on", "CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled", True),
                ("k-rsa", "CUSTOMER", "RSA_2048", "Enabled", None),
                ("k-disabled", "CUSTOMER", "SYMMETRIC_DEFAULT", "Disabled", False),
                ("k-aws", "AWS", "SYMMETRIC_DEFAULT", "Enabled", False),
            )],
    }
    assert keys(tables, "AWS-DYNAMODB-002") == {"t-off"}
    assert keys(tables, "AWS-KMS-001") == {"k-off"}


# ---- Lambda and API Gateway --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, secret", [
    ("DB_PASSWORD", True), ("stripeSecret", True), ("API_TOKEN", True), ("SIGNING_KEY", True), ("API_KEY", True),
    ("AWS_SECRET_ACCESS_KEY", True), ("GITHUB_PAT_TOKEN", True), ("dbPwd", True),
    ("SECRET_ARN", False), ("TOKEN_URL", False), ("KMS_KEY_ID", False), ("PUBLIC_KEY", False),
    ("PARTITION_KEY", False), ("PASSWORD_MIN_LENGTH", False), ("TABLE_NAME", False), ("KEYSPACE", False),
])
def test_secret_like_names(name, secret):
    assert secret_like(name) is secret


def function(name: str, **columns: Any) -> dict[str, Any]:
    return place(name, functionName=name, **{"runtime": "python3.13", "environmentVariableNames": [],
                                             "kmsKeyArn": None, **columns})


def test_lambda_rules_fire_on_secret_names_and_deprecated_runtimes_only():
    tables = {"aws_lambda_function": [
        function("leaky", environmentVariableNames=["TABLE_NAME", "DB_PASSWORD"]),
        function("pointer", environmentVariableNames=["DB_SECRET_ARN"]),
        function("old", runtime="python3.8"), function("image", runtime=None),
        function("not-yet", runtime="dotnet8"),
    ]}
    assert found(tables, "AWS-LAMBDA-001") == {"leaky": {
        "functionName": "leaky", "variableNames": ["DB_PASSWORD"], "encryptedWithCustomerKey": False}}
    assert keys(tables, "AWS-LAMBDA-002", now=datetime(2026, 11, 9, tzinfo=UTC)) == {"old"}
    assert keys(tables, "AWS-LAMBDA-002", now=datetime(2026, 11, 10, tzinfo=UTC)) == {"old", "not-yet"}


def method(path: str, verb: str, authorization: str, api_key: bool = False) -> dict[str, Any]:
    return {"resourcePath": path, "httpMethod": verb, "authorizationType": authorization, "apiKeyRequired": api_key}


def test_a_public_api_with_an_unauthorized_method_fires_and_a_private_or_authorized_one_does_not():
    tables = {"aws_api_gateway_rest_api": [
        place("open", restApiId="a1", public=True, endpointTypes=["REGIONAL"],
              integrations=[method("/", "GET", "NONE", api_key=True), method("/", "OPTIONS", "NONE"),
                            method("/admin", "POST", "AWS_IAM")]),
        place("authorized", restApiId="a2", public=True, endpointTypes=["EDGE"],
              integrations=[method("/", "GET", "COGNITO_USER_POOLS"), method("/", "OPTIONS", "NONE")]),
        place("private", restApiId="a3", public=False, endpointTypes=["PRIVATE"],
              integrations=[method("/", "GET", "NONE")]),
    ]}
    assert found(tables, "AWS-APIGW-001") == {"open": {
        "restApiId": "a1", "endpointTypes": ["REGIONAL"], "hasResourcePolicy": False,
        "methods": [{"resourcePath": "/", "httpMethod": "GET", "apiKeyRequired": True}]}}


@pytest.mark.parametrize("resources, denied", [
    (["arn:aws:s3:::b/*", "arn:aws:s3:::b"], True), (["arn:aws:s3:::b*"], True),
    (["arn:aws:s3:::bb/*", "arn:aws:s3:::bb"], False),  # another bucket: left as it is
    (["arn:aws:s3:::b?", "arn:aws:s3:::b?/*"], False), (["arn:aws:s3:::b/*"], False),
])
def test_a_bucket_policy_read_with_a_placeholder_bucket_decides_as_the_policy_itself(resources, denied):
    policy = document({**TLS_ONLY, "Resource": resources})
    assert insecure_transport_denied("b", ACCOUNT, policy) is denied
    assert insecure_transport_denied("aws-assets-probe-bucket", ACCOUNT, bucket_neutral("b", policy)) is denied

import json
import os
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from botocore.awsrequest import AWSResponse

from aws_assets.aws.session import assume_role_session
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services import iam
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, make_collection, moto_in_process

PLANTED_PASSWORD = "Planted-Passw0rd-9f3a!"
ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_LOGS_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"], "Resource": "*"}],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
CROSS_ACCOUNT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "partner-42"}},
        }
    ],
}


def statement(**fields) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **fields}]}


def s3_document(action: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def by_key(entity_type, partition) -> dict[str, dict]:
    rows = entity_type.to_table(entity_type.collect(partition), ACCOUNT_ID, "global").to_pylist()
    assert len({row["_key"] for row in rows}) == len(rows)
    return {row["_key"]: row for row in rows}


def wait_for_next_second(moment: datetime) -> None:
    """The credential report dates keys to the second; keys of one user created in the same second are ambiguous."""
    time.sleep(max(0.0, 1.05 - moment.microsecond / 1_000_000))


def respond(status: int, parsed: dict) -> tuple[AWSResponse, dict]:
    return AWSResponse("https://iam.amazonaws.com/", status, {}, None), parsed


def inject(partition, operation: str, answer) -> None:
    """Answer `operation` with `answer(body)` (a (response, parsed) pair, or None to let moto answer). Registered
    after the call counter, so injected calls are counted too."""

    def handler(params, **_):
        return answer(params["body"])

    partition.session.events.register(f"before-call.iam.{operation}", handler)


DOCUMENT_KEYS = {"PolicyDocument", "AssumeRolePolicyDocument", "Document"}


def as_sent_by_iam(value):
    """IAM sends policy documents URL-encoded and botocore decodes them after the call, injected answers too."""
    if isinstance(value, list):
        return [as_sent_by_iam(item) for item in value]
    if isinstance(value, dict):
        return {
            key: quote(json.dumps(item)) if key in DOCUMENT_KEYS else as_sent_by_iam(item)
            for key, item in value.items()
        }
    return value


def denied(operation: str) -> tuple[AWSResponse, dict]:
    return respond(403, {"Error": {"Code": "AccessDenied", "Message": f"not allowed to {operation}"}})


def seed(client) -> dict:
    """Four users in distinct shapes, three groups, three roles, two customer managed policies."""
    client.create_policy(PolicyName="unused", PolicyDocument=json.dumps(s3_document("s3:List*")))
    s3_read = client.create_policy(
        PolicyName="s3-read", Path="/data/", PolicyDocument=json.dumps(s3_document("s3:GetObject"))
    )["Policy"]["Arn"]
    client.create_policy_version(
        PolicyArn=s3_read, PolicyDocument=json.dumps(s3_document("s3:GetBucketPolicy")), SetAsDefault=True
    )
    client.create_policy_version(
        PolicyArn=s3_read, PolicyDocument=json.dumps(s3_document("s3:PutObject")), SetAsDefault=False
    )

    client.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "Email", "Value": "  Alice@Example.com "}])
    client.create_login_profile(UserName="alice", Password=PLANTED_PASSWORD)
    mfa = client.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]["SerialNumber"]
    client.enable_mfa_device(
        UserName="alice", SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    alice_first = client.create_access_key(UserName="alice")["AccessKey"]
    client.put_user_policy(UserName="alice", PolicyName="break-glass", PolicyDocument=json.dumps(ADMIN_DOCUMENT))
    client.attach_user_policy(UserName="alice", PolicyArn=s3_read)

    client.create_user(UserName="bob")
    client.put_user_policy(UserName="bob", PolicyName="read-logs", PolicyDocument=json.dumps(READ_LOGS_DOCUMENT))
    client.create_user(UserName="carol", Tags=[{"Key": "team", "Value": "data"}])
    carol_key = client.create_access_key(UserName="carol")["AccessKey"]
    client.create_user(UserName="dave")

    client.create_group(GroupName="devs")
    client.create_group(GroupName="ops", Path="/ops/")
    client.create_group(GroupName="empty")
    for group, user in (("devs", "alice"), ("devs", "bob"), ("ops", "alice")):
        client.add_user_to_group(GroupName=group, UserName=user)
    client.put_group_policy(GroupName="devs", PolicyName="devs-logs", PolicyDocument=json.dumps(READ_LOGS_DOCUMENT))
    client.attach_group_policy(GroupName="devs", PolicyArn=s3_read)

    client.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
        Description="web servers",
        MaxSessionDuration=7200,
        PermissionsBoundary=s3_read,
        Tags=[{"Key": "Name", "Value": "App servers"}],
    )
    client.attach_role_policy(RoleName="app", PolicyArn=s3_read)
    client.put_role_policy(RoleName="app", PolicyName="app-logs", PolicyDocument=json.dumps(READ_LOGS_DOCUMENT))
    client.create_instance_profile(InstanceProfileName="app-profile")
    client.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    client.create_role(RoleName="partner", AssumeRolePolicyDocument=json.dumps(CROSS_ACCOUNT_TRUST))
    client.put_role_policy(
        RoleName="partner",
        PolicyName="everything",
        PolicyDocument=json.dumps(statement(Action=["*"], Resource=["*"])),
    )
    beanstalk = client.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]["Arn"]

    # Alice's second key is created in a later second than her first, so the credential report tells them apart.
    wait_for_next_second(alice_first["CreateDate"])
    alice_second = client.create_access_key(UserName="alice")["AccessKey"]
    client.update_access_key(UserName="alice", AccessKeyId=alice_second["AccessKeyId"], Status="Inactive")
    return {
        "s3_read": s3_read,
        "mfa": mfa,
        "alice_keys": (alice_first, alice_second),
        "carol_key": carol_key,
        "beanstalk": beanstalk,
    }


@pytest.fixture(scope="module")
def collected():
    """Every IAM type collected through one partition, in the order the service declares them: seeded and collected
    once for the tests below, which only read it (the seeding waits up to a second for alice's second key)."""
    with moto_in_process():
        seeded = seed(assume_role_session(INSTANCE).client("iam"))
        partition = make_collection(GLOBAL_REGION)
        tables = {entity_type.type: by_key(entity_type, partition) for entity_type in iam.SERVICE.entity_types}
        return seeded, tables, partition.calls.by_operation()


def test_every_type_comes_from_one_authorization_details_call(collected):
    _, tables, calls = collected
    assert calls == {
        "iam:GenerateCredentialReport": 1,
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:GetCredentialReport": 1,
        "iam:ListAccessKeys": 4,  # one per user
        "iam:ListMFADevices": 4,
        "iam:ListRoles": 1,
        "iam:ListServerCertificates": 1,  # the server certificates, which the authorization details leave out
        "sts:AssumeRole": 1,
    }
    assert {type_: len(rows) for type_, rows in tables.items()} == {
        "aws_iam_user": 4,
        "aws_iam_access_key": 3,
        "mfa_device": 1,
        "aws_iam_group": 3,
        "aws_iam_role": 3,
        "aws_iam_user_policy": 2,
        "aws_iam_group_policy": 1,
        "aws_iam_role_policy": 2,
        "aws_iam_policy": 2,
        "aws_iam_server_certificate": 0,
    }


def test_users_carry_password_mfa_keys_and_memberships(collected):
    seeded, tables, _ = collected
    users = tables["aws_iam_user"]
    assert set(users) == {user_arn("alice", "/eng/"), user_arn("bob"), user_arn("carol"), user_arn("dave")}

    alice = users[user_arn("alice", "/eng/")]
    assert alice["_class"] == ["User"]
    assert (alice["name"], alice["username"], alice["path"]) == ("alice", "alice", "/eng/")
    assert alice["userId"]
    assert alice["passwordEnabled"] is True
    assert alice["passwordLastUsed"] is None  # never signed in
    assert (alice["mfaEnabled"], alice["mfaDeviceCount"]) == (True, 1)
    assert (alice["accessKeyCount"], alice["activeAccessKeyCount"]) == (2, 1)
    assert sorted(alice["groupNames"]) == ["devs", "ops"]
    assert alice["attachedPolicyArns"] == [seeded["s3_read"]]
    assert alice["inlinePolicyNames"] == ["break-glass"]
    assert alice["email"] == "Alice@Example.com"
    assert alice["active"] is True
    assert alice["createdOn"].tzinfo is not None
    assert alice["webLink"] == "https://console.aws.amazon.com/iam/home#/users/details/alice"
    assert alice["collectionErrors"] == []

    bob, carol, dave = (users[user_arn(name)] for name in ("bob", "carol", "dave"))
    assert (bob["passwordEnabled"], bob["mfaEnabled"], bob["accessKeyCount"], bob["active"]) == (False, False, 0, False)
    assert bob["email"] is None
    assert (carol["passwordEnabled"], carol["activeAccessKeyCount"], carol["active"]) == (False, 1, True)
    assert carol["tags"] == [("team", "data")]
    assert dave["active"] is False
    assert dave["groupNames"] == [] and dave["attachedPolicyArns"] == []


def test_access_keys_and_mfa_devices(collected):
    seeded, tables, _ = collected
    first, second = seeded["alice_keys"]
    keys = tables["aws_iam_access_key"]
    assert set(keys) == {first["AccessKeyId"], second["AccessKeyId"], seeded["carol_key"]["AccessKeyId"]}
    active, inactive = keys[first["AccessKeyId"]], keys[second["AccessKeyId"]]
    assert active["_class"] == ["AccessKey"]
    assert (active["name"], active["accessKeyId"], active["arn"]) == (first["AccessKeyId"], first["AccessKeyId"], None)
    assert (active["status"], active["active"]) == ("Active", True)
    assert (inactive["status"], inactive["active"]) == ("Inactive", False)
    assert (active["userName"], active["userArn"]) == ("alice", user_arn("alice", "/eng/"))
    assert active["createdOn"].replace(microsecond=0) == first["CreateDate"].replace(microsecond=0)
    assert (active["lastUsedDate"], active["lastUsedService"], active["lastUsedRegion"]) == (None, None, None)

    devices = tables["mfa_device"]
    assert list(devices) == [seeded["mfa"]]
    device = devices[seeded["mfa"]]
    assert seeded["mfa"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/alice-phone"
    assert (device["arn"], device["name"], device["serialNumber"]) == (seeded["mfa"], "alice-phone", seeded["mfa"])
    assert (device["virtual"], device["active"], device["userName"]) == (True, True, "alice")
    assert device["enableDate"] is not None and device["createdOn"] == device["enableDate"]


def test_no_secret_reaches_the_rows(collected):
    seeded, tables, _ = collected
    text = repr(tables)
    for key in (*seeded["alice_keys"], seeded["carol_key"]):
        assert key["SecretAccessKey"] not in text
    assert PLANTED_PASSWORD not in text


def test_groups_roles_and_inline_policies(collected):
    seeded, tables, _ = collected
    groups = tables["aws_iam_group"]
    devs = groups[f"arn:aws:iam::{ACCOUNT_ID}:group/devs"]
    assert devs["memberUserNames"] == ["alice", "bob"]
    assert devs["attachedPolicyArns"] == [seeded["s3_read"]]
    assert devs["inlinePolicyNames"] == ["devs-logs"]
    assert groups[f"arn:aws:iam::{ACCOUNT_ID}:group/ops/ops"]["memberUserNames"] == ["alice"]
    assert groups[f"arn:aws:iam::{ACCOUNT_ID}:group/empty"]["memberUserNames"] == []

    roles = tables["aws_iam_role"]
    app = roles[f"arn:aws:iam::{ACCOUNT_ID}:role/app"]
    assert app["_class"] == ["AccessRole"]
    assert (app["description"], app["maxSessionDuration"]) == ("web servers", 7200)
    assert json.loads(app["trustPolicy"]) == EC2_TRUST
    assert app["instanceProfileArns"] == [f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/app-profile"]
    assert app["permissionsBoundaryArn"] == seeded["s3_read"]
    assert (app["attachedPolicyArns"], app["inlinePolicyNames"]) == ([seeded["s3_read"]], ["app-logs"])
    assert (app["displayName"], app["serviceLinked"]) == ("App servers", False)
    partner = roles[f"arn:aws:iam::{ACCOUNT_ID}:role/partner"]
    assert json.loads(partner["trustPolicy"])["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "<redacted>"}
    }
    assert "partner-42" not in partner["trustPolicy"]
    assert partner["instanceProfileArns"] == [] and partner["permissionsBoundaryArn"] is None
    assert roles[seeded["beanstalk"]]["serviceLinked"] is True

    user_policies = tables["aws_iam_user_policy"]
    break_glass = user_policies[f"{user_arn('alice', '/eng/')}:inline-policy/break-glass"]
    assert (break_glass["admin"], break_glass["arn"], break_glass["userName"]) == (True, None, "alice")
    assert break_glass["userArn"] == user_arn("alice", "/eng/")
    assert json.loads(break_glass["document"]) == ADMIN_DOCUMENT
    assert break_glass["_class"] == ["AccessPolicy"]
    assert user_policies[f"{user_arn('bob')}:inline-policy/read-logs"]["admin"] is False
    group_policy = tables["aws_iam_group_policy"][f"arn:aws:iam::{ACCOUNT_ID}:group/devs:inline-policy/devs-logs"]
    assert (group_policy["groupName"], group_policy["admin"]) == ("devs", False)
    role_policies = tables["aws_iam_role_policy"]
    assert role_policies[f"arn:aws:iam::{ACCOUNT_ID}:role/partner:inline-policy/everything"]["admin"] is True
    assert role_policies[f"arn:aws:iam::{ACCOUNT_ID}:role/app:inline-policy/app-logs"]["roleName"] == "app"


def test_managed_policies_store_the_default_version(collected):
    seeded, tables, _ = collected
    policies = tables["aws_iam_policy"]
    assert set(policies) == {seeded["s3_read"], f"arn:aws:iam::{ACCOUNT_ID}:policy/unused"}
    s3_read = policies[seeded["s3_read"]]
    assert (s3_read["name"], s3_read["policyName"], s3_read["path"]) == ("s3-read", "s3-read", "/data/")
    assert s3_read["defaultVersionId"] == "v2"
    assert json.loads(s3_read["document"]) == s3_document("s3:GetBucketPolicy")
    assert (s3_read["awsManaged"], s3_read["admin"], s3_read["isAttachable"]) == (False, False, True)
    assert s3_read["attachmentCount"] == 3  # alice, devs, app
    assert s3_read["webLink"].endswith("/iam/home#/policies/details/" + quote(seeded["s3_read"], safe=""))
    assert policies[f"arn:aws:iam::{ACCOUNT_ID}:policy/unused"]["attachmentCount"] == 0


@pytest.fixture
def aws_managed_policies(moto):
    """moto knows AWS managed policies (and lets them be attached) only with this setting, read when it first builds
    the account's IAM backend. Unset before moto stops: its reset would load them again (seconds)."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    yield
    del os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"]


READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def read_only_actions(document: str) -> list[str]:
    return [action for statement in json.loads(document)["Statement"] for action in statement["Action"]]


def test_attached_aws_managed_policy_is_kept_with_or_without_details(aws_managed_policies, account_session):
    client = account_session.client("iam")
    client.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    client.attach_role_policy(RoleName="auditor", PolicyArn=READ_ONLY_ACCESS)
    # moto returns all 1,500+ AWS managed policies here, as AWS does; one is attached.
    complete = make_collection(GLOBAL_REGION)
    policies_by_partition = {"complete": by_key(iam.IAM_MANAGED_POLICY, complete)}
    # The same answer without AWS managed policies, as moto gives it without MOTO_IAM_LOAD_MANAGED_POLICIES.
    details = iam.authorization_details(complete)
    customer_only = [policy for policy in details["Policies"] if not iam.is_aws_managed(policy["Arn"])]
    without_aws_policies = make_collection(GLOBAL_REGION)
    answer = as_sent_by_iam({**details, "Policies": customer_only})
    inject(without_aws_policies, "GetAccountAuthorizationDetails", lambda _: respond(200, answer))
    policies_by_partition["without"] = by_key(iam.IAM_MANAGED_POLICY, without_aws_policies)

    for policies in policies_by_partition.values():
        assert list(policies) == [f"{READ_ONLY_ACCESS}@{ACCOUNT_ID}"]
        policy = policies[f"{READ_ONLY_ACCESS}@{ACCOUNT_ID}"]
        assert policy["arn"] == READ_ONLY_ACCESS
        assert (policy["policyName"], policy["awsManaged"], policy["attachmentCount"]) == ("ReadOnlyAccess", True, 1)
        assert policy["defaultVersionId"].startswith("v") and policy["admin"] is False
        assert "s3:Get*" in read_only_actions(policy["document"])
    assert policies_by_partition["without"][f"{READ_ONLY_ACCESS}@{ACCOUNT_ID}"]["policyId"]  # from GetPolicy
    assert by_key(iam.IAM_ROLE, complete)[f"arn:aws:iam::{ACCOUNT_ID}:role/auditor"]["attachedPolicyArns"] == [
        READ_ONLY_ACCESS
    ]
    assert complete.calls.by_operation() == {
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:ListRoles": 1,
        "sts:AssumeRole": 1,
    }
    assert without_aws_policies.calls.by_operation() == {
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:GetPolicy": 1,
        "iam:GetPolicyVersion": 1,
        "sts:AssumeRole": 1,
    }


def detail_page(users: list[dict], groups: list[dict], marker: str | None) -> dict:
    page = {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": [], "Policies": []}
    return {**page, "IsTruncated": marker is not None, **({"Marker": marker} if marker else {})}


def page_user(name: str, groups: list[str]) -> dict:
    return {
        "UserName": name,
        "UserId": f"AIDA{name.upper()}",
        "Arn": user_arn(name),
        "Path": "/",
        "GroupList": groups,
        "UserPolicyList": [{"PolicyName": f"{name}-inline", "PolicyDocument": ADMIN_DOCUMENT}],
        "AttachedManagedPolicies": [],
    }


def test_authorization_details_pages_are_all_read(global_partition):
    """moto never paginates GetAccountAuthorizationDetails; AWS does, so two AWS-shaped pages are injected."""
    group = {"GroupName": "devs", "GroupId": "AGPADEVS", "Arn": f"arn:aws:iam::{ACCOUNT_ID}:group/devs", "Path": "/"}
    markers_sent = []

    def pages(body):
        markers_sent.append(body.get("Marker"))
        if body.get("Marker") is None:
            return respond(200, as_sent_by_iam(detail_page([page_user("ann", ["devs"])], [], marker="page-2")))
        return respond(200, as_sent_by_iam(detail_page([page_user("ben", ["devs"])], [group], marker=None)))

    inject(global_partition, "GetAccountAuthorizationDetails", pages)

    groups = by_key(iam.IAM_GROUP, global_partition)
    user_policies = by_key(iam.IAM_USER_POLICY, global_partition)

    assert markers_sent == [None, "page-2"]
    assert groups[group["Arn"]]["memberUserNames"] == ["ann", "ben"]
    assert set(user_policies) == {
        f"{user_arn('ann')}:inline-policy/ann-inline",
        f"{user_arn('ben')}:inline-policy/ben-inline",
    }
    assert json.loads(user_policies[f"{user_arn('ann')}:inline-policy/ann-inline"]["document"]) == ADMIN_DOCUMENT
    assert global_partition.calls.by_operation()["iam:GetAccountAuthorizationDetails"] == 2


REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,"
    "mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
    "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,"
    "access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
ROOT_LINE = (
    f"<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,2019-01-01T00:00:00+00:00,not_supported,"
    "2024-05-02T08:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
    "false,N/A,false,N/A"
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def test_users_missing_from_the_credential_report_get_detail_calls(account_session, global_partition):
    """An AWS report built before `late` was created: it lists root and `early` with real last-use data."""
    client = account_session.client("iam")
    client.create_user(UserName="early")
    client.create_login_profile(UserName="early", Password=PLANTED_PASSWORD)
    early_key = client.create_access_key(UserName="early")["AccessKey"]
    client.create_user(UserName="late")
    late_key = client.create_access_key(UserName="late")["AccessKey"]
    early_line = (
        f"early,{user_arn('early')},2024-01-01T00:00:00+00:00,true,2024-04-30T10:00:00+00:00,N/A,N/A,false,"
        f"true,{iso(early_key['CreateDate'])},2024-05-01T12:00:00+00:00,eu-west-1,s3,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    )
    report = "\n".join([REPORT_HEADER, ROOT_LINE, early_line]).encode()
    answer = {"Content": report, "ReportFormat": "text/csv"}
    inject(global_partition, "GetCredentialReport", lambda _: respond(200, answer))

    users = by_key(iam.IAM_USER, global_partition)
    keys = by_key(iam.IAM_ACCESS_KEY, global_partition)

    early, late = users[user_arn("early")], users[user_arn("late")]
    assert early["passwordEnabled"] is True
    assert early["passwordLastUsed"] == datetime(2024, 4, 30, 10, tzinfo=UTC)
    assert (late["passwordEnabled"], late["passwordLastUsed"]) == (False, None)  # from GetLoginProfile
    used = keys[early_key["AccessKeyId"]]
    assert used["lastUsedDate"] == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert (used["lastUsedService"], used["lastUsedRegion"]) == ("s3", "eu-west-1")
    assert keys[late_key["AccessKeyId"]]["lastUsedDate"] is None  # GetAccessKeyLastUsed: never used
    assert keys[late_key["AccessKeyId"]]["lastUsedService"] is None  # AWS says "N/A"
    calls = global_partition.calls.by_operation()
    assert (calls["iam:GetLoginProfile"], calls["iam:GetAccessKeyLastUsed"]) == (1, 1)  # for `late` only


def test_denied_credential_report_falls_back_and_is_recorded(account_session, global_partition):
    client = account_session.client("iam")
    client.create_user(UserName="web")
    client.create_login_profile(UserName="web", Password=PLANTED_PASSWORD)
    key = client.create_access_key(UserName="web")["AccessKey"]
    inject(global_partition, "GenerateCredentialReport", lambda _: denied("GenerateCredentialReport"))

    users = by_key(iam.IAM_USER, global_partition)
    keys = by_key(iam.IAM_ACCESS_KEY, global_partition)

    web = users[user_arn("web")]
    assert (web["passwordEnabled"], web["passwordLastUsed"], web["active"]) == (True, None, True)
    assert web["collectionErrors"] == ["iam:GenerateCredentialReport: AccessDenied"]
    assert list(keys) == [key["AccessKeyId"]]
    calls = global_partition.calls.by_operation()
    assert "iam:GetCredentialReport" not in calls
    assert (calls["iam:GetLoginProfile"], calls["iam:GetAccessKeyLastUsed"]) == (1, 1)


def test_report_still_being_built_is_awaited(account_session, global_partition, monkeypatch):
    monkeypatch.setattr(iam, "REPORT_RETRY_SECONDS", 0)
    client = account_session.client("iam")
    client.create_user(UserName="web")
    client.create_login_profile(UserName="web", Password=PLANTED_PASSWORD)
    answers = iter([respond(410, {"Error": {"Code": "ReportInProgress", "Message": "still building"}})])
    inject(global_partition, "GetCredentialReport", lambda _: next(answers, None))

    web = by_key(iam.IAM_USER, global_partition)[user_arn("web")]

    assert web["passwordEnabled"] is True and web["collectionErrors"] == []
    calls = global_partition.calls.by_operation()
    assert (calls["iam:GenerateCredentialReport"], calls["iam:GetCredentialReport"]) == (2, 2)
    assert "iam:GetLoginProfile" not in calls


def test_denied_mfa_listing_keeps_the_user(account_session, global_partition):
    client = account_session.client("iam")
    client.create_user(UserName="locked")
    client.create_user(UserName="open")
    inject(
        global_partition,
        "ListMFADevices",
        lambda body: denied("ListMFADevices") if body["UserName"] == "locked" else None,
    )

    users = by_key(iam.IAM_USER, global_partition)

    locked, open_ = users[user_arn("locked")], users[user_arn("open")]
    assert (locked["mfaEnabled"], locked["mfaDeviceCount"]) == (None, None)
    assert locked["collectionErrors"] == ["iam:ListMFADevices: AccessDenied"]
    assert (locked["accessKeyCount"], locked["active"]) == (0, False)
    assert (open_["mfaEnabled"], open_["collectionErrors"]) == (False, [])


# ---- pure transforms -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "admin"),
    [
        (statement(Action=["*"]), True),
        (statement(Action="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), True),
        (statement(Action=["s3:GetObject", "*"], Resource=["*"]), True),
        ({"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}, True),  # one statement, lower case
        (statement(NotAction=["iam:*"]), False),
        (statement(Action="s3:*"), False),
        (statement(Action="*", Resource="arn:aws:s3:::bucket/*"), False),
        ({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}, False),
        (quote(json.dumps(statement(Action="*"))), True),  # URL-encoded text
    ],
)
def test_admin_means_every_action_on_every_resource(document, admin):
    assert iam.grants_admin(document) is admin


def test_managed_policy_rows_from_aws_shaped_details():
    """Real AWS names the policy and lists several versions, the default not first; documents may be text."""
    customer = {
        "PolicyName": "deploy",
        "PolicyId": "ANPAEXAMPLE",
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/deploy",
        "Path": "/",
        "DefaultVersionId": "v3",
        "AttachmentCount": 0,
        "IsAttachable": True,
        "PolicyVersionList": [
            {"VersionId": "v4", "IsDefaultVersion": False, "Document": s3_document("s3:*")},
            {"VersionId": "v3", "IsDefaultVersion": True, "Document": quote(json.dumps(ADMIN_DOCUMENT))},
        ],
    }
    unused_aws = {"Arn": "arn:aws:iam::aws:policy/AmazonS3FullAccess", "AttachmentCount": 0}
    boundary_aws = {"Arn": "arn:aws:iam::aws:policy/PowerUserAccess", "PermissionsBoundaryUsageCount": 2}
    referenced_aws = {"Arn": "arn:aws:iam::aws:policy/SecurityAudit", "AttachmentCount": 0}

    rows = iam.managed_policy_rows(
        [customer, unused_aws, boundary_aws, referenced_aws], {"arn:aws:iam::aws:policy/SecurityAudit"},
        ACCOUNT_ID,
    )

    # AWS managed policies share one ARN across accounts: their keys carry the account.
    assert [row["_key"] for row in rows] == [
        customer["Arn"],
        f"arn:aws:iam::aws:policy/PowerUserAccess@{ACCOUNT_ID}",
        f"arn:aws:iam::aws:policy/SecurityAudit@{ACCOUNT_ID}",
    ]
    assert rows[1]["arn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert (rows[0]["policyId"], rows[0]["defaultVersionId"], rows[0]["admin"]) == ("ANPAEXAMPLE", "v3", True)
    assert json.loads(rows[0]["document"]) == ADMIN_DOCUMENT
    assert rows[1]["policyName"] == "PowerUserAccess" and rows[1]["document"] is None and rows[1]["admin"] is None
    iam.IAM_MANAGED_POLICY.to_table(rows, ACCOUNT_ID, "global")


def test_report_matches_keys_by_creation_second_only_when_unambiguous():
    created = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    line = (
        f"u,{user_arn('u')},2024-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,"
        "true,2024-03-01T09:30:15+00:00,2024-06-01T00:00:00+00:00,us-east-1,sts,"
        "false,{second},N/A,N/A,N/A,false,N/A,false,N/A"
    )
    one_key = iam.parse_credential_report(f"{REPORT_HEADER}\n{line.format(second='N/A')}".encode())[user_arn("u")]
    same_second = iam.parse_credential_report(
        f"{REPORT_HEADER}\n{line.format(second='2024-03-01T09:30:15+00:00')}".encode()
    )[user_arn("u")]

    assert iam.last_used_from_report(one_key, {"CreateDate": created}) == {
        "LastUsedDate": datetime(2024, 6, 1, tzinfo=UTC),
        "ServiceName": "sts",
        "Region": "us-east-1",
    }
    assert iam.last_used_from_report(one_key, {"CreateDate": created + timedelta(seconds=1)}) is None
    assert iam.last_used_from_report(same_second, {"CreateDate": created}) is None
    assert iam.last_used_from_report(None, {"CreateDate": created}) is None


def test_trust_policy_keeps_the_external_id_condition_but_not_its_value():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "s3cr3t-1"}, "Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
             "Condition": {"StringLike": {"STS:EXTERNALID": ["s3cr3t-2", "s3cr3t-3"]}}},
            "not-a-statement",
        ],
    }
    redacted = iam.without_external_ids(document)
    assert "s3cr3t" not in json.dumps(redacted)
    assert redacted["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "<redacted>"},
                                                     "Bool": {"aws:SecureTransport": "true"}}
    assert redacted["Statement"][1]["Condition"]["StringLike"]["STS:EXTERNALID"] == ["<redacted>", "<redacted>"]
    assert document["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == "s3cr3t-1"  # not mutated

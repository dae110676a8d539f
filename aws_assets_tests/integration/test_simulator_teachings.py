"""What the simulator teaches moto (aws_assets.sim.teach_moto), read by the collectors as they read AWS: the root
user's MFA, access key and last use, the history of users and keys, the AWS managed policies the estate attaches and
S3's MFA delete."""

from datetime import UTC, datetime, timedelta

import pytest

from aws_assets.services import account, iam
from aws_assets.sim.teach_moto import KeyHistory, RootUser, backdate_user, declare_root_user, refusals_in_process
from aws_assets_tests.conftest import ACCOUNT_ID

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def account_row(partition) -> dict:
    [row] = account.AWS_ACCOUNT.to_table(list(account.AWS_ACCOUNT.collect(partition)), ACCOUNT_ID, "global").to_pylist()
    return row


ROOT_COLUMNS = ("rootMfaEnabled", "rootVirtualMfa", "rootAccessKeysPresent", "rootPasswordLastUsed",
                "rootAccessKeyLastUsed")


@pytest.mark.parametrize(("root", "expected"), [
    (None, (False, False, False, None, None)),
    (RootUser(days_ago(900)), (False, False, False, None, None)),
    (RootUser(days_ago(900), mfa="hardware", password_last_used=days_ago(200)),
     (True, False, False, days_ago(200), None)),
    (RootUser(days_ago(900), mfa="virtual", access_key=True, access_key_last_used=days_ago(10)),
     (True, True, True, None, days_ago(10))),
])
def test_the_declared_root_user_is_what_the_account_collector_reads(global_partition, root, expected):
    if root is not None:
        declare_root_user(ACCOUNT_ID, root)
    row = account_row(global_partition)
    assert tuple(row[column] for column in ROOT_COLUMNS) == expected


def test_the_root_row_leads_the_credential_report_and_is_no_user(account_session, global_partition):
    account_session.client("iam").create_user(UserName="alice")
    declare_root_user(ACCOUNT_ID, RootUser(days_ago(900), mfa="virtual"))
    report = iam.credential_report(global_partition)
    root = report.rows[f"arn:aws:iam::{ACCOUNT_ID}:root"]
    assert (root["user"], root["password_enabled"], root["mfa_active"], root["access_key_1_active"]) == (
        "<root_account>", "not_supported", "true", "false")
    assert list(report.rows)[0] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    users = iam.user_rows(iam.authorization_details(global_partition), report, iam.user_credentials(global_partition))
    assert [user["username"] for user in users] == ["alice"]


def test_a_root_user_of_unknown_mfa_or_with_key_use_but_no_key_is_refused():
    with pytest.raises(ValueError, match="MFA"):
        RootUser(NOW, mfa="sms")
    with pytest.raises(ValueError, match="no access key"):
        RootUser(NOW, access_key_last_used=NOW)


def test_backdated_users_and_keys_are_what_the_iam_collector_reads(account_session, global_partition):
    client = account_session.client("iam")
    client.create_user(UserName="ci-deploy")
    client.create_login_profile(UserName="ci-deploy", Password="Correct-Horse-Battery-9")
    old, new = (client.create_access_key(UserName="ci-deploy")["AccessKey"]["AccessKeyId"] for _ in range(2))
    backdate_user(ACCOUNT_ID, "ci-deploy", days_ago(420), days_ago(60),
                  [KeyHistory(days_ago(400), days_ago(100)), KeyHistory(days_ago(80))])

    [user] = iam.user_rows(iam.authorization_details(global_partition), iam.credential_report(global_partition),
                           iam.user_credentials(global_partition))
    assert (user["createdOn"], user["passwordLastUsed"]) == (days_ago(420), days_ago(60))
    keys = {row["accessKeyId"]: row for row in iam.access_key_rows(
        iam.authorization_details(global_partition), iam.credential_report(global_partition),
        iam.user_credentials(global_partition))}
    assert (keys[old]["createdOn"], keys[old]["lastUsedDate"]) == (days_ago(400), days_ago(100))
    assert (keys[new]["createdOn"], keys[new]["lastUsedDate"]) == (days_ago(80), None)


def test_backdating_more_keys_than_the_user_has_is_refused(account_session):
    account_session.client("iam").create_user(UserName="bob")
    with pytest.raises(ValueError, match="bob has 0 access keys, not 1"):
        backdate_user(ACCOUNT_ID, "bob", days_ago(10), keys=[KeyHistory(days_ago(5))])


def test_an_aws_managed_policy_is_attachable_on_the_simulator_only(account_session, global_partition):
    client = account_session.client("iam")
    client.create_group(GroupName="developers")
    support = "arn:aws:iam::aws:policy/AWSSupportAccess"
    with pytest.raises(client.exceptions.NoSuchEntityException):
        client.attach_group_policy(GroupName="developers", PolicyArn=support)  # moto's own behaviour
    with refusals_in_process():
        client.attach_group_policy(GroupName="developers", PolicyArn=support)
        with pytest.raises(client.exceptions.NoSuchEntityException):
            client.attach_group_policy(GroupName="developers", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    details = iam.authorization_details(global_partition)
    assert [p["PolicyArn"] for p in details["GroupDetailList"][0]["AttachedManagedPolicies"]] == [support]
    [policy] = [p for p in details["Policies"] if p["Arn"] == support]
    assert policy["AttachmentCount"] == 1


def test_mfa_delete_is_kept_for_the_simulator_when_the_root_mfa_is_given(account_session):
    s3 = account_session.client("s3")
    for bucket in ("with-mfa-delete", "without"):
        s3.create_bucket(Bucket=bucket)
    configuration = {"Status": "Enabled", "MFADelete": "Enabled"}
    s3.put_bucket_versioning(Bucket="without", MFA="root-mfa 123456", VersioningConfiguration=configuration)
    with refusals_in_process():
        s3.put_bucket_versioning(Bucket="with-mfa-delete", MFA="root-mfa 123456", VersioningConfiguration=configuration)
    assert s3.get_bucket_versioning(Bucket="with-mfa-delete")["MFADelete"] == "Enabled"
    assert "MFADelete" not in s3.get_bucket_versioning(Bucket="without")  # moto's own behaviour
    assert s3.get_bucket_versioning(Bucket="without")["Status"] == "Enabled"


def test_an_answer_serialises_with_the_transformers_it_started_with():
    """moto's DescribeKeyPairs adds a transformer to the dictionary every EC2 answer shares while other threads
    serialise from it; each answer reads its own copy, so a concurrent addition cannot break it."""
    from moto.core.serialize import XFormedAttributePicker
    from moto.ec2.responses._base_response import EC2BaseResponse

    from aws_assets.sim.teach_moto import teach_moto

    teach_moto()
    shared = EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER
    picker = XFormedAttributePicker(response_transformers=shared)
    before = dict(shared)
    shared["DescribeSomethingResult.Added.Meanwhile"] = lambda value: value
    try:
        assert picker.response_transformers == before and picker.response_transformers is not shared
        for _ in picker.response_transformers.items():  # what the serialiser does, unbroken by the addition
            shared.setdefault("DescribeSomethingResult.Added.Again", lambda value: value)
    finally:
        shared.pop("DescribeSomethingResult.Added.Meanwhile", None)
        shared.pop("DescribeSomethingResult.Added.Again", None)

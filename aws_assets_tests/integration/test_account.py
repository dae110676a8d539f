from datetime import UTC, datetime

from aws_assets.services import account, s3
from aws_assets.services.catalog import RESOURCE_SERVICES, SERVICE_ENTITIES
from aws_assets.services.iam import CredentialReport
from aws_assets_tests.conftest import ACCOUNT_ID, refuse


def test_account_row_reads_aliases_summary_and_password_policy(account_session, global_partition):
    iam = account_session.client("iam")
    iam.create_account_alias(AccountAlias="acme-prod")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, MaxPasswordAge=90)
    iam.create_user(UserName="alice")

    rows = list(account.AWS_ACCOUNT.collect(global_partition))
    table = account.AWS_ACCOUNT.to_table(rows, ACCOUNT_ID, "global").to_pylist()

    assert len(table) == 1
    row = table[0]
    assert row["_key"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert row["_class"] == ["Account"]
    assert row["name"] == "acme-prod"
    assert row["aliases"] == ["acme-prod"]
    assert row["userCount"] == 1
    assert row["passwordPolicyPresent"] is True
    assert row["passwordMinimumLength"] == 14
    assert row["passwordMaxAgeDays"] == 90
    assert row["region"] == "global"
    assert global_partition.calls.by_operation() == {
        "iam:GetAccountPasswordPolicy": 1,
        "iam:GetAccountSummary": 1,
        "iam:ListAccountAliases": 1,
        "iam:ListVirtualMFADevices": 1,
        "iam:GenerateCredentialReport": 1,
        "iam:GetCredentialReport": 1,
        "s3control:GetPublicAccessBlock": 1,
        "sts:AssumeRole": 1,
    }


def test_account_without_password_policy_reports_it_absent(global_partition):
    collected = account.AWS_ACCOUNT.collect(global_partition)
    row = account.AWS_ACCOUNT.to_table(collected, ACCOUNT_ID, "global").to_pylist()[0]
    assert row["passwordPolicyPresent"] is False
    assert row["passwordMinimumLength"] is None
    assert row["name"] == ACCOUNT_ID
    # No account-level S3 block is set: all four flags are off, which is a fact, not an unknown.
    assert (row["s3BlockPublicAcls"], row["s3RestrictPublicBuckets"], row["s3AccountPublicAccessBlocked"]) == (
        False, False, False)
    assert (row["rootVirtualMfa"], row["collectionErrors"]) == (False, [])


def account_row(partition) -> dict:
    return account.AWS_ACCOUNT.to_table(account.AWS_ACCOUNT.collect(partition), ACCOUNT_ID, "global").to_pylist()[0]


def test_account_level_s3_block_and_the_buckets_read_it_once(account_session, global_partition):
    account_session.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False})

    row = account_row(global_partition)
    s3.AWS_S3_BUCKET.collect(global_partition)

    assert (row["s3BlockPublicAcls"], row["s3IgnorePublicAcls"], row["s3BlockPublicPolicy"],
            row["s3RestrictPublicBuckets"], row["s3AccountPublicAccessBlocked"]) == (True, True, True, False, False)
    assert global_partition.calls.by_operation()["s3control:GetPublicAccessBlock"] == 1


def test_a_refused_account_level_s3_block_is_unknown_and_says_why(global_partition):
    refuse(global_partition, "s3-control", "GetPublicAccessBlock", "AccessDenied", lambda _: True)

    row = account_row(global_partition)

    assert (row["s3BlockPublicAcls"], row["s3AccountPublicAccessBlocked"]) == (None, None)
    assert row["collectionErrors"] == ["s3control:GetPublicAccessBlock: AccessDenied"]


def test_root_virtual_mfa_device_is_told_from_a_hardware_one():
    virtual = {"SerialNumber": f"arn:aws:iam::{ACCOUNT_ID}:mfa/root-account-mfa-device",
               "User": {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:root"}}
    someone_elses = {"SerialNumber": f"arn:aws:iam::{ACCOUNT_ID}:mfa/alice", "User": {
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/alice"}}

    assert account.root_virtual_mfa(ACCOUNT_ID, [virtual, someone_elses]) is True
    assert account.root_virtual_mfa(ACCOUNT_ID, [someone_elses]) is False
    assert account.root_virtual_mfa(ACCOUNT_ID, None) is None


def test_root_virtual_mfa_from_the_assigned_devices(account_session, global_partition):
    iam = account_session.client("iam")
    iam.create_user(UserName="alice")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")

    assert account_row(global_partition)["rootVirtualMfa"] is False


def test_root_last_use_from_the_credential_report():
    report = CredentialReport({f"arn:aws:iam::{ACCOUNT_ID}:root": {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:root", "password_last_used": "2026-11-30T08:00:00+00:00",
        "access_key_1_last_used_date": "2026-10-01T00:00:00+00:00", "access_key_2_last_used_date": "N/A"}})

    columns = account.root_use_columns(ACCOUNT_ID, report)

    assert columns == {"rootPasswordLastUsed": datetime(2026, 11, 30, 8, tzinfo=UTC),
                       "rootAccessKeyLastUsed": datetime(2026, 10, 1, tzinfo=UTC)}
    assert account.root_use_columns(ACCOUNT_ID, CredentialReport({})) == {
        "rootPasswordLastUsed": None, "rootAccessKeyLastUsed": None}


def test_one_service_entity_per_service_type():
    keys = {entity.type: account.service_rows(entity, ACCOUNT_ID)[0]["_key"] for entity in SERVICE_ENTITIES}
    assert keys["aws_ec2"] == f"aws_ec2:{ACCOUNT_ID}"
    # Every collected service has its entity, each its own key; CloudTrail's trails are `aws_cloudtrail` (JupiterOne's
    # name for them), so its service entity is `aws_cloudtrail_service`.
    named_after_the_service = {f"aws_{service.name}" for service in RESOURCE_SERVICES} - {"aws_cloudtrail"}
    assert set(keys) == named_after_the_service | {"aws_cloudtrail_service"}
    assert len(set(keys.values())) == len(keys)

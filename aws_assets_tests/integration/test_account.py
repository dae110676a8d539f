from aws_assets.services import account
from aws_assets.services.catalog import RESOURCE_SERVICES, SERVICE_ENTITIES
from aws_assets_tests.conftest import ACCOUNT_ID


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
    # AssumeRole, ListAccountAliases, GetAccountSummary, GetAccountPasswordPolicy
    assert global_partition.calls.by_operation() == {
        "iam:GetAccountPasswordPolicy": 1,
        "iam:GetAccountSummary": 1,
        "iam:ListAccountAliases": 1,
        "sts:AssumeRole": 1,
    }


def test_account_without_password_policy_reports_it_absent(global_partition):
    collected = account.AWS_ACCOUNT.collect(global_partition)
    row = account.AWS_ACCOUNT.to_table(collected, ACCOUNT_ID, "global").to_pylist()[0]
    assert row["passwordPolicyPresent"] is False
    assert row["passwordMinimumLength"] is None
    assert row["name"] == ACCOUNT_ID


def test_one_service_entity_per_service_type():
    keys = {entity.type: account.service_rows(entity, ACCOUNT_ID)[0]["_key"] for entity in SERVICE_ENTITIES}
    assert keys["aws_ec2"] == f"aws_ec2:{ACCOUNT_ID}"
    # Every collected service has its entity, each its own key; CloudTrail's trails are `aws_cloudtrail` (JupiterOne's
    # name for them), so its service entity is `aws_cloudtrail_service`.
    named_after_the_service = {f"aws_{service.name}" for service in RESOURCE_SERVICES} - {"aws_cloudtrail"}
    assert set(keys) == named_after_the_service | {"aws_cloudtrail_service"}
    assert len(set(keys.values())) == len(keys)

import json
from datetime import UTC, datetime

from aws_assets.services import secretsmanager
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

SECRET_VALUE = "hunter2-do-not-store"
OUTSIDE_ACCOUNT = "999988887777"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0b7fd7f6-0a3f-4a0b-9a6e-1a2b3c4d5e6f"


def seed_secrets(account_session) -> dict[str, str]:
    """`db-master`: a customer managed key, a value, a policy letting an outside account read it; `api-token`: no
    policy, AWS managed key."""
    client = account_session.client("secretsmanager", region_name=REGION)
    db = client.create_secret(Name="db-master", Description="RDS master password", KmsKeyId=KMS_KEY,
                              SecretString=SECRET_VALUE, Tags=[{"Key": "team", "Value": "data"}])["ARN"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/reporting"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*",
    }]}
    client.put_resource_policy(SecretId=db, ResourcePolicy=json.dumps(policy))
    token = client.create_secret(Name="api-token", SecretString=SECRET_VALUE)["ARN"]
    return {"db-master": db, "api-token": token}


def collect(regional) -> dict[str, dict]:
    entity_type = secretsmanager.SECRETSMANAGER_SECRET
    return {row["name"]: row for row in entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID,
                                                             REGION).to_pylist()}


def test_secrets_with_keys_and_resource_policies_and_never_a_value(account_session, regional):
    arns = seed_secrets(account_session)

    rows = collect(regional)

    assert {name: row["_key"] for name, row in rows.items()} == arns
    db = rows["db-master"]
    assert db["_class"] == ["Secret"]
    assert (db["description"], db["kmsKeyId"], db["encrypted"], db["rotationEnabled"]) == (
        "RDS master password", KMS_KEY, True, False)
    assert json.loads(db["policy"])["Statement"][0]["Principal"] == {
        "AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/reporting"}
    assert dict(db["tags"]) == {"team": "data"}
    assert db["createdOn"].tzinfo is not None and db["lastChangedDate"] is not None
    token = rows["api-token"]
    assert (token["policy"], token["kmsKeyId"]) == (None, None)
    assert all(row["collectionErrors"] == [] for row in rows.values())

    assert SECRET_VALUE not in str(rows)
    operations = regional.calls.by_operation()
    assert operations == {"secretsmanager:ListSecrets": 1, "secretsmanager:GetResourcePolicy": 2, "sts:AssumeRole": 1}


def test_rotation_settings_of_a_listed_secret():
    rotator = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:rotate-db"
    listed = {
        "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:db-master-AbCdEf", "Name": "db-master",
        "RotationEnabled": True, "RotationLambdaARN": rotator,
        "RotationRules": {"AutomaticallyAfterDays": 30, "Duration": "2h"},
        "LastRotatedDate": datetime(2024, 5, 1, tzinfo=UTC), "LastAccessedDate": datetime(2024, 5, 2, tzinfo=UTC),
    }

    row = secretsmanager.secret_row(secretsmanager.SecretDetails(secret=listed), REGION)

    assert (row["rotationEnabled"], row["rotationLambdaArn"], row["rotationAutomaticallyAfterDays"]) == (
        True, rotator, 30)
    assert (row["rotationDuration"], row["rotationScheduleExpression"]) == ("2h", None)
    assert (row["lastRotatedDate"], row["lastAccessedDate"]) == (listed["LastRotatedDate"], listed["LastAccessedDate"])
    assert (row["policy"], row["kmsKeyId"], row["encrypted"]) == (None, None, True)


def test_a_refused_policy_read_keeps_the_secret(account_session, regional):
    arns = seed_secrets(account_session)
    refuse(regional, "secretsmanager", "GetResourcePolicy", "AccessDeniedException",
           lambda params: params["SecretId"] == arns["db-master"])

    rows = collect(regional)

    assert rows["db-master"]["collectionErrors"] == ["secretsmanager:GetResourcePolicy: AccessDeniedException"]
    assert (rows["db-master"]["policy"], rows["db-master"]["kmsKeyId"]) == (None, KMS_KEY)
    assert rows["api-token"]["collectionErrors"] == []


def test_secrets_are_read_past_the_first_page(account_session, regional):
    seed_secrets(account_session)
    secrets = account_session.client("secretsmanager", region_name=REGION).list_secrets()["SecretList"]
    serve_in_pages(regional, "secretsmanager", "ListSecrets", "SecretList", lambda _: secrets, token="NextToken")

    assert sorted(collect(regional)) == ["api-token", "db-master"]
    assert regional.calls.by_operation()["secretsmanager:ListSecrets"] == 2

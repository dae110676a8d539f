import json
from datetime import UTC, datetime

from aws_assets.services import kms
from aws_assets.services.kms import KeyDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

OTHER_ACCOUNT = "444455556666"


def key_policy(*principals: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": "kms:*", "Resource": "*"},
        *({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{p}:root"},
           "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"} for p in principals),
    ]})


def seed_keys(account_session) -> dict[str, str]:
    """`data`: symmetric, rotating, shared with another account, two aliases, tagged; `signing`: asymmetric (AWS
    rotates no such key); `retired`: disabled."""
    client = account_session.client("kms", region_name=REGION)
    # KeyUsage and MultiRegion are AWS's defaults, named because moto leaves out of DescribeKey what was not given.
    data = client.create_key(Description="data at rest", KeyUsage="ENCRYPT_DECRYPT", MultiRegion=False,
                             Policy=key_policy(OTHER_ACCOUNT),
                             Tags=[{"TagKey": "team", "TagValue": "payments"}])["KeyMetadata"]
    client.enable_key_rotation(KeyId=data["KeyId"])
    client.create_alias(AliasName="alias/prod-data", TargetKeyId=data["KeyId"])
    client.create_alias(AliasName="alias/orders", TargetKeyId=data["KeyId"])
    signing = client.create_key(Description="release signing", KeyUsage="SIGN_VERIFY",
                                KeySpec="RSA_2048")["KeyMetadata"]
    retired = client.create_key(Description="retired")["KeyMetadata"]
    client.disable_key(KeyId=retired["KeyId"])
    return {"data": data["KeyId"], "signing": signing["KeyId"], "retired": retired["KeyId"]}


def collect(regional) -> dict[str, dict]:
    table = kms.KMS_KEY.to_table(kms.KMS_KEY.collect(regional), ACCOUNT_ID, REGION)
    return {row["keyId"]: row for row in table.to_pylist()}


def test_keys_with_policies_rotation_aliases_and_tags(account_session, regional):
    ids = seed_keys(account_session)

    rows = collect(regional)

    assert sorted(rows) == sorted(ids.values())
    data = rows[ids["data"]]
    assert data["_key"] == data["arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{ids['data']}"
    assert data["_class"] == ["CryptoKey", "Key"]
    assert (data["keyManager"], data["keyUsage"], data["keySpec"], data["origin"]) == (
        "CUSTOMER", "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "AWS_KMS")
    assert (data["keyState"], data["enabled"], data["multiRegion"]) == ("Enabled", True, False)
    assert data["rotationEnabled"] is True
    assert data["aliases"] == ["alias/orders", "alias/prod-data"]
    assert dict(data["tags"]) == {"team": "payments"}
    assert data["createdOn"].tzinfo is not None
    partner = json.loads(data["policy"])["Statement"][1]
    assert partner["Principal"] == {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
    assert data["webLink"] == f"https://{REGION}.console.aws.amazon.com/kms/home?region={REGION}#/kms/keys/{ids['data']}"

    signing = rows[ids["signing"]]
    assert (signing["keyUsage"], signing["keySpec"], signing["rotationEnabled"]) == ("SIGN_VERIFY", "RSA_2048", None)
    assert (signing["aliases"], signing["displayName"]) == ([], ids["signing"])
    assert json.loads(signing["policy"])["Statement"]  # the default key policy KMS gives every key

    retired = rows[ids["retired"]]
    assert (retired["keyState"], retired["enabled"], retired["rotationEnabled"]) == ("Disabled", False, False)
    assert all(row["collectionErrors"] == [] for row in rows.values())

    assert regional.calls.by_operation() == {
        "kms:ListKeys": 1, "kms:ListAliases": 1, "kms:DescribeKey": 3, "kms:GetKeyPolicy": 3,
        "kms:GetKeyRotationStatus": 2, "kms:ListResourceTags": 3, "sts:AssumeRole": 1,
    }


def test_a_refused_call_costs_its_properties_not_the_key(account_session, regional):
    ids = seed_keys(account_session)
    refuse(regional, "kms", "GetKeyPolicy", "AccessDeniedException", lambda params: ids["data"] in params["KeyId"])
    refuse(regional, "kms", "GetKeyRotationStatus", "KMSInvalidStateException",
           lambda params: ids["retired"] in params["KeyId"])

    rows = collect(regional)

    data, retired = rows[ids["data"]], rows[ids["retired"]]
    assert (data["policy"], data["collectionErrors"]) == (None, ["kms:GetKeyPolicy: AccessDeniedException"])
    assert data["rotationEnabled"] is True
    assert retired["rotationEnabled"] is None
    assert retired["collectionErrors"] == ["kms:GetKeyRotationStatus: KMSInvalidStateException"]
    assert retired["policy"] is not None
    assert rows[ids["signing"]]["collectionErrors"] == []


def test_keys_and_aliases_are_read_past_the_first_page(account_session, regional):
    ids = seed_keys(account_session)
    client = account_session.client("kms", region_name=REGION)
    keys, aliases = client.list_keys()["Keys"], client.list_aliases()["Aliases"]
    serve_in_pages(regional, "kms", "ListKeys", "Keys", lambda _: keys, token="Marker", next_token="NextMarker",
                   more_results="Truncated")
    serve_in_pages(regional, "kms", "ListAliases", "Aliases", lambda _: aliases, token="Marker",
                   next_token="NextMarker", more_results="Truncated")

    rows = collect(regional)

    assert sorted(rows) == sorted(ids.values())
    assert rows[ids["data"]]["aliases"] == ["alias/orders", "alias/prod-data"]
    calls = regional.calls.by_operation()
    assert (calls["kms:ListKeys"], calls["kms:ListAliases"]) == (len(keys), len(aliases))


def test_aws_managed_key_shape_from_the_documentation():
    key_id = "0b7fd7f6-0a3f-4a0b-9a6e-1a2b3c4d5e6f"
    metadata = {
        "KeyId": key_id, "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}", "Enabled": True,
        "KeyState": "Enabled", "KeyManager": "AWS", "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS", "MultiRegion": False, "CreationDate": datetime(2023, 1, 2, tzinfo=UTC),
        "Description": "Default key that protects my S3 objects when no other key is defined",
    }
    details = KeyDetails(key_id=key_id, key_arn=metadata["Arn"], metadata=metadata,
                         policy=key_policy(), rotation={"KeyRotationEnabled": True, "RotationPeriodInDays": 365})
    aliases = kms.aliases_by_key([
        {"AliasName": "alias/aws/s3", "TargetKeyId": key_id},
        {"AliasName": "alias/aws/ebs"},  # reserved by AWS, no key created for it yet
    ])

    row = kms.key_row(details, aliases, REGION)

    assert aliases == {key_id: ["alias/aws/s3"]}
    assert (row["keyManager"], row["rotationEnabled"], row["rotationPeriodInDays"]) == ("AWS", True, 365)
    assert row["webLink"].endswith(f"#/kms/defaultKeys/{key_id}")
    assert row["tags"] == {}


def test_rotation_is_asked_only_of_keys_aws_can_rotate():
    assert kms.rotatable({"KeySpec": "SYMMETRIC_DEFAULT"})
    assert not kms.rotatable({"KeySpec": "ECC_NIST_P256"})
    assert not kms.rotatable({"KeySpec": "HMAC_256"})
    assert not kms.rotatable({"KeySpec": "SYMMETRIC_DEFAULT", "CustomKeyStoreId": "cks-1234567890abcdef0"})

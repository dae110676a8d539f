from aws_assets.services import efs, kms
from aws_assets_tests.conftest import ACCOUNT_ID, REGION
from aws_assets_tests.integration.test_encryption_and_messaging_edges import edges_of


def collect(regional) -> dict[str, dict]:
    table = efs.FILE_SYSTEM.to_table(efs.FILE_SYSTEM.collect(regional), ACCOUNT_ID, REGION)
    return {row["fileSystemId"]: row for row in table.to_pylist()}


def test_file_systems_with_their_encryption_and_key(account_session, regional):
    client = account_session.client("efs", region_name=REGION)
    key = account_session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    encrypted = client.create_file_system(CreationToken="shared-home", Encrypted=True, KmsKeyId=key,
                                          Tags=[{"Key": "Name", "Value": "shared-home"},
                                                {"Key": "Classification", "Value": "internal"}])
    plain = client.create_file_system(CreationToken="scratch", PerformanceMode="maxIO")

    rows = collect(regional)

    home, scratch = rows[encrypted["FileSystemId"]], rows[plain["FileSystemId"]]
    assert home["_key"] == encrypted["FileSystemArn"]
    assert home["_key"] == f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT_ID}:file-system/{encrypted['FileSystemId']}"
    assert (home["name"], home["displayName"], home["encrypted"], home["kmsKeyId"]) == (
        "shared-home", "shared-home", True, key)
    assert (home["classification"], home["_class"]) == ("internal", ["DataStore"])
    assert (scratch["name"], scratch["encrypted"], scratch["kmsKeyId"], scratch["performanceMode"]) == (
        plain["FileSystemId"], False, None, "maxIO")
    assert scratch["createdOn"] is not None
    assert regional.calls.by_operation() == {"efs:DescribeFileSystems": 1, "sts:AssumeRole": 1}


def test_every_page_of_file_systems_is_read(account_session, regional, monkeypatch):
    client = account_session.client("efs", region_name=REGION)
    created = {client.create_file_system(CreationToken=f"fs-{n}")["FileSystemId"] for n in range(5)}
    monkeypatch.setattr(efs, "PAGE_SIZE", 2)

    assert set(collect(regional)) == created
    assert regional.calls.by_operation()["efs:DescribeFileSystems"] == 3


def test_a_region_without_file_systems_has_no_rows(regional):
    assert collect(regional) == {}


def test_an_encrypted_file_system_uses_its_kms_key(account_session, regional):
    client = account_session.client("efs", region_name=REGION)
    key = account_session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    encrypted = client.create_file_system(CreationToken="home", Encrypted=True, KmsKeyId=key)["FileSystemArn"]
    client.create_file_system(CreationToken="scratch")

    edges = edges_of({"aws_kms_key": kms.KMS_KEY.collect(regional),
                      "aws_efs_file_system": efs.FILE_SYSTEM.collect(regional)})

    assert set(edges["aws_efs_file_system_uses_kms_key"]) == {(encrypted, key)}

"""IAM server certificates and IAM Access Analyzer's analyzers, collected from moto as taught by the simulator
(aws_assets.sim.teach_moto, which the `moto` fixture applies: moto makes up server certificates' metadata and has no
Access Analyzer)."""

from datetime import UTC, datetime, timedelta

from aws_assets.services import accessanalyzer, iam_server_certificates
from aws_assets.sim.estate.certificates import self_signed
from aws_assets_tests.conftest import ACCOUNT_ID, REGION


def certificate(host: str, expires_in: timedelta) -> dict[str, str]:
    return self_signed(host, expires_in)


def collect(partition, entity_type, region=REGION) -> list[dict]:
    return entity_type.to_table(entity_type.collect(partition), ACCOUNT_ID, region).to_pylist()


def test_server_certificates_with_their_expiration(account_session, global_partition):
    client = account_session.client("iam")
    expired_on = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    client.upload_server_certificate(ServerCertificateName="legacy-www",
                                     **certificate("www.example.com", timedelta(days=-3)))
    client.upload_server_certificate(ServerCertificateName="cdn", Path="/cloudfront/",
                                     **certificate("cdn.example.com", timedelta(days=200)))

    rows = {row["name"]: row for row in collect(global_partition, iam_server_certificates.SERVER_CERTIFICATE,
                                                "global")}

    legacy, cdn = rows["legacy-www"], rows["cdn"]
    assert legacy["_key"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/legacy-www"
    assert cdn["_key"] == f"arn:aws:iam::{ACCOUNT_ID}:server-certificate/cloudfront/cdn"
    assert abs(legacy["expiration"] - expired_on) < timedelta(seconds=5)
    assert cdn["expiration"] > datetime.now(UTC) + timedelta(days=199)
    assert (cdn["path"], cdn["_class"], legacy["serverCertificateId"].startswith("ASCA")) == (
        "/cloudfront/", ["Certificate"], True)
    assert legacy["serverCertificateId"] != cdn["serverCertificateId"]
    assert legacy["uploadDate"] == legacy["createdOn"] is not None
    assert global_partition.calls.by_operation() == {"iam:ListServerCertificates": 1, "sts:AssumeRole": 1}


def test_every_page_of_server_certificates_is_read(account_session, global_partition, monkeypatch):
    client = account_session.client("iam")
    for n in range(5):
        client.upload_server_certificate(ServerCertificateName=f"site-{n}",
                                         **certificate(f"site-{n}.example.com", timedelta(days=30)))
    monkeypatch.setattr(iam_server_certificates, "PAGE_SIZE", 2)

    rows = collect(global_partition, iam_server_certificates.SERVER_CERTIFICATE, "global")

    assert sorted(row["name"] for row in rows) == [f"site-{n}" for n in range(5)]
    assert global_partition.calls.by_operation()["iam:ListServerCertificates"] == 3


def test_analyzers_of_the_region(account_session, regional):
    client = account_session.client("accessanalyzer", region_name=REGION)
    account = client.create_analyzer(analyzerName="external-access", type="ACCOUNT", tags={"team": "security"})
    client.create_analyzer(analyzerName="unused-access", type="ACCOUNT_UNUSED_ACCESS",
                           configuration={"unusedAccess": {"unusedAccessAge": 90}})
    account_session.client("accessanalyzer", region_name="us-east-1").create_analyzer(
        analyzerName="elsewhere", type="ACCOUNT")

    rows = {row["name"]: row for row in collect(regional, accessanalyzer.ANALYZER)}

    assert set(rows) == {"external-access", "unused-access"}
    external, unused = rows["external-access"], rows["unused-access"]
    assert external["_key"] == account["arn"] == (
        f"arn:aws:access-analyzer:{REGION}:{ACCOUNT_ID}:analyzer/external-access")
    assert (external["present"], external["analyzerType"], external["status"], external["tags"]) == (
        True, "ACCOUNT", "ACTIVE", [("team", "security")])
    assert (unused["analyzerType"], unused["configuration"]) == (
        "ACCOUNT_UNUSED_ACCESS", '{"unusedAccess": {"unusedAccessAge": 90}}')
    assert external["createdOn"] is not None
    assert regional.calls.by_operation() == {"accessanalyzer:ListAnalyzers": 1, "sts:AssumeRole": 1}


def test_every_page_of_analyzers_is_read(account_session, regional, monkeypatch):
    client = account_session.client("accessanalyzer", region_name=REGION)
    for n in range(3):
        client.create_analyzer(analyzerName=f"analyzer-{n}", type="ACCOUNT")
    monkeypatch.setattr(accessanalyzer, "PAGE_SIZE", 2)

    assert len(collect(regional, accessanalyzer.ANALYZER)) == 3
    assert regional.calls.by_operation()["accessanalyzer:ListAnalyzers"] == 2


def test_a_region_without_an_analyzer_is_a_row_saying_so(regional):
    [row] = collect(regional, accessanalyzer.ANALYZER)

    assert row["_key"] == f"aws_accessanalyzer_analyzer:{ACCOUNT_ID}:{REGION}"
    assert (row["present"], row["status"], row["analyzerType"], row["region"]) == (False, None, None, REGION)

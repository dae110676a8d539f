"""The findings and compliance assets materialized on a small lake, then `aws-assets compliance` and
`aws-assets findings` on it as a user runs them, bad input included."""

from __future__ import annotations

import csv
import io
import json

import pytest
from dagster import materialize

from aws_assets.analysis.cis import FRAMEWORKS
from aws_assets.analysis.compliance import COMPLIANCE_TABLE
from aws_assets.app.cli import main
from aws_assets.defs.assets.compliance import COMPLIANCE_KEY, compliance
from aws_assets.defs.assets.findings import findings
from aws_assets.defs.resources import LakeResource
from aws_assets.lake.storage import Lake
from aws_assets.services.account import AWS_ACCOUNT, account_rows
from aws_assets.services.catalog import ENTITY_TYPES

PROD, DEV = "111111111111", "222222222222"
STRONG = {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "RequireSymbols": True,
          "RequireNumbers": True, "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
          "MaxPasswordAge": 90}
VENDOR_SECRET = "do-not-print-me"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """Written and materialized once for the tests below, which only read it."""
    with pytest.MonkeyPatch.context() as env:
        folder = tmp_path_factory.mktemp("compliance-cli")
        env.setenv("AWS_ASSETS_CACHE", str(folder / "cache"))
        yield written_and_materialized(Lake(str(folder / "lake")))


def written_and_materialized(lake: Lake):
    # prod: root without MFA, a weak password policy; dev: root with MFA, a strong policy.
    for account, summary, policy in ((PROD, {}, {"MinimumPasswordLength": 8}),
                                     (DEV, {"AccountMFAEnabled": 1}, STRONG)):
        lake.write_partition("aws_account", account, None,
                             AWS_ACCOUNT.to_table(account_rows(account, [], summary, policy), account, "global"))
    instance = ENTITY_TYPES["aws_instance"]
    lake.write_partition("aws_instance", PROD, "eu-west-1", instance.to_table([
        {"_key": f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-v1", "name": "i-v1", "instanceId": "i-v1",
         "state": "running", "metadataHttpTokens": "optional", "metadataHttpEndpoint": "enabled"},
        {"_key": f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-v2", "name": "i-v2", "instanceId": "i-v2",
         "state": "running", "metadataHttpTokens": "required", "metadataHttpEndpoint": "enabled"},
    ], PROD, "eu-west-1"))
    role = ENTITY_TYPES["aws_iam_role"]
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}
    # A document that does not read (an unknown Effect) with an ExternalId in it: its evidence is the document.
    broken = json.dumps(trust).replace('"Allow"', '"Permit"').replace('"x"', f'"{VENDOR_SECRET}"')
    lake.write_partition("aws_iam_role", PROD, None, role.to_table([
        {"_key": f"arn:aws:iam::{PROD}:role/vendor", "name": "vendor", "roleName": "vendor", "trustPolicy": broken},
    ], PROD, "global"))
    result = materialize([findings, compliance], resources={"lake": LakeResource(root=lake.root)})
    assert result.success
    return lake, result


def test_the_compliance_asset_records_a_pass_rate_per_framework_and_account(lake):
    store, result = lake
    [materialization] = result.asset_materializations_for_node(COMPLIANCE_KEY.path[-1])
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    for framework in FRAMEWORKS:
        for account in (PROD, DEV):
            assert isinstance(metadata[f"compliance/{framework}/{account}"], float)
        assert metadata[f"compliance/{framework}/{DEV}"] > metadata[f"compliance/{framework}/{PROD}"]
    assert store.has_table(COMPLIANCE_TABLE)


def test_compliance_lists_the_failing_controls_with_their_resources(lake, capsys):
    store, _ = lake
    assert main(["compliance", "--lake", store.root, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {(c["controlId"], c["accountId"], c["region"]): c for c in report["controls"]}
    assert rows[("1.5", PROD, "all")]["status"] == "fail"
    assert rows[("1.5", DEV, "all")]["status"] == "pass"
    assert rows[("1.8", PROD, "all")]["status"] == "fail"
    assert rows[("5.7", PROD, "eu-west-1")]["failingResources"] == [f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-v1"]
    assert rows[("5.7", DEV, "all")]["status"] == "not-applicable"
    assert rows[("1.2", DEV, "all")]["status"] == "not-assessed"
    # Neither account's regions were collected: no trail row does not fail CloudTrail's control.
    assert rows[("3.1", DEV, "all")]["status"] == "not-applicable"
    assert report["accounts"][DEV]["fail"] == 0

    assert main(["compliance", "--lake", store.root, "--account", DEV, "--framework", "cis-aws-3.0"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith(f"cis-aws-3.0: {DEV} 100.0% passed")
    assert not any(PROD in line for line in table)


def test_findings_export_in_each_format_without_the_external_id(lake, capsys):
    store, _ = lake
    outputs = {}
    for output_format in ("ocsf", "asff", "json", "csv"):
        assert main(["findings", "--lake", store.root, "--format", output_format]) == 0
        outputs[output_format] = capsys.readouterr().out
    assert all(VENDOR_SECRET not in text for text in outputs.values())
    ocsf = json.loads(outputs["ocsf"])
    assert {f["class_uid"] for f in ocsf} == {2004}
    assert "AWS-IAM-003" in {f["finding_info"]["analytic"]["uid"] for f in ocsf}
    asff = json.loads(outputs["asff"])
    assert {f["AwsAccountId"] for f in asff} == {PROD}  # dev passes every rule
    flat = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert [r["findingId"] for r in flat] == [r["findingId"] for r in json.loads(outputs["json"])]
    assert main(["findings", "--lake", store.root, "--format", "json", "--account", DEV]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("arguments, message", [
    (["--account", "12345"], "--account '12345': an AWS account ID is 12 digits"),
    (["--account", "333333333333"], "--account 333333333333: the lake holds no such account (2 account(s) synced)"),
])
def test_a_bad_account_is_one_line(lake, capsys, arguments, message):
    store, _ = lake
    for command in ("compliance", "findings"):
        assert main([command, "--lake", store.root, *arguments]) == 2
        err = capsys.readouterr().err
        assert err == f"aws-assets {command}: {message}\n"


def test_a_lake_without_findings_or_no_lake_at_all_says_what_to_do(tmp_path, capsys):
    assert main(["compliance", "--lake", str(tmp_path / "nowhere")]) == 2
    assert "no lake at" in capsys.readouterr().err
    Lake(str(tmp_path / "lake")).write_partition(
        "aws_account", PROD, None, AWS_ACCOUNT.to_table(account_rows(PROD, [], {}, None), PROD, "global"))
    assert main(["findings", "--lake", str(tmp_path / "lake")]) == 2
    err = capsys.readouterr().err
    assert "has no findings yet" in err and "Traceback" not in err

import json

import pytest

from aws_assets.app.cli import main
from aws_assets.inputs.instances import InstanceError, load_instances, parse_instances

ROLE = "arn:aws:iam::111111111111:role/aws-assets-readonly"


def write(tmp_path, content, name="instances.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def test_valid_instances_file(tmp_path):
    path = write(tmp_path, [
        {"name": "prod", "roleArn": ROLE, "externalId": "x-1234", "regions": ["eu-west-1", "us-east-1"]},
        {"roleArn": "arn:aws:iam::222222222222:role/path/to/role", "externalId": "x-5678"},
    ])
    prod, other = load_instances(path)
    assert prod.account_id == "111111111111"
    assert prod.regions == ("eu-west-1", "us-east-1")
    assert other.account_id == "222222222222"
    assert other.regions is None
    assert "x-1234" not in repr(prod)


def test_zone_of_trust_is_read_and_kept_by_the_registry(tmp_path):
    from aws_assets.inputs.registry import load_registry, save_registry

    path = write(tmp_path, [
        {"roleArn": ROLE, "externalId": "x-1234", "zoneOfTrust": "account"},
        {"roleArn": "arn:aws:iam::222222222222:role/r", "externalId": "x-5678"},
    ])
    registry = load_registry(path)
    assert [i.zone_of_trust for i in registry.values()] == ["account", None]
    save_registry(path, registry)
    assert [i.zone_of_trust for i in load_instances(path)] == ["account", None]


def test_yaml_instances_file(tmp_path):
    path = write(tmp_path, f"- roleArn: {ROLE}\n  externalId: abc-123\n", name="instances.yaml")
    assert [i.account_id for i in load_instances(path)] == ["111111111111"]


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ({"externalId": "abc-123"}, "instance 1: field 'roleArn' is missing"),
        ({"roleArn": ROLE}, "instance 1: field 'externalId' is missing"),
        ({"roleArn": "arn:aws:iam::11111111111:role/r", "externalId": "abc"}, "field 'roleArn'"),
        ({"roleArn": "arn:aws:iam::111111111111:user/bob", "externalId": "abc"}, "is not an IAM role ARN"),
        ({"name": "prod", "roleArn": ROLE, "externalId": "abc", "regions": ["us-gov-west-1"]},
         "instance 1 (prod): field 'regions' names ['us-gov-west-1']"),
        ({"roleArn": ROLE, "externalId": "abc", "regions": "us-east-1"}, "field 'regions' must be a non-empty list"),
        ({"roleArn": ROLE, "externalId": "abc", "role": "x"}, "unknown field(s) ['role']"),
        ({"roleArn": ROLE, "externalId": "has space"}, "field 'externalId' must be"),
        ({"roleArn": ROLE, "externalId": "abc", "zoneOfTrust": "org"},
         "field 'zoneOfTrust' 'org' must be one of account, organization"),
    ],
)
def test_bad_instance_is_named_with_its_field(tmp_path, instance, message):
    path = write(tmp_path, [instance])
    with pytest.raises(InstanceError) as error:
        load_instances(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_external_id_never_appears_in_errors(tmp_path):
    path = write(tmp_path, [{"roleArn": "arn:aws:iam::1:role/r", "externalId": "top-secret-id"}])
    with pytest.raises(InstanceError) as error:
        load_instances(path)
    assert "top-secret-id" not in str(error.value)


def test_bad_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, '[\n  {"roleArn": "x",\n  }\n]')
    with pytest.raises(InstanceError, match=r"instances.json:3:3: not valid JSON"):
        load_instances(path)


def test_repeated_account_is_rejected():
    text = json.dumps([{"roleArn": ROLE, "externalId": "abc"}, {"roleArn": ROLE, "externalId": "def"}])
    with pytest.raises(InstanceError, match="instance 2 repeats account 111111111111 of instance 1"):
        parse_instances(text, "f.json")


def test_missing_file():
    with pytest.raises(InstanceError, match="instances file not found"):
        load_instances("/nonexistent/instances.json")


def test_sync_rejects_bad_file_before_any_api_call(tmp_path, capsys, monkeypatch):
    # No AWS endpoint or credentials at all: the command must stop at validation.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    path = write(tmp_path, [{"name": "prod", "roleArn": ROLE}])
    status = main(["sync", "--instances", str(path), "--lake", str(tmp_path / "lake"),
                   "--dagster-home", str(tmp_path / "home")])
    assert status == 2
    err = capsys.readouterr().err
    assert "instance 1 (prod): field 'externalId' is missing" in err
    assert "Traceback" not in err
    assert not (tmp_path / "lake").exists()

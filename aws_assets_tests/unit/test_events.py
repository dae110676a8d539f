"""Instance events, parsed and applied to a registry without I/O: every malformed case names what is wrong."""

import json

import pytest

from aws_assets.inputs.events import Change, EventError, apply_event, parse_event, redact
from aws_assets.inputs.instances import Instance

ROLE = "arn:aws:iam::111111111111:role/aws-assets-readonly"
SECRET = "s3cr3t-external-id"


def event(**fields) -> str:
    return json.dumps({"action": "create", "roleArn": ROLE, "externalId": SECRET, **fields})


def test_create_event_carries_the_instance():
    parsed = parse_event(event(name="prod", regions=["us-east-1", "eu-west-1"], accountId="111111111111"), "e.json")
    assert parsed.action == "create"
    assert parsed.account_id == "111111111111"
    assert parsed.instance == Instance(ROLE, SECRET, "prod", ("eu-west-1", "us-east-1"))


def test_delete_names_the_instance_by_role_or_account_and_needs_no_external_id():
    by_role = parse_event(json.dumps({"action": "delete", "roleArn": ROLE}), "d.json")
    assert (by_role.account_id, by_role.role_arn, by_role.purge_data) == ("111111111111", ROLE, False)
    by_account = parse_event(json.dumps({"action": "delete", "accountId": "111111111111", "purgeData": True}), "d")
    assert (by_account.account_id, by_account.role_arn, by_account.purge_data) == ("111111111111", None, True)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"action": "create", ', "e.json:1:22: not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "e.json: expected a JSON object with an action, got list"),
        (b"\xff\xfe", "e.json: not UTF-8 text"),
        (event(roleArn="arn:aws:iam::1111:role/x"), "e.json: field 'roleArn' 'arn:aws:iam::1111:role/x' is not an IAM "
         "role ARN (arn:aws:iam::<12-digit account>:role/<name>)"),
        (event(roleArn="arn:aws:iam::111111111111:user/bob"), "is not an IAM role ARN"),
        (json.dumps({"action": "create", "roleArn": ROLE}), "e.json: field 'externalId' is missing"),
        (event(externalId=""), "e.json: field 'externalId' is missing"),
        (event(accountId="222222222222"), "e.json: field 'accountId' 222222222222 is not the account of roleArn "
         f"{ROLE} (111111111111)"),
        (event(accountId="12345"), "e.json: field 'accountId': account ID '12345' is not 12 digits"),
        (event(action="remove"), "e.json: field 'action' is 'remove'; expected one of create, update, delete"),
        (json.dumps({"roleArn": ROLE, "externalId": SECRET}), "e.json: field 'action' is missing"),
        (event(role="x"), "e.json: unknown field(s) ['role']; expected ['accountId', 'action', 'externalId', "
         "'name', 'organization', 'purgeData', 'regions', 'roleArn', 'zoneOfTrust']"),
        (event(regions=["us-gov-west-1"]), "e.json: field 'regions' names ['us-gov-west-1']"),
        (event(name="prod", regions=[]), "e.json (prod): field 'regions' must be a non-empty list"),
        (event(purgeData=True), "e.json: field 'purgeData' applies to delete events only"),
        (json.dumps({"action": "delete", "roleArn": ROLE, "purgeData": "yes"}), "field 'purgeData' must be true or"),
        (json.dumps({"action": "delete"}), "e.json: a delete event names the instance by 'roleArn' or 'accountId'"),
        (json.dumps({"action": "delete", "roleArn": "nope"}), "e.json: field 'roleArn' 'nope' is not an IAM role"),
        (json.dumps({"action": "delete", "roleArn": ROLE, "accountId": "222222222222"}), "is not the account of"),
        ("x" * (256 * 1024 + 1), "e.json: 262145 bytes, more than the 262144 an event may have"),
    ],
)
def test_malformed_event_is_rejected_with_its_reason(body, reason):
    with pytest.raises(EventError) as error:
        parse_event(body, "e.json")
    assert reason in str(error.value)
    assert SECRET not in str(error.value)


def test_external_id_is_never_in_a_reason_even_when_it_is_the_wrong_field():
    with pytest.raises(EventError) as error:
        parse_event(event(externalId="has space " + SECRET), "e.json")
    assert SECRET not in str(error.value)
    assert "field 'externalId' must be" in str(error.value)


def test_apply_is_idempotent_and_says_what_changed():
    created = parse_event(event(name="prod"), "a")
    registry, change = apply_event({}, created, "a")
    assert change is Change.REGISTERED and registry == {"111111111111": created.instance}
    again, change = apply_event(registry, parse_event(event(name="prod", action="create"), "b"), "b")
    assert change is Change.UNCHANGED and again is registry
    updated, change = apply_event(registry, parse_event(event(name="prod", regions=["eu-west-1"], action="update"),
                                                        "c"), "c")
    assert change is Change.UPDATED and updated["111111111111"].regions == ("eu-west-1",)
    deleted, change = apply_event(updated, parse_event(json.dumps({"action": "delete", "roleArn": ROLE}), "d"), "d")
    assert change is Change.DELETED and deleted == {}
    still, change = apply_event(deleted, parse_event(json.dumps({"action": "delete", "roleArn": ROLE}), "e"), "e")
    assert change is Change.NOT_REGISTERED and still == {}


def test_delete_naming_another_role_of_the_account_deletes_nothing():
    registry, _ = apply_event({}, parse_event(event(), "a"), "a")
    other = parse_event(json.dumps({"action": "delete", "roleArn": "arn:aws:iam::111111111111:role/other"}), "d")
    with pytest.raises(EventError) as error:
        apply_event(registry, other, "d.json")
    assert str(error.value) == (f"d.json: account 111111111111 is registered with role {ROLE}, not "
                                "arn:aws:iam::111111111111:role/other; nothing deleted")


def test_redact_replaces_the_external_id_only():
    assert json.loads(redact(event(name="prod"))) == {
        "action": "create", "roleArn": ROLE, "externalId": "<redacted>", "name": "prod"}
    assert redact("{not json") is None
    assert redact("[1]") is None

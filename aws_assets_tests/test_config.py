import io
import json
import zipfile

from aws_assets.services import config
from aws_assets_tests.conftest import ACCOUNT_ID, REGION

CHECK_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:check-tags"
CHANGE_TRIGGER = {"EventSource": "aws.config", "MessageType": "ConfigurationItemChangeNotification"}


def create_check_function(account_session) -> None:
    """moto refuses a CUSTOM_LAMBDA rule whose function does not exist."""
    role_arn = account_session.client("iam").create_role(RoleName="config-check", AssumeRolePolicyDocument="{}")[
        "Role"
    ]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    account_session.client("lambda", region_name=REGION).create_function(
        FunctionName="check-tags", Runtime="python3.12", Role=role_arn, Handler="index.handler",
        Code={"ZipFile": package.getvalue()},
    )


def seed_rules(account_session) -> dict[str, str]:
    """A periodic managed rule with parameters, a managed rule scoped to S3 buckets, a custom Lambda rule triggered by
    configuration changes; returns their ARNs by name."""
    create_check_function(account_session)
    client = account_session.client("config", region_name=REGION)
    client.put_config_rule(ConfigRule={
        "ConfigRuleName": "access-keys-rotated", "Description": "Access keys rotated within 90 days",
        "InputParameters": json.dumps({"maxAccessKeyAge": "90"}), "MaximumExecutionFrequency": "TwentyFour_Hours",
        "Source": {"Owner": "AWS", "SourceIdentifier": "ACCESS_KEYS_ROTATED"},
    })
    client.put_config_rule(ConfigRule={
        "ConfigRuleName": "s3-versioning", "Scope": {"ComplianceResourceTypes": ["AWS::S3::Bucket"]},
        "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
    })
    client.put_config_rule(ConfigRule={
        "ConfigRuleName": "prod-tagged",
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": CHECK_FUNCTION, "SourceDetails": [CHANGE_TRIGGER]},
    })
    return {rule["ConfigRuleName"]: rule["ConfigRuleArn"] for rule in client.describe_config_rules()["ConfigRules"]}


def test_rules_with_source_scope_and_parameters(account_session, regional):
    arns = seed_rules(account_session)

    table = config.CONFIG_RULE.to_table(config.CONFIG_RULE.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    rows = {row["name"]: row for row in table}

    assert sorted(row["_key"] for row in table) == sorted(arns.values())
    assert all(arn.startswith(f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/") for arn in arns.values())
    keys = rows["access-keys-rotated"]
    assert keys["_class"] == ["ControlPolicy"]
    assert keys["category"] == ["compliance"]
    assert keys["arn"] == keys["_key"]
    assert keys["configRuleId"] == keys["_key"].rsplit("/", 1)[1]
    assert (keys["sourceOwner"], keys["sourceIdentifier"]) == ("AWS", "ACCESS_KEYS_ROTATED")
    assert keys["description"] == "Access keys rotated within 90 days"
    assert keys["state"] == "ACTIVE"
    assert json.loads(keys["inputParameters"]) == {"maxAccessKeyAge": "90"}
    assert keys["maximumExecutionFrequency"] == "TwentyFour_Hours"
    assert (keys["scopeResourceTypes"], keys["sourceDetails"]) == ([], None)
    assert keys["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/config/home?region={REGION}"
        "#/rules/details?configRuleName=access-keys-rotated"
    )

    assert rows["s3-versioning"]["scopeResourceTypes"] == ["AWS::S3::Bucket"]
    assert rows["s3-versioning"]["inputParameters"] is None

    custom = rows["prod-tagged"]
    assert (custom["sourceOwner"], custom["sourceIdentifier"]) == ("CUSTOM_LAMBDA", CHECK_FUNCTION)
    assert json.loads(custom["sourceDetails"]) == [CHANGE_TRIGGER]

    assert regional.calls.by_operation() == {"config:DescribeConfigRules": 1, "sts:AssumeRole": 1}


def test_rules_are_read_past_the_first_page(account_session, regional):
    client = account_session.client("config", region_name=REGION)
    for i in range(26):  # DescribeConfigRules answers 25 per page, in moto as in AWS
        client.put_config_rule(ConfigRule={
            "ConfigRuleName": f"rule-{i:02}", "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}
        })

    rows = list(config.CONFIG_RULE.collect(regional))

    assert sorted(row["name"] for row in rows) == [f"rule-{i:02}" for i in range(26)]
    assert regional.calls.by_operation()["config:DescribeConfigRules"] == 2


def test_aws_shaped_tag_scoped_rule():
    """moto answers a tag scope as `Scope.Tags`, where AWS answers `Scope.TagKey` and `Scope.TagValue`."""
    rule = {
        "ConfigRuleName": "prod-tagged",
        "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-def456",
        "Scope": {"TagKey": "env", "TagValue": "prod"},
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": CHECK_FUNCTION, "SourceDetails": [CHANGE_TRIGGER]},
    }

    (row,) = config.config_rule_rows([rule], REGION)

    assert (row["scopeTagKey"], row["scopeTagValue"], row["scopeResourceTypes"]) == ("env", "prod", [])


def test_aws_shaped_guard_policy_rule_created_by_security_hub():
    """moto knows neither CUSTOM_POLICY rules nor rules that a service created."""
    rule = {
        "ConfigRuleName": "securityhub-iam-policy-no-admin-1a2b3c",
        "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-abc123",
        "ConfigRuleId": "config-rule-abc123",
        "Scope": {"ComplianceResourceTypes": ["AWS::IAM::Policy"], "ComplianceResourceId": "ANPA0000"},
        "Source": {
            "Owner": "CUSTOM_POLICY",
            "SourceDetails": [CHANGE_TRIGGER],
            "CustomPolicyDetails": {"PolicyRuntime": "guard-2.x.x", "PolicyText": "rule no_admin { }"},
        },
        "InputParameters": "{}",
        "ConfigRuleState": "EVALUATING",
        "CreatedBy": "securityhub.amazonaws.com",
    }

    (row,) = config.CONFIG_RULE.to_table(config.config_rule_rows([rule], REGION), ACCOUNT_ID, REGION).to_pylist()

    assert (row["sourceOwner"], row["sourceIdentifier"]) == ("CUSTOM_POLICY", None)
    assert (row["createdBy"], row["state"]) == ("securityhub.amazonaws.com", "EVALUATING")
    assert (row["scopeResourceTypes"], row["scopeResourceId"]) == (["AWS::IAM::Policy"], "ANPA0000")
    assert row["inputParameters"] == "{}"
    assert row["createdOn"] is None


def test_input_parameters_are_normalised_json_text():
    assert config.input_parameters('{"b": "2", "a": "1"}') == '{"a": "1", "b": "2"}'
    assert config.input_parameters("not json") == '"not json"'
    assert config.input_parameters(None) is None

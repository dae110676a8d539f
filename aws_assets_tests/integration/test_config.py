import io
import json
import zipfile
from datetime import UTC, datetime

from botocore.awsrequest import AWSResponse

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


def evaluation_result(rule: str, resource_type: str, resource_id: str, compliance: str, recorded: datetime,
                      annotation: str | None = None) -> dict:
    """One EvaluationResult as botocore parses GetComplianceDetailsByConfigRule's answer."""
    result = {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule, "ResourceType": resource_type, "ResourceId": resource_id,
                "EvaluationMode": "DETECTIVE",
            },
            "OrderingTimestamp": recorded,
        },
        "ComplianceType": compliance,
        "ResultRecordedTime": recorded,
        "ConfigRuleInvokedTime": recorded,
    }
    if annotation:
        result["Annotation"] = annotation
    return result


def answer_compliance(collection, results_by_rule: dict[str, list[dict]], refused: dict[str, str] | None = None,
                      page_size: int = 2) -> list[dict]:
    """Answer GetComplianceDetailsByConfigRule, which moto does not implement, as AWS would: `page_size` results a
    page (NextToken is the offset), or the error code `refused[rule]` with HTTP 400. Returns the requests' parameters.
    Register before the collection creates its config client."""
    requests = []

    def remember_request(params, context, **_):
        requests.append(params)
        context["test_request"] = params

    def answer(context, **_):
        request = context["test_request"]
        rule = request["ConfigRuleName"]
        if rule in (refused or {}):
            error = {"Error": {"Code": refused[rule], "Message": "refused"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}}
            return AWSResponse("https://config.amazonaws.com", 400, {}, None), error
        results = results_by_rule.get(rule, [])
        start = int(request.get("NextToken") or 0)
        page = {"EvaluationResults": results[start:start + page_size], "ResponseMetadata": {}}
        if start + page_size < len(results):
            page["NextToken"] = str(start + page_size)
        return AWSResponse("https://config.amazonaws.com", 200, {}, None), page

    operation = "config-service.GetComplianceDetailsByConfigRule"
    collection.session.events.register(f"before-parameter-build.{operation}", remember_request)
    collection.session.events.register_last(f"before-call.{operation}", answer)
    return requests


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
    answer_compliance(regional, {})

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

    assert all((row["evaluations"], row["compliantCount"], row["nonCompliantCount"]) == ([], 0, 0) for row in table)
    assert all(row["collectionErrors"] == [] for row in table)
    assert regional.calls.by_operation() == {
        "config:DescribeConfigRules": 1, "config:GetComplianceDetailsByConfigRule": 3, "sts:AssumeRole": 1
    }


def test_rules_are_read_past_the_first_page(account_session, regional):
    client = account_session.client("config", region_name=REGION)
    for i in range(26):  # DescribeConfigRules answers 25 per page, in moto as in AWS
        client.put_config_rule(ConfigRule={
            "ConfigRuleName": f"rule-{i:02}", "Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}
        })
    requests = answer_compliance(regional, {})

    rows = list(config.CONFIG_RULE.collect(regional))

    assert sorted(row["name"] for row in rows) == [f"rule-{i:02}" for i in range(26)]
    assert regional.calls.by_operation()["config:DescribeConfigRules"] == 2
    # Each rule's results are asked for once, however many pages of rules there were.
    assert sorted(request["ConfigRuleName"] for request in requests) == [f"rule-{i:02}" for i in range(26)]


def test_aws_shaped_tag_scoped_rule():
    """moto answers a tag scope as `Scope.Tags`, where AWS answers `Scope.TagKey` and `Scope.TagValue`."""
    rule = {
        "ConfigRuleName": "prod-tagged",
        "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-def456",
        "Scope": {"TagKey": "env", "TagValue": "prod"},
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": CHECK_FUNCTION, "SourceDetails": [CHANGE_TRIGGER]},
    }

    (row,) = config.config_rule_rows([rule], [config.RuleEvaluations(results=[])], REGION)

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

    evaluations = config.RuleEvaluations(results=[])
    (row,) = config.CONFIG_RULE.to_table(
        config.config_rule_rows([rule], [evaluations], REGION), ACCOUNT_ID, REGION
    ).to_pylist()

    assert (row["sourceOwner"], row["sourceIdentifier"]) == ("CUSTOM_POLICY", None)
    assert (row["createdBy"], row["state"]) == ("securityhub.amazonaws.com", "EVALUATING")
    assert (row["scopeResourceTypes"], row["scopeResourceId"]) == (["AWS::IAM::Policy"], "ANPA0000")
    assert row["inputParameters"] == "{}"
    assert row["createdOn"] is None


def test_input_parameters_are_normalised_json_text():
    assert config.input_parameters('{"b": "2", "a": "1"}') == '{"a": "1", "b": "2"}'
    assert config.input_parameters("not json") == '"not json"'
    assert config.input_parameters(None) is None


RECORDED = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
EVERY_COMPLIANCE_TYPE = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]


def evaluation(resource_type: str, resource_id: str, compliance: str, recorded: datetime = RECORDED,
               annotation: str | None = None) -> dict:
    """An `evaluations` item as the row holds it."""
    return {"resourceType": resource_type, "resourceId": resource_id, "complianceType": compliance,
            "resultRecordedTime": recorded, "annotation": annotation}


def test_evaluation_results_of_several_resource_types_are_read_page_by_page(account_session, regional):
    seed_rules(account_session)
    requests = answer_compliance(regional, {
        "s3-versioning": [
            evaluation_result("s3-versioning", "AWS::S3::Bucket", "acme-logs", "COMPLIANT", RECORDED),
            evaluation_result("s3-versioning", "AWS::S3::Bucket", "acme-site", "NON_COMPLIANT", LATER,
                              "Versioning off"),
            evaluation_result("s3-versioning", "AWS::S3::Bucket", "acme-tmp", "NOT_APPLICABLE", RECORDED),
        ],
        "prod-tagged": [
            evaluation_result("prod-tagged", "AWS::EC2::Instance", "i-0abc", "NON_COMPLIANT", RECORDED, "No env tag"),
            evaluation_result("prod-tagged", "AWS::EC2::SecurityGroup", "sg-0abc", "COMPLIANT", RECORDED),
            evaluation_result("prod-tagged", "AWS::EC2::Volume", "vol-0abc", "COMPLIANT", RECORDED),
            evaluation_result("prod-tagged", "AWS::IAM::Role", "AROAEXAMPLE", "NON_COMPLIANT", LATER),
        ],
        "access-keys-rotated": [
            evaluation_result("access-keys-rotated", "AWS::IAM::User", "AIDAEXAMPLE", "NON_COMPLIANT", RECORDED,
                              "Key older than 90 days"),
        ],
    }, page_size=2)

    table = config.CONFIG_RULE.to_table(config.CONFIG_RULE.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    rows = {row["name"]: row for row in table}

    assert rows["s3-versioning"]["evaluations"] == [
        evaluation("AWS::S3::Bucket", "acme-logs", "COMPLIANT"),
        evaluation("AWS::S3::Bucket", "acme-site", "NON_COMPLIANT", LATER, "Versioning off"),
        evaluation("AWS::S3::Bucket", "acme-tmp", "NOT_APPLICABLE"),
    ]
    assert rows["prod-tagged"]["evaluations"] == [
        evaluation("AWS::EC2::Instance", "i-0abc", "NON_COMPLIANT", annotation="No env tag"),
        evaluation("AWS::EC2::SecurityGroup", "sg-0abc", "COMPLIANT"),
        evaluation("AWS::EC2::Volume", "vol-0abc", "COMPLIANT"),
        evaluation("AWS::IAM::Role", "AROAEXAMPLE", "NON_COMPLIANT", LATER),
    ]
    assert rows["access-keys-rotated"]["evaluations"] == [
        evaluation("AWS::IAM::User", "AIDAEXAMPLE", "NON_COMPLIANT", annotation="Key older than 90 days"),
    ]
    counts = {name: (row["compliantCount"], row["nonCompliantCount"]) for name, row in rows.items()}
    assert counts == {"s3-versioning": (1, 1), "prod-tagged": (2, 2), "access-keys-rotated": (0, 1)}
    assert all(row["collectionErrors"] == [] for row in table)

    # Two pages for three and four results, one page for one: every page was read, and asked for every result.
    assert regional.calls.by_operation()["config:GetComplianceDetailsByConfigRule"] == 2 + 2 + 1
    assert all(request["ComplianceTypes"] == EVERY_COMPLIANCE_TYPE for request in requests)
    assert all(request["Limit"] == 100 for request in requests)
    prod_tagged_pages = [request.get("NextToken") for request in requests if request["ConfigRuleName"] == "prod-tagged"]
    assert prod_tagged_pages == [None, "2"]


def test_refused_compliance_details_keep_the_rule_and_say_what_is_missing(account_session, regional):
    arns = seed_rules(account_session)
    answer_compliance(
        regional,
        {"s3-versioning": [evaluation_result("s3-versioning", "AWS::S3::Bucket", "acme-logs", "COMPLIANT", RECORDED)]},
        refused={"prod-tagged": "AccessDeniedException", "access-keys-rotated": "NoSuchConfigRuleException"},
    )

    table = config.CONFIG_RULE.to_table(config.CONFIG_RULE.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    rows = {row["name"]: row for row in table}

    assert sorted(row["_key"] for row in table) == sorted(arns.values())
    denied = rows["prod-tagged"]
    assert (denied["evaluations"], denied["compliantCount"], denied["nonCompliantCount"]) == (None, None, None)
    assert denied["collectionErrors"] == ["config:GetComplianceDetailsByConfigRule: AccessDeniedException"]
    assert denied["sourceOwner"] == "CUSTOM_LAMBDA"
    # Deleted since DescribeConfigRules listed it: no results left, and nothing went wrong.
    deleted = rows["access-keys-rotated"]
    assert (deleted["evaluations"], deleted["compliantCount"], deleted["collectionErrors"]) == ([], 0, [])
    assert rows["s3-versioning"]["evaluations"] == [evaluation("AWS::S3::Bucket", "acme-logs", "COMPLIANT")]
    assert rows["s3-versioning"]["collectionErrors"] == []


def test_any_other_failure_of_the_compliance_call_is_recorded_too(account_session, regional):
    seed_rules(account_session)
    answer_compliance(regional, {}, refused={"s3-versioning": "InvalidParameterValueException"})

    rows = {row["name"]: row for row in config.CONFIG_RULE.collect(regional)}

    assert rows["s3-versioning"]["evaluations"] is None
    assert rows["s3-versioning"]["collectionErrors"] == [
        "config:GetComplianceDetailsByConfigRule: InvalidParameterValueException"
    ]
    assert rows["prod-tagged"]["collectionErrors"] == []


def test_counts_take_the_latest_result_of_each_resource_and_keep_every_result():
    rule = {"ConfigRuleName": "encrypted-volumes",
            "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT_ID}:config-rule/config-rule-vol123",
            "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}}
    results = [
        evaluation_result("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", RECORDED, "unencrypted"),
        evaluation_result("encrypted-volumes", "AWS::EC2::Volume", "vol-1", "COMPLIANT", LATER),
        evaluation_result("encrypted-volumes", "AWS::EC2::Volume", "vol-2", "NON_COMPLIANT", RECORDED),
        evaluation_result("encrypted-volumes", "AWS::EC2::Volume", "vol-3", "NOT_APPLICABLE", RECORDED),
    ]
    del results[3]["ResultRecordedTime"]

    (row,) = config.config_rule_rows([rule], [config.RuleEvaluations(results=results)], REGION)

    assert [(e["resourceId"], e["complianceType"]) for e in row["evaluations"]] == [
        ("vol-1", "NON_COMPLIANT"), ("vol-1", "COMPLIANT"), ("vol-2", "NON_COMPLIANT"), ("vol-3", "NOT_APPLICABLE")
    ]
    assert row["evaluations"][3]["resultRecordedTime"] is None
    assert (row["compliantCount"], row["nonCompliantCount"]) == (1, 1)


def test_latest_result_wins_over_one_without_a_recorded_time():
    undated = evaluation("AWS::EC2::Volume", "vol-1", "NON_COMPLIANT", recorded=None)
    dated = evaluation("AWS::EC2::Volume", "vol-1", "COMPLIANT", RECORDED)

    assert config.latest_per_resource([dated, undated]) == [dated]
    assert config.latest_per_resource([undated, dated]) == [dated]


# ---- the recorder and the delivery channel ----------------------------------------------------------------------

CONFIG_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/config-recorder"


def seed_recorder(account_session, *, all_supported: bool, start: bool) -> None:
    client = account_session.client("config", region_name=REGION)
    group = {"allSupported": True, "includeGlobalResourceTypes": True} if all_supported else {
        "allSupported": False, "includeGlobalResourceTypes": False, "resourceTypes": ["AWS::EC2::Instance"]}
    client.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": CONFIG_ROLE,
                                                             "recordingGroup": group})
    account_session.client("s3", region_name=REGION).create_bucket(
        Bucket="acme-config", CreateBucketConfiguration={"LocationConstraint": REGION})
    client.put_delivery_channel(DeliveryChannel={
        "name": "default", "s3BucketName": "acme-config", "s3KeyPrefix": "config",
        "snsTopicARN": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:config-changes",
        "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"}})
    if start:
        client.start_configuration_recorder(ConfigurationRecorderName="default")


def collect_rows(regional, entity_type) -> list[dict]:
    return entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()


def test_a_recording_recorder_of_every_type_and_its_delivery_channel(account_session, regional):
    seed_recorder(account_session, all_supported=True, start=True)

    [recorder] = collect_rows(regional, config.CONFIG_RECORDER)
    [channel] = collect_rows(regional, config.CONFIG_DELIVERY_CHANNEL)

    assert (recorder["name"], recorder["present"], recorder["recording"]) == ("default", True, True)
    assert (recorder["allSupported"], recorder["includeGlobalResourceTypes"]) == (True, True)
    assert (recorder["roleArn"], recorder["_class"]) == (CONFIG_ROLE, ["Configuration"])
    assert recorder["lastStartTime"] is not None
    assert channel["_key"] == f"aws_config_delivery_channel:{ACCOUNT_ID}:{REGION}:default"
    assert (channel["s3BucketName"], channel["s3KeyPrefix"]) == ("acme-config", "config")
    assert channel["snsTopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:config-changes"
    assert channel["deliveryFrequency"] == "TwentyFour_Hours"
    calls = regional.calls.by_operation()
    assert (calls["config:DescribeConfigurationRecorders"], calls["config:DescribeConfigurationRecorderStatus"],
            calls["config:DescribeDeliveryChannels"]) == (1, 1, 1)


def test_a_stopped_recorder_of_some_types_says_so(account_session, regional):
    seed_recorder(account_session, all_supported=False, start=False)

    [recorder] = collect_rows(regional, config.CONFIG_RECORDER)

    assert (recorder["present"], recorder["recording"], recorder["allSupported"]) == (True, False, False)
    assert (recorder["includeGlobalResourceTypes"], recorder["resourceTypes"]) == (False, ["AWS::EC2::Instance"])


def test_a_region_without_a_recorder_is_a_row_saying_so(regional):
    [recorder] = collect_rows(regional, config.CONFIG_RECORDER)

    assert recorder["_key"] == f"aws_config_recorder:{ACCOUNT_ID}:{REGION}"
    assert (recorder["present"], recorder["recording"], recorder["region"]) == (False, False, REGION)
    assert collect_rows(regional, config.CONFIG_DELIVERY_CHANNEL) == []
    # Without a recorder there is no status to ask for.
    assert "config:DescribeConfigurationRecorderStatus" not in regional.calls.by_operation()

import io
import json
import zipfile
from datetime import UTC, datetime

from botocore.awsrequest import AWSResponse

from aws_assets.services import lambda_
from aws_assets.services.lambda_ import FunctionDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, serve_in_pages

SECRET_VALUE = "super-secret-value"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/env"


def deployment_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def create_role(account_session) -> str:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]}
    return account_session.client("iam").create_role(RoleName="fn-exec", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]


def create_function(account_session, role_arn: str, name: str, **settings) -> None:
    account_session.client("lambda", region_name=REGION).create_function(
        FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="index.handler",
        Code={"ZipFile": deployment_package()}, **settings,
    )


def seed_functions(account_session) -> tuple[str, list[str], str]:
    """`public-hook`: in a VPC, with a secret environment value, invocable by anyone, with a function URL that needs
    no signature; `api-backend`: invocable by API Gateway of one API only, with an IAM-authenticated function URL;
    `worker`: no resource policy, no function URL."""
    role_arn = create_role(account_session)
    ec2 = account_session.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]]
    group_id = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc_id)["GroupId"]
    create_function(
        account_session, role_arn, "public-hook",
        Environment={"Variables": {"DB_PASSWORD": SECRET_VALUE, "STAGE": "prod"}},
        VpcConfig={"SubnetIds": subnet_ids, "SecurityGroupIds": [group_id]},
        KMSKeyArn=KMS_KEY, TracingConfig={"Mode": "Active"}, Architectures=["arm64"], MemorySize=512, Timeout=30,
        Tags={"Name": "Public webhook", "team": "payments"},
    )
    create_function(account_session, role_arn, "api-backend")
    create_function(account_session, role_arn, "worker")
    client = account_session.client("lambda", region_name=REGION)
    client.add_permission(
        FunctionName="public-hook", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*"
    )
    client.create_function_url_config(
        FunctionName="public-hook", AuthType="NONE",
        Cors={"AllowOrigins": ["https://shop.example.com"], "AllowMethods": ["POST"]},
    )
    client.create_function_url_config(FunctionName="api-backend", AuthType="AWS_IAM")
    client.add_permission(
        FunctionName="api-backend", StatementId="api", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abc123/*",
    )
    return role_arn, subnet_ids, group_id


def collect_table(regional) -> dict[str, dict]:
    table = lambda_.LAMBDA_FUNCTION.to_table(lambda_.LAMBDA_FUNCTION.collect(regional), ACCOUNT_ID, REGION)
    return {row["name"]: row for row in table.to_pylist()}


def test_functions_with_roles_network_and_resource_policies(account_session, regional):
    role_arn, subnet_ids, group_id = seed_functions(account_session)

    rows = collect_table(regional)

    assert sorted(row["_key"] for row in rows.values()) == [
        f"{FUNCTION_ARN}:api-backend", f"{FUNCTION_ARN}:public-hook", f"{FUNCTION_ARN}:worker"
    ]
    hook = rows["public-hook"]
    assert hook["_class"] == ["Function", "Workload"]
    assert hook["arn"] == hook["_key"]
    assert (hook["runtime"], hook["handler"], hook["role"]) == ("python3.12", "index.handler", role_arn)
    assert (hook["memorySize"], hook["timeout"], hook["architectures"]) == (512, 30, ["arm64"])
    assert hook["vpcId"] is not None
    assert (hook["subnetIds"], hook["securityGroupIds"]) == (subnet_ids, [group_id])
    assert hook["environmentVariableNames"] == ["DB_PASSWORD", "STAGE"]
    assert (hook["kmsKeyArn"], hook["tracingMode"]) == (KMS_KEY, "Active")
    assert hook["packageType"] == "Zip"
    assert hook["codeSize"] > 0 and hook["codeSha256"]
    assert hook["lastModified"].tzinfo is not None
    assert dict(hook["tags"]) == {"Name": "Public webhook", "team": "payments"}
    assert hook["displayName"] == "Public webhook"
    assert hook["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/lambda/home?region={REGION}#/functions/public-hook"
    )
    assert hook["publicResourcePolicy"] is True
    assert json.loads(hook["resourcePolicy"])["Statement"][0]["Principal"] == "*"
    assert hook["functionUrlAuthType"] == "NONE"
    assert hook["functionUrl"].startswith("https://") and ".lambda-url." in hook["functionUrl"]
    assert json.loads(hook["functionUrlCors"]) == {
        "AllowMethods": ["POST"], "AllowOrigins": ["https://shop.example.com"]}

    backend = rows["api-backend"]
    assert (backend["functionUrlAuthType"], backend["functionUrlCors"]) == ("AWS_IAM", None)
    assert backend["publicResourcePolicy"] is False
    assert json.loads(backend["resourcePolicy"])["Statement"][0]["Condition"]
    assert (backend["vpcId"], backend["subnetIds"], backend["environmentVariableNames"]) == (None, [], [])

    worker = rows["worker"]
    assert (worker["resourcePolicy"], worker["publicResourcePolicy"]) == (None, False)
    assert (worker["functionUrl"], worker["functionUrlAuthType"]) == (None, None)
    assert all(row["collectionErrors"] == [] for row in rows.values())
    assert all(row["createdOn"] is None for row in rows.values())

    assert regional.calls.by_operation() == {
        "lambda:GetPolicy": 3, "lambda:GetFunctionUrlConfig": 3, "lambda:ListFunctions": 1, "lambda:ListTags": 3,
        "sts:AssumeRole": 1,
    }


def test_environment_variable_values_are_never_collected(account_session, regional):
    seed_functions(account_session)

    table = lambda_.LAMBDA_FUNCTION.to_table(lambda_.LAMBDA_FUNCTION.collect(regional), ACCOUNT_ID, REGION)

    assert SECRET_VALUE in str(account_session.client("lambda", region_name=REGION).list_functions())
    cells = str(table.to_pylist())  # every column, the JSON text of the resource policy included
    assert "DB_PASSWORD" in cells
    assert SECRET_VALUE not in cells
    assert "lambda:GetFunction" not in regional.calls.by_operation()


def deny(collection, operation: str, function_name: str) -> None:
    def answer(params, **_):
        if function_name in params["url_path"]:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
            return AWSResponse("https://moto.test", 403, {}, None), error
        return None

    collection.session.events.register_last(f"before-call.lambda.{operation}", answer)


def test_denied_policy_read_keeps_the_function_and_says_what_is_missing(account_session, regional):
    seed_functions(account_session)
    deny(regional, "GetPolicy", "public-hook")

    rows = collect_table(regional)

    hook = rows["public-hook"]
    assert (hook["resourcePolicy"], hook["publicResourcePolicy"]) == (None, None)
    assert hook["collectionErrors"] == ["lambda:GetPolicy: AccessDeniedException"]
    assert hook["functionUrlAuthType"] == "NONE"
    assert dict(hook["tags"]) == {"Name": "Public webhook", "team": "payments"}
    assert rows["api-backend"]["collectionErrors"] == []
    assert rows["api-backend"]["resourcePolicy"] is not None


def test_functions_are_read_past_the_first_page(account_session, regional):
    seed_functions(account_session)
    functions = account_session.client("lambda", region_name=REGION).list_functions()["Functions"]
    serve_in_pages(
        regional, "lambda", "ListFunctions", "Functions", lambda _: functions, token="Marker", next_token="NextMarker"
    )

    rows = collect_table(regional)

    assert sorted(rows) == ["api-backend", "public-hook", "worker"]
    assert rows["public-hook"]["publicResourcePolicy"] is True
    calls = regional.calls.by_operation()
    assert (calls["lambda:ListFunctions"], calls["lambda:GetPolicy"], calls["lambda:ListTags"]) == (3, 3, 3)


def test_aws_shaped_function_with_layers_dead_letter_queue_and_no_vpc():
    function = {
        "FunctionName": "resize",
        "FunctionArn": f"{FUNCTION_ARN}:resize",
        "Runtime": "nodejs20.x",
        "LastModified": "2024-05-01T10:00:00.123+0000",
        "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""},
        "Layers": [{"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:sharp:3", "CodeSize": 10}],
        "DeadLetterConfig": {"TargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:resize-dlq"},
        "Environment": {"Variables": {"API_TOKEN": SECRET_VALUE}},
    }
    any_account = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "lambda:InvokeFunction"}
    policy = {"Version": "2012-10-17", "Statement": [any_account]}

    row = lambda_.function_row(function, FunctionDetails(policy=policy), REGION)

    assert row["layers"] == [f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:sharp:3"]
    assert row["deadLetterTargetArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:resize-dlq"
    assert row["vpcId"] is None
    assert row["lastModified"] == datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert row["publicResourcePolicy"] is True
    assert row["environmentVariableNames"] == ["API_TOKEN"]
    assert SECRET_VALUE not in str(row)


def test_public_statement_needs_allow_any_principal_and_no_condition():
    assert lambda_.is_public_statement({"Effect": "Allow", "Principal": "*"})
    assert lambda_.is_public_statement({"Effect": "Allow", "Principal": {"AWS": "*"}})
    assert not lambda_.is_public_statement({"Effect": "Deny", "Principal": "*"})
    assert not lambda_.is_public_statement({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}})
    assert not lambda_.is_public_statement(
        {"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT_ID}}}
    )
    single_statement = {"Statement": {"Effect": "Allow", "Principal": "*"}}
    assert lambda_.policy_is_public(single_statement)
    assert lambda_.public_resource_policy(FunctionDetails(policy=None, policy_readable=False)) is None


def test_denied_function_url_read_is_recorded_and_the_rest_kept(account_session, regional):
    seed_functions(account_session)
    deny(regional, "GetFunctionUrlConfig", "public-hook")

    rows = collect_table(regional)

    hook = rows["public-hook"]
    assert (hook["functionUrl"], hook["functionUrlAuthType"]) == (None, None)
    assert hook["collectionErrors"] == ["lambda:GetFunctionUrlConfig: AccessDeniedException"]
    assert hook["publicResourcePolicy"] is True
    assert rows["api-backend"]["functionUrlAuthType"] == "AWS_IAM"

import json
from urllib.parse import quote

from botocore.awsrequest import AWSResponse

from aws_assets.services import apigateway
from aws_assets.services.apigateway import ApiDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, serve_in_pages

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:orders-handler"
INVOKE_URI = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"
VPCE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123"}},
    }],
}


def api_key(api_id: str) -> str:
    return f"arn:aws:apigateway:{REGION}::/restapis/{api_id}"


def add_method(client, api_id: str, resource_id: str, http_method: str, authorization: str = "NONE",
               api_key_required: bool = False, **integration) -> None:
    client.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=http_method,
                      authorizationType=authorization, apiKeyRequired=api_key_required)
    if integration:
        client.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=http_method, **integration)


def root_id(client, api_id: str) -> str:
    return client.get_resources(restApiId=api_id)["items"][0]["id"]


def seed_apis(account_session) -> dict[str, str]:
    """`orders`: regional, a Lambda proxy behind IAM auth, an HTTP backend with credentials in its URI and a method
    without integration; `internal`: private behind a VPC endpoint policy; `legacy`: edge, no methods at all."""
    client = account_session.client("apigateway", region_name=REGION)
    orders = client.create_rest_api(
        name="orders", description="Orders API", endpointConfiguration={"types": ["REGIONAL"]},
        apiKeySource="HEADER", tags={"Name": "Orders API", "team": "shop"},
    )["id"]
    root = root_id(client, orders)
    resource = client.create_resource(restApiId=orders, parentId=root, pathPart="orders")["id"]
    add_method(client, orders, resource, "GET", "AWS_IAM", True, type="AWS_PROXY", integrationHttpMethod="POST",
               uri=INVOKE_URI)
    add_method(client, orders, resource, "POST")
    add_method(client, orders, root, "ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
               uri="https://svc:hunter2@backend.example.com:8443/v1?token=planted-token")

    internal = client.create_rest_api(
        name="internal", endpointConfiguration={"types": ["PRIVATE"]}, policy=json.dumps(VPCE_POLICY),
        disableExecuteApiEndpoint=True,
    )["id"]
    add_method(client, internal, root_id(client, internal), "GET", type="MOCK")

    legacy = client.create_rest_api(name="legacy", endpointConfiguration={"types": ["EDGE"]})["id"]
    return {"orders": orders, "internal": internal, "legacy": legacy}


def collect_table(regional) -> dict[str, dict]:
    table = apigateway.REST_API.to_table(apigateway.REST_API.collect(regional), ACCOUNT_ID, REGION)
    return {row["name"]: row for row in table.to_pylist()}


def test_rest_apis_with_exposure_policy_and_method_integrations(account_session, regional):
    ids = seed_apis(account_session)

    rows = collect_table(regional)

    assert sorted(row["_key"] for row in rows.values()) == sorted(api_key(api_id) for api_id in ids.values())
    orders, internal, legacy = rows["orders"], rows["internal"], rows["legacy"]
    assert orders["_class"] == ["Gateway"]
    assert (orders["category"], orders["function"]) == (["application"], "api-gateway")
    assert orders["arn"] == orders["_key"]
    assert orders["restApiId"] == ids["orders"]
    assert orders["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/apigateway/home?region={REGION}#/apis/{ids['orders']}/resources"
    )
    assert orders["createdOn"].tzinfo is not None
    assert (orders["description"], orders["apiKeySource"], orders["displayName"]) == (
        "Orders API", "HEADER", "Orders API"
    )
    assert dict(orders["tags"]) == {"Name": "Orders API", "team": "shop"}
    assert (orders["endpointTypes"], orders["public"], orders["policy"]) == (["REGIONAL"], True, None)
    assert orders["integrations"] == [
        {"resourcePath": "/", "httpMethod": "ANY", "authorizationType": "NONE", "apiKeyRequired": False,
         "integrationType": "HTTP_PROXY", "integrationUri": "https://backend.example.com:8443/v1",
         "lambdaFunctionArn": None},
        {"resourcePath": "/orders", "httpMethod": "GET", "authorizationType": "AWS_IAM", "apiKeyRequired": True,
         "integrationType": "AWS_PROXY", "integrationUri": INVOKE_URI, "lambdaFunctionArn": FUNCTION},
        {"resourcePath": "/orders", "httpMethod": "POST", "authorizationType": "NONE", "apiKeyRequired": False,
         "integrationType": None, "integrationUri": None, "lambdaFunctionArn": None},
    ]
    assert "hunter2" not in str(orders) and "planted-token" not in str(orders)

    assert (internal["endpointTypes"], internal["public"], internal["disableExecuteApiEndpoint"]) == (
        ["PRIVATE"], False, True
    )
    assert json.loads(internal["policy"]) == VPCE_POLICY
    assert [(i["httpMethod"], i["integrationType"]) for i in internal["integrations"]] == [("GET", "MOCK")]

    assert (legacy["endpointTypes"], legacy["public"], legacy["integrations"]) == (["EDGE"], True, [])
    assert all(row["collectionErrors"] == [] for row in rows.values())
    # The embedded methods carry the integrations: no GetMethod or GetIntegration per method.
    assert regional.calls.by_operation() == {
        "apigateway:GetResources": 3, "apigateway:GetRestApis": 1, "sts:AssumeRole": 1
    }


def test_denied_resources_keep_the_api_and_say_what_is_missing(account_session, regional):
    ids = seed_apis(account_session)

    def deny_orders(params, **_):
        if ids["orders"] in params["url_path"]:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
            return AWSResponse("https://moto.test", 403, {}, None), error
        return None

    regional.session.events.register_last("before-call.api-gateway.GetResources", deny_orders)

    rows = collect_table(regional)

    assert rows["orders"]["integrations"] is None
    assert rows["orders"]["collectionErrors"] == ["apigateway:GetResources: AccessDeniedException"]
    assert rows["orders"]["public"] is True
    assert rows["internal"]["collectionErrors"] == []
    assert len(rows["internal"]["integrations"]) == 1


def test_apis_and_resources_are_read_past_the_first_page(account_session, regional):
    ids = seed_apis(account_session)
    client = account_session.client("apigateway", region_name=REGION)
    apis = client.get_rest_apis()["items"]
    resources = {api_id: client.get_resources(restApiId=api_id, embed=["methods"])["items"] for api_id in ids.values()}
    serve_in_pages(regional, "api-gateway", "GetRestApis", "items", lambda _: apis, token="position")
    serve_in_pages(
        regional, "api-gateway", "GetResources", "items", lambda params: resources[params["restApiId"]],
        token="position",
    )

    rows = collect_table(regional)

    assert sorted(rows) == ["internal", "legacy", "orders"]
    assert [(i["resourcePath"], i["httpMethod"]) for i in rows["orders"]["integrations"]] == [
        ("/", "ANY"), ("/orders", "GET"), ("/orders", "POST")
    ]
    calls = regional.calls.by_operation()
    # 3 APIs one per page; resources: orders 2 pages, internal 1, legacy 1.
    assert (calls["apigateway:GetRestApis"], calls["apigateway:GetResources"]) == (3, 4)


def test_lambda_function_arn_from_integration_uris():
    path = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions"
    assert apigateway.lambda_function_arn(INVOKE_URI) == FUNCTION
    assert apigateway.lambda_function_arn(f"{path}/{FUNCTION}:live/invocations") == FUNCTION
    assert apigateway.lambda_function_arn(f"{path}/{FUNCTION}:7/invocations") == FUNCTION
    assert apigateway.lambda_function_arn(f"{path}/{FUNCTION}:${{stageVariables.alias}}/invocations") == FUNCTION
    stage_chosen = f"{path}/arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:${{stageVariables.fn}}/invocations"
    assert apigateway.lambda_function_arn(stage_chosen) is None
    china = "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"
    assert apigateway.lambda_function_arn(
        f"arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/{china}/invocations"
    ) == china
    assert apigateway.lambda_function_arn(f"arn:aws:apigateway:{REGION}:s3:path/bucket/key") is None
    assert apigateway.lambda_function_arn(f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT_ID}/queue") is None
    assert apigateway.lambda_function_arn("https://example.com/lambda:path/functions/x/invocations") is None
    assert apigateway.lambda_function_arn(f"{path}/{FUNCTION}") is None
    assert apigateway.lambda_function_arn("") is None
    assert apigateway.lambda_function_arn(None) is None


def test_lambda_arn_only_for_aws_integrations():
    resources = [{"path": "/x", "resourceMethods": {"GET": {
        "httpMethod": "GET", "authorizationType": "NONE",
        "methodIntegration": {"type": "HTTP", "uri": INVOKE_URI},
    }}}]
    assert apigateway.integration_rows(resources)[0]["lambdaFunctionArn"] is None


def test_aws_shaped_escaped_and_url_encoded_policies():
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke",
         "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abc/*/GET/"}
    ]}
    # What GetRestApis really returns: the document with its quotes and slashes backslash-escaped.
    escaped = json.dumps(document, separators=(",", ":")).replace('"', '\\"').replace("/", "\\/")
    assert escaped.startswith('{\\"Version\\"')
    assert apigateway.policy_document(escaped) == document
    assert apigateway.policy_document(quote(json.dumps(document))) == document
    assert apigateway.policy_document(json.dumps(document)) == document
    assert apigateway.policy_document("not a policy") == "not a policy"
    assert apigateway.policy_document(None) is None

    api = {"id": "abc", "name": "escaped", "policy": escaped, "endpointConfiguration": {"types": ["EDGE"]}}
    row = apigateway.rest_api_row(api, ApiDetails(resources=[]), REGION)
    assert json.loads(row["policy"]) == document


def test_credentials_are_removed_from_http_integration_uris():
    redacted = apigateway.without_credentials("https://u:p@host.example:8443/a/b?key=v#frag")
    assert redacted == "https://host.example:8443/a/b"
    assert apigateway.without_credentials("http://${stageVariables.host}/v1") == "http://${stageVariables.host}/v1"
    assert apigateway.without_credentials(INVOKE_URI) == INVOKE_URI
    assert apigateway.without_credentials(None) is None


def test_api_without_endpoint_configuration_has_unknown_exposure():
    row = apigateway.rest_api_row({"id": "abc"}, ApiDetails(resources=None), REGION)
    assert (row["name"], row["public"], row["endpointTypes"], row["integrations"]) == ("abc", None, [], None)

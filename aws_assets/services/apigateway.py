"""API Gateway REST APIs of one region, with each method's authorization and integration target.

Calls per account and region: apigateway:GetRestApis, paginated (one call per 500 APIs); then per API,
concurrently, apigateway:GetResources with `embed=methods`, paginated (one call per 500 resources). The embedded
methods carry their integrations, so GetMethod and GetIntegration are never needed. HTTP APIs and WebSocket APIs
(apigatewayv2) are not REST APIs and are not collected here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pyarrow as pa

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    json_text,
    string,
    strings,
)
from aws_assets.services.common import console_link

LAMBDA_INTEGRATION_TYPES = {"AWS", "AWS_PROXY"}
# arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>[:<alias or version>]/invocations
LAMBDA_INVOCATION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/[0-9-]+/functions/"
    r"(?P<function>arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+)(?::[^/]+)?/invocations$"
)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiDetails:
    """The API's resources with their embedded methods; None when GetResources was denied."""

    resources: list[dict[str, Any]] | None = None
    collection_errors: list[str] = field(default_factory=list)


def rest_api_arn(region: str, api_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}"


def lambda_function_arn(uri: str | None) -> str | None:
    """The unqualified ARN of the Lambda function a Lambda integration URI invokes (the same ARN as the function's
    `_key`), or None when the URI is not a Lambda invocation or a stage variable chooses the function."""
    match = LAMBDA_INVOCATION_URI.match(uri or "")
    return match.group("function") if match else None


def without_credentials(uri: str | None) -> str | None:
    """An HTTP integration URI without user info and query string, where basic-auth passwords and tokens go."""
    if not uri or not uri.lower().startswith(("http://", "https://")):
        return uri
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _json_document(text: str) -> Any:
    try:
        decoded = json.loads(text)
        return json.loads(decoded) if isinstance(decoded, str) else decoded
    except json.JSONDecodeError:
        return None


def policy_document(policy: str | None) -> Any:
    """The resource policy as a document. GetRestApis returns it with its quotes escaped (`{\\"Version\\":...`),
    some older APIs URL-encoded; text that is none of these is kept as text."""
    if not policy:
        return None
    for text in (policy, unquote(policy)):
        for candidate in (text, f'"{text}"'):  # quoted, the escaped form is a JSON string holding the document
            document = _json_document(candidate)
            if document is not None:
                return document
    return policy


def integration_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for resource in sorted(resources, key=lambda resource: resource.get("path", "")):
        for http_method, method in sorted(resource.get("resourceMethods", {}).items()):
            integration = method.get("methodIntegration") or {}
            integration_type = integration.get("type")
            uri = integration.get("uri")
            invokes_lambda = integration_type in LAMBDA_INTEGRATION_TYPES
            rows.append(
                {
                    "resourcePath": resource.get("path"),
                    "httpMethod": method.get("httpMethod", http_method),
                    "authorizationType": method.get("authorizationType"),
                    "apiKeyRequired": method.get("apiKeyRequired"),
                    "integrationType": integration_type,
                    "integrationUri": without_credentials(uri),
                    "lambdaFunctionArn": lambda_function_arn(uri) if invokes_lambda else None,
                }
            )
    return rows


def rest_api_rows(apis: list[dict[str, Any]], details: list[ApiDetails], region: str) -> list[dict[str, Any]]:
    return [rest_api_row(api, detail, region) for api, detail in zip(apis, details, strict=True)]


def rest_api_row(api: dict[str, Any], details: ApiDetails, region: str) -> dict[str, Any]:
    api_id = api["id"]
    endpoint_types = (api.get("endpointConfiguration") or {}).get("types", [])
    policy = policy_document(api.get("policy"))
    return {
        "_key": rest_api_arn(region, api_id),
        "name": api.get("name") or api_id,
        "arn": rest_api_arn(region, api_id),
        "webLink": console_link(f"apigateway/home#/apis/{api_id}/resources", region),
        "createdOn": api.get("createdDate"),
        "tags": api.get("tags") or {},
        "category": ["application"],
        "function": "api-gateway",
        "public": "PRIVATE" not in endpoint_types if endpoint_types else None,
        "restApiId": api_id,
        "description": api.get("description"),
        "endpointTypes": endpoint_types,
        "apiKeySource": api.get("apiKeySource"),
        "disableExecuteApiEndpoint": api.get("disableExecuteApiEndpoint"),
        "policy": json.dumps(policy, sort_keys=True) if policy is not None else None,
        "integrations": integration_rows(details.resources) if details.resources is not None else None,
        "collectionErrors": details.collection_errors,
    }


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_api_details(aws: PartitionCollection, api_id: str) -> ApiDetails:
    calls = DetailCalls()
    resources = calls.get(
        "apigateway:GetResources",
        lambda: aws.paginate("apigateway", "get_resources", "items", restApiId=api_id, embed=["methods"]),
    )
    return ApiDetails(resources=resources, collection_errors=calls.errors)


def collect_rest_apis(aws: PartitionCollection) -> list[dict[str, Any]]:
    apis = aws.paginate("apigateway", "get_rest_apis", "items")
    details = aws.map_concurrently(lambda api: get_api_details(aws, api["id"]), apis)
    return rest_api_rows(apis, details, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

INTEGRATION_TYPE = pa.struct(
    [
        ("resourcePath", pa.string()),
        ("httpMethod", pa.string()),
        ("authorizationType", pa.string()),
        ("apiKeyRequired", pa.bool_()),
        ("integrationType", pa.string()),
        ("integrationUri", pa.string()),
        ("lambdaFunctionArn", pa.string()),
    ]
)

REST_API = EntityType(
    type="aws_api_gateway_rest_api",
    resource_policy="policy",
    classes=("Gateway",),
    description="API Gateway REST APIs: endpoint exposure, resource policy, and per method the authorization and "
    "the backend it invokes (the Lambda functions the API TRIGGERS).",
    columns=(
        string("restApiId", "API ID, the first label of its execute-api host name"),
        string("description", "The API's description"),
        strings("endpointTypes", "Endpoint types: EDGE, REGIONAL or PRIVATE (reachable only from VPC endpoints)"),
        string("apiKeySource", "Where API keys are read from: HEADER or AUTHORIZER"),
        boolean(
            "disableExecuteApiEndpoint",
            "Whether the default execute-api endpoint is off, so clients must come through a custom domain",
        ),
        json_text("policy", "Resource policy: who may invoke the API from where; null when none"),
        Column(
            "integrations",
            pa.list_(INTEGRATION_TYPE),
            "One entry per method: resourcePath, httpMethod, authorizationType (NONE means anyone who reaches the "
            "endpoint), apiKeyRequired, integrationType (AWS_PROXY, HTTP, MOCK...), integrationUri (user info and "
            "query string removed from HTTP URIs), lambdaFunctionArn (unqualified ARN of the Lambda function "
            "invoked, null when not a Lambda or chosen by a stage variable); null when the resources could not be read",
        ),
        strings(
            "collectionErrors", "Detail calls that were denied, e.g. `apigateway:GetResources: AccessDeniedException`"
        ),
    ),
    collect=collect_rest_apis,
    console="API Gateway > APIs",
)

SERVICE = Service(
    name="apigateway",
    title="API Gateway",
    scope=Scope.REGION,
    entity_types=(REST_API,),
    entity=ServiceEntity("aws_apigateway", "API Gateway", "networking", "apigateway/home", members=(REST_API,)),
)

"""Lambda functions of one region, with their resource policies and tags.

Calls per account and region: lambda:ListFunctions, paginated (one call per 50 functions); then per function,
concurrently, lambda:GetPolicy, lambda:GetFunctionUrlConfig (the URL of the unqualified function; URLs of aliases are
not collected) and lambda:ListTags. GetFunction is never called: it answers with a download URL of
the function's code. Environment variables are reduced to their names; their values never leave this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link

# ---- transforms (pure) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionDetails:
    """What the per-function calls returned; None where the function has none or access was denied."""

    policy: dict[str, Any] | None = None
    policy_readable: bool = True
    url_config: dict[str, Any] | None = None
    tags: dict[str, str] | None = None
    collection_errors: list[str] = field(default_factory=list)


def is_public_statement(statement: dict[str, Any]) -> bool:
    """An Allow for any principal (`*` or `{"AWS": "*"}`) that no condition narrows."""
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    principals = principal if isinstance(principal, list) else [principal]
    return statement.get("Effect") == "Allow" and "*" in principals and not statement.get("Condition")


def policy_is_public(policy: dict[str, Any]) -> bool:
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return any(is_public_statement(statement) for statement in statements)


def public_resource_policy(details: FunctionDetails) -> bool | None:
    if not details.policy_readable:
        return None
    return details.policy is not None and policy_is_public(details.policy)


def last_modified(text: str | None) -> datetime | None:
    """Lambda's `LastModified` is text, e.g. `2024-05-01T10:00:00.000+0000`."""
    return datetime.fromisoformat(text) if text else None


def function_rows(
    functions: list[dict[str, Any]], details: list[FunctionDetails], region: str
) -> list[dict[str, Any]]:
    return [function_row(function, detail, region) for function, detail in zip(functions, details, strict=True)]


def function_row(function: dict[str, Any], details: FunctionDetails, region: str) -> dict[str, Any]:
    name = function["FunctionName"]
    vpc = function.get("VpcConfig") or {}
    policy = details.policy
    url = details.url_config or {}
    return {
        "_key": function["FunctionArn"],
        "name": name,
        "arn": function["FunctionArn"],
        "webLink": console_link(f"lambda/home#/functions/{name}", region),
        "createdOn": None,  # Lambda reports only when the function last changed
        "tags": details.tags or {},
        "functionName": name,
        "runtime": function.get("Runtime"),
        "handler": function.get("Handler"),
        "role": function.get("Role"),
        "memorySize": function.get("MemorySize"),
        "timeout": function.get("Timeout"),
        "codeSize": function.get("CodeSize"),
        "codeSha256": function.get("CodeSha256"),
        "lastModified": last_modified(function.get("LastModified")),
        "version": function.get("Version"),
        "packageType": function.get("PackageType"),
        "architectures": function.get("Architectures", []),
        "vpcId": vpc.get("VpcId") or None,  # AWS answers "" for a function outside any VPC
        "subnetIds": vpc.get("SubnetIds", []),
        "securityGroupIds": vpc.get("SecurityGroupIds", []),
        "environmentVariableNames": sorted((function.get("Environment") or {}).get("Variables") or {}),
        "kmsKeyArn": function.get("KMSKeyArn"),
        "layers": [layer["Arn"] for layer in function.get("Layers", [])],
        "tracingMode": (function.get("TracingConfig") or {}).get("Mode"),
        "deadLetterTargetArn": (function.get("DeadLetterConfig") or {}).get("TargetArn"),
        "resourcePolicy": json.dumps(policy, sort_keys=True) if policy is not None else None,
        "publicResourcePolicy": public_resource_policy(details),
        "functionUrl": url.get("FunctionUrl"),
        "functionUrlAuthType": url.get("AuthType"),
        "functionUrlCors": json.dumps(url["Cors"], sort_keys=True) if url.get("Cors") else None,
        "functionUrlInvokeMode": url.get("InvokeMode"),
        "collectionErrors": details.collection_errors,
    }


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_function_details(aws: PartitionCollection, function_arn: str) -> FunctionDetails:
    client = aws.client("lambda")
    calls = DetailCalls()
    policy_text = calls.get(
        "lambda:GetPolicy", lambda: client.get_policy(FunctionName=function_arn)["Policy"], "ResourceNotFoundException"
    )
    policy_readable = not calls.errors
    url_config = calls.get(
        "lambda:GetFunctionUrlConfig",
        lambda: client.get_function_url_config(FunctionName=function_arn),
        "ResourceNotFoundException",
    )
    tags = calls.get("lambda:ListTags", lambda: client.list_tags(Resource=function_arn)["Tags"])
    return FunctionDetails(
        policy=json.loads(policy_text) if policy_text else None,
        policy_readable=policy_readable,
        url_config=url_config,
        tags=tags,
        collection_errors=calls.errors,
    )


def collect_functions(aws: PartitionCollection) -> list[dict[str, Any]]:
    functions = aws.paginate("lambda", "list_functions", "Functions")
    details = aws.map_concurrently(lambda function: get_function_details(aws, function["FunctionArn"]), functions)
    return function_rows(functions, details, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

LAMBDA_FUNCTION = EntityType(
    type="aws_lambda_function",
    resource_policy="resourcePolicy",
    classes=("Function", "Workload"),
    description="Lambda functions: execution role, network placement, who may invoke them (resource policy) and "
    "configuration metadata. Never the code, never environment variable values.",
    columns=(
        string("functionName", "Function name"),
        string("handler", "Entry point the runtime calls"),
        string("role", "ARN of the execution role: the IAM permissions the function's code runs with (aws_iam_role)"),
        integer("memorySize", "Memory in MB"),
        integer("timeout", "Maximum run time in seconds"),
        integer("codeSize", "Size of the deployment package in bytes"),
        string("codeSha256", "SHA-256 of the deployment package (base64): tells code versions apart"),
        timestamp("lastModified", "When the function's code or configuration last changed"),
        string("version", "Function version listed ($LATEST: the unpublished version)"),
        string("packageType", "Deployment package type: Zip or Image"),
        strings("architectures", "Instruction set architectures, e.g. x86_64, arm64"),
        string("vpcId", "VPC the function's network interfaces are in; null when it has no VPC access"),
        strings("subnetIds", "Subnets of the function's network interfaces"),
        strings("securityGroupIds", "Security groups of the function's network interfaces"),
        strings("environmentVariableNames", "Names of the environment variables (the values are never collected)"),
        string("kmsKeyArn", "Customer managed KMS key that encrypts the environment variables; null: AWS owned key"),
        strings("layers", "ARNs of the layer versions the function uses"),
        string("tracingMode", "X-Ray tracing mode: Active or PassThrough"),
        string("deadLetterTargetArn", "SQS queue or SNS topic that receives failed asynchronous invocations"),
        json_text("resourcePolicy", "Resource-based policy: who may invoke or manage the function; null when none"),
        boolean(
            "publicResourcePolicy",
            "Whether the resource policy allows any principal (`*`) without a condition; null when the policy "
            "could not be read",
        ),
        string("functionUrl", "HTTPS endpoint of the function URL, when the function has one"),
        string(
            "functionUrlAuthType",
            "Who may call the function URL: AWS_IAM (signed requests the policies allow) or NONE (anyone the "
            "resource policy lets call lambda:InvokeFunctionUrl, without signing: public when it allows `*`)",
        ),
        json_text(
            "functionUrlCors", "CORS settings of the function URL: origins, methods and headers browsers may use"
        ),
        string("functionUrlInvokeMode", "BUFFERED or RESPONSE_STREAM"),
        strings("collectionErrors", "Detail calls that were denied, e.g. `lambda:GetPolicy: AccessDeniedException`"),
    ),
    collect=collect_functions,
    console="Lambda > Functions",
)

SERVICE = Service(
    name="lambda",
    title="Lambda",
    scope=Scope.REGION,
    entity_types=(LAMBDA_FUNCTION,),
    entity=ServiceEntity("aws_lambda", "Lambda", "compute", "lambda/home", members=(LAMBDA_FUNCTION,)),
    kind="lambda",
)

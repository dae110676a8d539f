"""Lambda and API Gateway posture rules: environment variables named like secrets (names only: the values are
never collected), runtimes Lambda has deprecated, and public REST API methods anyone may call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from aws_assets.analysis.rules.model import PLACE, Detection, Rule, RuleInputs

# A name whose last word is one of these holds a credential (DB_PASSWORD, stripeSecret, API_TOKEN, SIGNING_KEY);
# one whose last word qualifies it (SECRET_ARN, TOKEN_URL, KMS_KEY_ID) names where a secret is, which is the fix.
SECRET_WORDS = frozenset({"password", "passwd", "pwd", "secret", "token", "key", "apikey", "credential",
                          "credentials", "passphrase"})
NOT_SECRET_KEYS = frozenset({"public", "partition", "sort", "primary", "cache", "idempotency", "s3", "object"})
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Deprecation dates of Lambda's managed runtimes (AWS Lambda Developer Guide, "Lambda runtimes": deprecated
# runtimes and the announced dates of those still supported); a runtime fires from its date on.
RUNTIME_DEPRECATION = {runtime: datetime.fromisoformat(day).replace(tzinfo=UTC) for runtime, day in {
    "nodejs": "2016-10-31", "nodejs4.3": "2020-03-05", "nodejs4.3-edge": "2019-04-30", "nodejs6.10": "2019-08-12",
    "nodejs8.10": "2020-03-06", "nodejs10.x": "2021-07-30", "nodejs12.x": "2023-03-31", "nodejs14.x": "2023-12-04",
    "nodejs16.x": "2024-06-12", "nodejs18.x": "2025-09-01", "nodejs20.x": "2026-04-30",
    "python2.7": "2021-07-15", "python3.6": "2022-07-18", "python3.7": "2023-12-04", "python3.8": "2024-10-14",
    "python3.9": "2025-12-15", "python3.10": "2026-06-30",
    "java8": "2024-01-08", "go1.x": "2024-01-08", "provided": "2024-01-08",
    "dotnetcore1.0": "2019-07-30", "dotnetcore2.0": "2019-05-30", "dotnetcore2.1": "2022-01-05",
    "dotnetcore3.1": "2023-04-03", "dotnet5.0": "2022-05-10", "dotnet6": "2024-12-20", "dotnet7": "2024-05-14",
    "dotnet8": "2026-11-10",
    "ruby2.5": "2021-07-30", "ruby2.7": "2023-12-07", "ruby3.2": "2026-03-31",
}.items()}


def secret_like(name: str) -> bool:
    words = [word.lower() for word in _WORDS.findall(name)]
    if not words or words[-1] not in SECRET_WORDS:
        return False
    return not (words[-1] == "key" and (len(words) == 1 or words[-2] in NOT_SECRET_KEYS))


def detect_secret_named_variables(inputs: RuleInputs) -> Iterator[Detection]:
    for function in inputs.rows("aws_lambda_function"):
        names = sorted(name for name in function["environmentVariableNames"] or () if secret_like(name))
        if names:
            yield Detection("aws_lambda_function", function["accountId"], function["region"], function["_key"], {
                "functionName": function["functionName"], "variableNames": names,
                "encryptedWithCustomerKey": function["kmsKeyArn"] is not None,
            })


def detect_deprecated_runtime(inputs: RuleInputs) -> Iterator[Detection]:
    for function in inputs.rows("aws_lambda_function"):
        deprecated = RUNTIME_DEPRECATION.get(function["runtime"] or "")
        if deprecated is not None and deprecated <= inputs.now:
            yield Detection("aws_lambda_function", function["accountId"], function["region"], function["_key"], {
                "functionName": function["functionName"], "runtime": function["runtime"],
                "deprecatedOn": deprecated.date().isoformat(),
            })


def detect_public_api_without_authorizer(inputs: RuleInputs) -> Iterator[Detection]:
    """Methods of a REST API reachable from the internet whose authorization is NONE (CORS preflight OPTIONS
    methods answer without authorization by design and are not counted)."""
    for api in inputs.rows("aws_api_gateway_rest_api"):
        if api["public"] is not True:
            continue
        open_methods = [
            {"resourcePath": m["resourcePath"], "httpMethod": m["httpMethod"], "apiKeyRequired": m["apiKeyRequired"]}
            for m in api["integrations"] or ()
            if (m.get("authorizationType") or "NONE") == "NONE" and m.get("httpMethod") != "OPTIONS"
        ]
        if open_methods:
            yield Detection("aws_api_gateway_rest_api", api["accountId"], api["region"], api["_key"], {
                "restApiId": api["restApiId"], "endpointTypes": list(api["endpointTypes"] or ()),
                "hasResourcePolicy": api["policy"] is not None, "methods": open_methods,
            })


_FUNCTION_READS = {"aws_lambda_function": (*PLACE, "functionName", "runtime", "environmentVariableNames",
                                           "kmsKeyArn")}

FUNCTION_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-LAMBDA-001", "medium", "Lambda environment variable named like a secret",
        "An environment variable's name ends in PASSWORD, SECRET, TOKEN, KEY, API_KEY, CREDENTIALS or the like "
        "(DB_PASSWORD, stripeSecret): a credential kept in the function's configuration, readable by anyone "
        "allowed `lambda:GetFunctionConfiguration`. Judged by name only: the values are never read. A name that "
        "says where the secret is (SECRET_ARN, TOKEN_URL, KMS_KEY_ID, PUBLIC_KEY) is not flagged.",
        _FUNCTION_READS, detect_secret_named_variables,
        remediation="Keep the secret in Secrets Manager or Parameter Store (SecureString), pass its ARN in the "
        "variable instead, and give the execution role `secretsmanager:GetSecretValue` on it.",
    ),
    Rule(
        "AWS-LAMBDA-002", "medium", "Lambda function on a deprecated runtime",
        "The function's runtime has reached its deprecation date (AWS's Lambda runtimes page): it gets no security "
        "patches, and updates to the function are blocked soon after.",
        _FUNCTION_READS, detect_deprecated_runtime,
        remediation="Move the function to a supported runtime of its language (`aws lambda "
        "update-function-configuration --runtime <runtime>`) and test it.",
    ),
    Rule(
        "AWS-APIGW-001", "high", "Public REST API method without authorization",
        "A REST API reachable from the internet (an EDGE or REGIONAL endpoint) has methods whose authorization "
        "is NONE: anyone who reaches the endpoint may call them (an API key identifies, it does not authorize). "
        "Private APIs and CORS OPTIONS methods are not flagged. Evidence: the methods.",
        {"aws_api_gateway_rest_api": (*PLACE, "restApiId", "public", "endpointTypes", "policy", "integrations")},
        detect_public_api_without_authorizer,
        remediation="Give each method an authorizer (IAM, a Cognito user pool or a Lambda authorizer), or make the "
        "API PRIVATE behind VPC endpoints.",
    ),
)

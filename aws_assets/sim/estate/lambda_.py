"""Lambda: ``<env>-orders-api`` (us-east-1; environment holds ``DB_PASSWORD=super-secret-value``, which the product must
never store; resource policy letting API Gateway invoke it), ``<env>-orders-worker`` (us-east-1, in the private subnet
with the app group) and bulk ``<env>-job-NN`` (round-robin over the regions): prod 2, dev 1, shared 1. All run as
``lambda-execution`` on python3.12, but ``dev-job-01`` on the deprecated python3.8. Only in prod, ``prod-orders-api``
also has a function URL that anyone may call unsigned (AuthType NONE, and a resource policy statement letting ``*`` call
lambda:InvokeFunctionUrl; AWS conditions it on ``lambda:FunctionUrlAuthType``, which moto leaves out).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_assets.sim.accounts import ACCOUNTS, DEV, HOME_REGION, PROD, SHARED, spread_over_regions
from aws_assets.sim.estate import ec2, iam
from aws_assets.sim.seeder import AccountContext, Output, Seeder

LAMBDA_ENVIRONMENT_SECRET = "super-secret-value"
ORDERS_API_FUNCTION_ARN = Output[str]("the function behind the orders REST API")

JOB_FUNCTIONS = {PROD: 2, DEV: 1, SHARED: 1}  # multiplied by scale
# The one job nobody moved off a runtime Lambda has deprecated (python3.8, on 2024-10-14).
_LEGACY_JOB, _LEGACY_RUNTIME = (DEV, 1), "python3.8"


@dataclass(frozen=True)
class _Function:
    name: str
    region: str
    description: str
    environment: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    in_vpc: bool = False  # in the region's first private subnet, with the app group
    timeout: int | None = None  # seconds; Lambda's default when None
    backs_orders_api: bool = False
    public_url: bool = False  # a function URL anyone may call without signing
    runtime: str = "python3.12"


def _functions(account_id: str, scale: int) -> list[_Function]:
    env = ACCOUNTS[account_id]
    return [
        _Function(
            f"{env}-orders-api",
            HOME_REGION,
            "Backs the orders REST API",
            {"STAGE": env, "DB_PASSWORD": LAMBDA_ENVIRONMENT_SECRET},
            tags={"Service": "orders"},
            backs_orders_api=True,
            public_url=account_id == PROD,
        ),
        _Function(
            f"{env}-orders-worker",
            HOME_REGION,
            "Processes orders inside the VPC",
            {"STAGE": env, "API_TOKEN": LAMBDA_ENVIRONMENT_SECRET},
            in_vpc=True,
            timeout=60,
        ),
        *(
            _Function(f"{env}-job-{number:02d}", spread_over_regions(number), "Scheduled batch job",
                      {"LOG_LEVEL": "INFO"},
                      runtime=_LEGACY_RUNTIME if (account_id, number) == _LEGACY_JOB else "python3.12")
            for number in range(1, JOB_FUNCTIONS[account_id] * scale + 1)
        ),
    ]


def _seed(account: AccountContext) -> None:
    common = {
        "Role": account[iam.LAMBDA_ROLE_ARN],
        "Handler": "handler.handler",
        "Code": {"ZipFile": _handler_zip()},
    }
    for function in _functions(account.account_id, account.scale):
        awslambda = account.clients("lambda", function.region)
        arguments: dict[str, Any] = {
            "FunctionName": function.name,
            "Description": function.description,
            "Environment": {"Variables": dict(function.environment)},
            "Runtime": function.runtime,
            **common,
        }
        if function.tags:
            arguments["Tags"] = dict(function.tags)
        if function.in_vpc:
            network = account[ec2.NETWORKS][function.region]
            # moto answers this VpcConfig with the placeholder VpcId "vpc-123abc", whatever the subnet.
            arguments["VpcConfig"] = {
                "SubnetIds": [network.private_subnet_ids[0]],
                "SecurityGroupIds": [network.app_security_group_id],
            }
        if function.timeout:
            arguments["Timeout"] = function.timeout
        function_arn = awslambda.create_function(**arguments)["FunctionArn"]
        if function.backs_orders_api:
            awslambda.add_permission(
                FunctionName=function.name,
                StatementId="apigateway-invoke",
                Action="lambda:InvokeFunction",
                Principal="apigateway.amazonaws.com",
                SourceArn=f"arn:aws:execute-api:{function.region}:{account.account_id}:*/*/*/items",
            )
            account[ORDERS_API_FUNCTION_ARN] = function_arn
        if function.public_url:
            awslambda.create_function_url_config(FunctionName=function.name, AuthType="NONE")
            awslambda.add_permission(
                FunctionName=function.name,
                StatementId="function-url-anyone",
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
            )


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_lambda": 1,  # aws-assets models each service of an account as one entity
        "aws_lambda_function": len(_functions(account_id, scale)),
    }


SEEDER = Seeder(seed=_seed, counts=_counts, after=(iam.SEEDER, ec2.SEEDER))


def _handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "handler.py",
            "def handler(event, context):\n    return {'statusCode': 200, 'body': '[]'}\n",
        )
    return buffer.getvalue()

"""API Gateway (us-east-1): ``<env>-orders-api`` (REGIONAL; GET and POST /items are AWS_PROXY integrations with the
Lambda function ``<env>-orders-api``; GET /health is MOCK; stage ``v1``; every method is open in dev and shared and
authorized by IAM in prod) and ``<env>-status-page`` (EDGE; GET / is
MOCK).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_assets.sim.accounts import HOME_REGION, PROD
from aws_assets.sim.estate import lambda_
from aws_assets.sim.seeder import AccountContext, Seeder

# The orders API's authorization by account (NONE elsewhere): prod's callers sign their requests with IAM.
_ORDERS_API_AUTHORIZATION = {PROD: "AWS_IAM"}


def _seed_orders_api(apigateway: Any, account: AccountContext) -> None:
    function_arn = account[lambda_.ORDERS_API_FUNCTION_ARN]
    lambda_uri = f"arn:aws:apigateway:{HOME_REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    orders_api = apigateway.create_rest_api(
        name=f"{account.name}-orders-api",
        description="Orders service",
        endpointConfiguration={"types": ["REGIONAL"]},
    )["id"]
    root = _root_resource_id(apigateway, orders_api)
    items = apigateway.create_resource(restApiId=orders_api, parentId=root, pathPart="items")["id"]
    authorization = _ORDERS_API_AUTHORIZATION.get(account.account_id, "NONE")
    for method in ("GET", "POST"):
        apigateway.put_method(restApiId=orders_api, resourceId=items, httpMethod=method,
                              authorizationType=authorization)
        apigateway.put_integration(
            restApiId=orders_api,
            resourceId=items,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",  # Lambda is always invoked with POST
            uri=lambda_uri,
        )
    health = apigateway.create_resource(restApiId=orders_api, parentId=root, pathPart="health")["id"]
    _mock_get(apigateway, orders_api, health, authorization)
    apigateway.create_deployment(restApiId=orders_api, stageName="v1")


def _seed_status_page(apigateway: Any, account: AccountContext) -> None:
    status_page = apigateway.create_rest_api(
        name=f"{account.name}-status-page",
        description="Static status page",
        endpointConfiguration={"types": ["EDGE"]},
    )["id"]
    _mock_get(apigateway, status_page, _root_resource_id(apigateway, status_page))


# Every REST API of an account, each created by its function in the home region.
_REST_APIS: tuple[Callable[[Any, AccountContext], None], ...] = (_seed_orders_api, _seed_status_page)


def _seed(account: AccountContext) -> None:
    apigateway = account.clients("apigateway", HOME_REGION)
    for seed_rest_api in _REST_APIS:
        seed_rest_api(apigateway, account)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_apigateway": 1,  # aws-assets models each service of an account as one entity
        "aws_api_gateway_rest_api": len(_REST_APIS),
    }


SEEDER = Seeder(seed=_seed, counts=_counts, after=(lambda_.SEEDER,))


def _root_resource_id(apigateway: Any, rest_api_id: str) -> str:
    resources = apigateway.get_resources(restApiId=rest_api_id)["items"]
    return next(resource["id"] for resource in resources if resource["path"] == "/")


def _mock_get(apigateway: Any, rest_api_id: str, resource_id: str, authorization: str = "NONE") -> None:
    apigateway.put_method(restApiId=rest_api_id, resourceId=resource_id, httpMethod="GET",
                          authorizationType=authorization)
    apigateway.put_integration(
        restApiId=rest_api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )

"""DynamoDB: ``<env>-orders`` (us-east-1, on-demand, SSE-KMS, point-in-time recovery; prod's holds the only item),
``<env>-sessions`` (us-east-1, provisioned, AWS owned key, no PITR) and bulk ``<env>-events-NN`` (on-demand, odd
ones SSE-KMS, round-robin over the regions): prod 2, dev 1, shared 1. SSE-KMS uses the region's KMS key
``alias/<env>-data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_assets.sim.accounts import (
    ACCOUNTS,
    DEV,
    HOME_REGION,
    PROD,
    SAMPLE_DATA_ACCOUNT,
    SHARED,
    spread_over_regions,
)
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Seeder

_EVENT_TABLES = {PROD: 2, DEV: 1, SHARED: 1}  # multiplied by scale


@dataclass(frozen=True)
class _Table:
    name: str
    region: str
    on_demand: bool
    kms_encrypted: bool = False
    point_in_time_recovery: bool = False
    holds_sample_item: bool = False


def _tables(account_id: str, scale: int) -> list[_Table]:
    env = ACCOUNTS[account_id]
    return [
        _Table(
            f"{env}-orders",
            HOME_REGION,
            on_demand=True,
            kms_encrypted=True,
            point_in_time_recovery=True,
            holds_sample_item=account_id == SAMPLE_DATA_ACCOUNT,
        ),
        _Table(f"{env}-sessions", HOME_REGION, on_demand=False),
        *(
            _Table(f"{env}-events-{number:02d}", spread_over_regions(number), on_demand=True,
                   kms_encrypted=number % 2 == 1)
            for number in range(1, _EVENT_TABLES[account_id] * scale + 1)
        ),
    ]


def _seed(account: AccountContext) -> None:
    for table in _tables(account.account_id, account.scale):
        dynamodb = account.clients("dynamodb", table.region)
        _create_table(dynamodb, table, account[kms.DATA_KEY_ARNS][table.region])
        if table.point_in_time_recovery:
            dynamodb.update_continuous_backups(
                TableName=table.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        if table.holds_sample_item:
            dynamodb.put_item(TableName=table.name, Item={"pk": {"S": "order#1"}, "total_cents": {"N": "4200"}})


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_dynamodb": 1,  # aws-assets models each service of an account as one entity
        "aws_dynamodb_table": len(_tables(account_id, scale)),
    }


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))


def _create_table(dynamodb: Any, table: _Table, kms_key_arn: str) -> None:
    arguments: dict[str, Any] = {
        "TableName": table.name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "Tags": [{"Key": "Table", "Value": table.name}],
    }
    if table.on_demand:
        arguments["BillingMode"] = "PAY_PER_REQUEST"
    else:
        arguments["BillingMode"] = "PROVISIONED"
        arguments["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if table.kms_encrypted:
        arguments["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn}
    dynamodb.create_table(**arguments)

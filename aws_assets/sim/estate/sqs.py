"""SQS, in us-east-1: ``<env>-order-events`` (SSE-KMS with ``alias/<env>-data``, a redrive policy to its dead-letter
queue after 5 receives, and a queue policy letting anyone (``*``) send only when ``aws:SourceArn`` is the account's
``<env>-orders`` SNS topic, the form AWS documents for topic subscriptions) and ``<env>-order-events-dlq``
(SSE-SQS).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_assets.sim.accounts import HOME_REGION
from aws_assets.sim.documents import policy_document
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Output, Seeder

ORDER_EVENTS_QUEUE_ARN = Output[str]("the queue the orders topic delivers to")


def orders_topic_arn(account: AccountContext) -> str:
    """The ARN the SNS seeder gives the account's orders topic (a topic's ARN is its region, account and name)."""
    return f"arn:aws:sns:{HOME_REGION}:{account.account_id}:{account.name}-orders"


def _seed(account: AccountContext) -> None:
    sqs = account.clients("sqs", HOME_REGION)
    prefix = f"arn:aws:sqs:{HOME_REGION}:{account.account_id}"
    dead_letter_arn = f"{prefix}:{account.name}-order-events-dlq"
    queue_arn = f"{prefix}:{account.name}-order-events"
    sqs.create_queue(QueueName=f"{account.name}-order-events-dlq", Attributes={"SqsManagedSseEnabled": "true"})
    topic_sends = {
        "Sid": "OrdersTopicSends", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": orders_topic_arn(account)}},
    }
    sqs.create_queue(QueueName=f"{account.name}-order-events", Attributes={
        "KmsMasterKeyId": account[kms.DATA_KEY_ARNS][HOME_REGION],
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 5}),
        "Policy": policy_document(topic_sends),
    }, tags={"Service": "orders"})
    account[ORDER_EVENTS_QUEUE_ARN] = queue_arn


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {"aws_sqs": 1, "aws_sqs_queue": 2}  # aws-assets models each service of an account as one entity


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))

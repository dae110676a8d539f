"""SQS queues of one region: encryption, delivery settings, dead-letter queue and the queue policy.

Calls per account and region: sqs:ListQueues, paginated (one call per 1,000 queues); then per queue, concurrently,
sqs:GetQueueAttributes for the named attributes below and sqs:ListQueueTags. Messages are never received or peeked
at, and the approximate message counts are not collected: they change with traffic, not with the queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
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
from aws_assets.services.common import console_link, policy_json

# ListQueues answers at most 1,000 queues, and pages only when MaxResults is given.
LIST_QUEUES_PAGE_SIZE = 1000
ATTRIBUTES = (
    "QueueArn", "CreatedTimestamp", "LastModifiedTimestamp", "VisibilityTimeout", "MessageRetentionPeriod",
    "MaximumMessageSize", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "Policy", "RedrivePolicy",
    "FifoQueue", "ContentBasedDeduplication", "KmsMasterKeyId", "SqsManagedSseEnabled",
)
QUEUE_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass
class QueueDetails:
    """A listed queue's URL and detail responses; None where AWS refused the call."""

    url: str
    attributes: dict[str, str] | None = None
    tags: dict[str, str] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def queue_arn(url: str, region: str) -> str:
    """The ARN of a queue URL `https://sqs.<region>.amazonaws.com/<account>/<name>`."""
    account_id, name = url.rstrip("/").rsplit("/", 2)[-2:]
    return f"arn:aws:sqs:{region}:{account_id}:{name}"


def epoch(text: str | None) -> datetime | None:
    """SQS's timestamps are epoch seconds, as text (whole seconds on AWS, fractional on moto)."""
    return datetime.fromtimestamp(float(text), tz=UTC) if text else None


def number(text: str | None) -> int | None:
    return int(text) if text is not None else None


def flag(text: str | None) -> bool | None:
    return None if text is None else text.lower() == "true"


def encryption(attributes: dict[str, str]) -> str | None:
    if attributes.get("KmsMasterKeyId"):
        return "SSE-KMS"
    if flag(attributes.get("SqsManagedSseEnabled")):
        return "SSE-SQS"
    return None


def queue_row(details: QueueDetails, region: str) -> dict[str, Any]:
    name = queue_name(details.url)
    arn = queue_arn(details.url, region)
    attributes = details.attributes
    row: dict[str, Any] = {
        "_key": arn,
        "name": name,
        "arn": arn,
        "webLink": console_link(f"sqs/v3/home#/queues/{details.url.replace(':', '%3A').replace('/', '%2F')}", region),
        "tags": details.tags or {},
        "queueUrl": details.url,
        "queueName": name,
        "fifo": name.endswith(".fifo"),  # AWS requires the suffix of FIFO queues, and only of them
        "collectionErrors": details.errors,
    }
    if attributes is None:
        return row
    redrive = json.loads(attributes["RedrivePolicy"]) if attributes.get("RedrivePolicy") else {}
    sse = encryption(attributes)
    return {
        **row,
        "createdOn": epoch(attributes.get("CreatedTimestamp")),
        "lastModified": epoch(attributes.get("LastModifiedTimestamp")),
        "encrypted": sse is not None,
        "encryption": sse,
        "kmsKeyId": attributes.get("KmsMasterKeyId") or None,
        "visibilityTimeout": number(attributes.get("VisibilityTimeout")),
        "messageRetentionPeriod": number(attributes.get("MessageRetentionPeriod")),
        "maximumMessageSize": number(attributes.get("MaximumMessageSize")),
        "delaySeconds": number(attributes.get("DelaySeconds")),
        "receiveMessageWaitTimeSeconds": number(attributes.get("ReceiveMessageWaitTimeSeconds")),
        "contentBasedDeduplication": flag(attributes.get("ContentBasedDeduplication")),
        "deadLetterTargetArn": redrive.get("deadLetterTargetArn"),
        "maxReceiveCount": number(redrive.get("maxReceiveCount")) if "maxReceiveCount" in redrive else None,
        "policy": policy_json(attributes.get("Policy")),
    }


def queue_rows(queues: list[QueueDetails], region: str) -> list[dict[str, Any]]:
    return [queue_row(queue, region) for queue in queues]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_queue_details(aws: PartitionCollection, url: str) -> QueueDetails:
    sqs = aws.client("sqs")
    calls = DetailCalls()
    attributes = calls.get(
        "sqs:GetQueueAttributes",
        lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(ATTRIBUTES)).get("Attributes", {}),
        *QUEUE_MISSING,
    )
    tags = calls.get("sqs:ListQueueTags", lambda: sqs.list_queue_tags(QueueUrl=url).get("Tags", {}), *QUEUE_MISSING)
    return QueueDetails(url=url, attributes=attributes, tags=tags, errors=calls.errors)


def collect_queues(aws: PartitionCollection) -> list[dict[str, Any]]:
    urls = aws.paginate("sqs", "list_queues", "QueueUrls", PaginationConfig={"PageSize": LIST_QUEUES_PAGE_SIZE})
    return queue_rows(aws.map_concurrently(partial(get_queue_details, aws), urls), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

SQS_QUEUE = EntityType(
    type="aws_sqs_queue",
    resource_policy="policy",
    classes=("Queue",),
    description="SQS queues: encryption, delivery settings, dead-letter queue and the queue policy (who may send, "
    "receive or manage messages). Never a message, never the message counts.",
    columns=(
        string("queueUrl", "Queue URL, which the SQS API names the queue by"),
        string("queueName", "Queue name"),
        boolean("fifo", "Whether the queue is a FIFO queue (its name ends in `.fifo`)"),
        timestamp("lastModified", "When the queue's attributes last changed"),
        boolean("encrypted", "Whether messages are encrypted at rest (SSE-SQS or SSE-KMS); null when unreadable"),
        string("encryption", "SSE-KMS (a KMS key), SSE-SQS (keys SQS owns) or null (not encrypted)"),
        string("kmsKeyId", "KMS key of SSE-KMS as the queue names it: key ID, key ARN, alias name or alias ARN"),
        integer("visibilityTimeout", "Seconds a received message stays hidden from other consumers"),
        integer("messageRetentionPeriod", "Seconds SQS keeps a message"),
        integer("maximumMessageSize", "Largest message in bytes"),
        integer("delaySeconds", "Seconds each message is delayed before delivery"),
        integer("receiveMessageWaitTimeSeconds", "Long polling wait in seconds (0: short polling)"),
        boolean("contentBasedDeduplication", "FIFO queues: whether SQS deduplicates by a hash of the body"),
        string("deadLetterTargetArn", "ARN of the dead-letter queue that receives messages received too often"),
        integer("maxReceiveCount", "Receives of a message before SQS moves it to the dead-letter queue"),
        json_text("policy", "Queue policy: who may send, receive or manage messages; null when none"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_queues,
    console="SQS > Queues",
)

SERVICE = Service(
    name="sqs",
    title="SQS",
    scope=Scope.REGION,
    entity_types=(SQS_QUEUE,),
    entity=ServiceEntity("aws_sqs", "SQS", "messaging", "sqs/v3/home", members=(), members_beyond_spec=(SQS_QUEUE,)),
    kind="sqs",
)

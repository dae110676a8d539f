"""SNS topics and their subscriptions, of one region: encryption, subscriptions and the topic policy.

Calls per account and region: sns:ListTopics and sns:ListSubscriptions, each paginated (one call per 100
subscriptions or topics); then per topic, concurrently, sns:GetTopicAttributes and sns:ListTagsForResource.
Messages are never published. A subscription's endpoint is kept only where it names an AWS resource (an SQS queue,
Lambda function, Firehose stream or platform endpoint ARN); e-mail addresses, phone numbers and URLs are personal
or secret-bearing (URLs may carry tokens) and are never stored: the protocol says what kind of endpoint it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
)
from aws_assets.services.common import console_link, policy_json, tags_from_list

# Protocols whose endpoint is an AWS resource's ARN.
ARN_ENDPOINT_PROTOCOLS = frozenset({"sqs", "lambda", "firehose", "application"})
TOPIC_MISSING = ("NotFound", "NotFoundException")


@dataclass
class TopicDetails:
    """A listed topic's detail responses; None where AWS refused the call."""

    arn: str
    attributes: dict[str, str] | None = None
    tags: list[dict[str, str]] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def count(text: str | None) -> int | None:
    return int(text) if text is not None else None


def flag(text: str | None) -> bool | None:
    return None if text is None else text.lower() == "true"


def topic_row(details: TopicDetails, region: str) -> dict[str, Any]:
    name = topic_name(details.arn)
    row: dict[str, Any] = {
        "_key": details.arn,
        "name": name,
        "arn": details.arn,
        "webLink": console_link(f"sns/v3/home#/topic/{details.arn}", region),
        "tags": tags_from_list(details.tags),
        "topicName": name,
        "fifo": name.endswith(".fifo"),  # AWS requires the suffix of FIFO topics, and only of them
        "collectionErrors": details.errors,
    }
    attributes = details.attributes
    if attributes is None:
        return row
    return {
        **row,
        "topicDisplayName": attributes.get("DisplayName") or None,
        "owner": attributes.get("Owner"),
        "encrypted": bool(attributes.get("KmsMasterKeyId")),
        "kmsKeyId": attributes.get("KmsMasterKeyId") or None,
        "contentBasedDeduplication": flag(attributes.get("ContentBasedDeduplication")),
        "subscriptionsConfirmed": count(attributes.get("SubscriptionsConfirmed")),
        "subscriptionsPending": count(attributes.get("SubscriptionsPending")),
        "policy": policy_json(attributes.get("Policy")),
    }


def topic_rows(topics: list[TopicDetails], region: str) -> list[dict[str, Any]]:
    return [topic_row(topic, region) for topic in topics]


def subscription_row(subscription: dict[str, Any], region: str) -> dict[str, Any] | None:
    """None for a subscription still pending confirmation: AWS gives it no ARN yet."""
    arn = subscription.get("SubscriptionArn", "")
    if not arn.startswith("arn:"):
        return None
    protocol = subscription.get("Protocol")
    return {
        "_key": arn,
        "name": arn.rsplit(":", 1)[-1],
        "arn": arn,
        "webLink": console_link(f"sns/v3/home#/subscription/{arn}", region),
        "subscriptionArn": arn,
        "topicArn": subscription.get("TopicArn"),
        "owner": subscription.get("Owner"),
        "protocol": protocol,
        "endpoint": subscription.get("Endpoint") if protocol in ARN_ENDPOINT_PROTOCOLS else None,
    }


def subscription_rows(subscriptions: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    rows = (subscription_row(subscription, region) for subscription in subscriptions)
    return [row for row in rows if row is not None]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_topic_details(aws: PartitionCollection, arn: str) -> TopicDetails:
    sns = aws.client("sns")
    calls = DetailCalls()
    attributes = calls.get(
        "sns:GetTopicAttributes", lambda: sns.get_topic_attributes(TopicArn=arn)["Attributes"], *TOPIC_MISSING
    )
    tags = calls.get(
        "sns:ListTagsForResource", lambda: sns.list_tags_for_resource(ResourceArn=arn)["Tags"], *TOPIC_MISSING
    )
    return TopicDetails(arn=arn, attributes=attributes, tags=tags, errors=calls.errors)


def collect_topics(aws: PartitionCollection) -> list[dict[str, Any]]:
    arns = [topic["TopicArn"] for topic in aws.paginate("sns", "list_topics", "Topics")]
    return topic_rows(aws.map_concurrently(partial(get_topic_details, aws), arns), aws.region)


def collect_subscriptions(aws: PartitionCollection) -> list[dict[str, Any]]:
    return subscription_rows(aws.paginate("sns", "list_subscriptions", "Subscriptions"), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

SNS_TOPIC = EntityType(
    type="aws_sns_topic",
    resource_policy="policy",
    classes=("Channel",),
    description="SNS topics: encryption, subscription counts and the topic policy (who may publish, subscribe or "
    "manage the topic). Never a message.",
    columns=(
        string("topicName", "Topic name"),
        string("topicDisplayName", "Display name, used as the sender of SMS and e-mail messages"),
        string("owner", "Account ID of the topic's owner"),
        boolean("fifo", "Whether the topic is a FIFO topic (its name ends in `.fifo`)"),
        boolean("encrypted", "Whether messages are encrypted at rest with a KMS key (server-side encryption)"),
        string("kmsKeyId", "KMS key of server-side encryption as the topic names it: key ID, ARN or alias"),
        boolean("contentBasedDeduplication", "FIFO topics: whether SNS deduplicates by a hash of the body"),
        integer("subscriptionsConfirmed", "Confirmed subscriptions (SNS updates the count about every minute)"),
        integer("subscriptionsPending", "Subscriptions awaiting confirmation (updated about every minute)"),
        json_text("policy", "Topic policy: who may publish, subscribe or manage the topic"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_topics,
    console="SNS > Topics",
)

SNS_SUBSCRIPTION = EntityType(
    type="aws_sns_subscription",
    classes=("Subscription",),
    description="Confirmed SNS subscriptions: which topic delivers to which protocol and, for AWS resources "
    "(SQS, Lambda, Firehose, platform endpoints), to which ARN. E-mail addresses, phone numbers and URLs are never "
    "stored.",
    columns=(
        string("subscriptionArn", "Subscription ARN"),
        string("topicArn", "ARN of the topic that delivers to the subscription (aws_sns_topic)"),
        string("owner", "Account ID of the subscription's owner"),
        string("protocol", "Delivery protocol: sqs, lambda, firehose, application, http, https, email, email-json "
               "or sms"),
        string(
            "endpoint",
            "ARN of the receiving resource for the sqs, lambda, firehose and application protocols; null for the "
            "others, whose endpoints (e-mail addresses, phone numbers, URLs) are personal or secret-bearing",
        ),
    ),
    collect=collect_subscriptions,
    console="SNS > Subscriptions",
)

SERVICE = Service(
    name="sns",
    title="SNS",
    scope=Scope.REGION,
    entity_types=(SNS_TOPIC, SNS_SUBSCRIPTION),
    entity=ServiceEntity(
        "aws_sns", "SNS", "messaging", "sns/v3/home", members=(), members_beyond_spec=(SNS_TOPIC, SNS_SUBSCRIPTION)
    ),
    kind="sns",
)

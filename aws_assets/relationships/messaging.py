"""Where messages go: SNS topics to their subscribers, SQS queues and Lambda functions to their dead-letter queues.

JupiterOne's live graph has `aws_lambda_function ASYNC_NOTIFIES aws_sqs_queue` (a function's failed asynchronous
invocations); the other edges are beyond it and take JupiterOne's verbs for the same kind of link (`HAS` for what a
resource is made of, `NOTIFIES` for where it delivers events). A subscriber or dead-letter target is joined by its
ARN, so one in another account is found when the lake holds it.
"""

from __future__ import annotations

from aws_assets.model.entity import integer, string
from aws_assets.model.relationship import RelationshipType


def topic_notifies(target_type: str, protocol: str) -> RelationshipType:
    return RelationshipType(
        "aws_sns_topic", "NOTIFIES", target_type,
        f"The topic delivers its messages to the {target_type} through a confirmed `{protocol}` subscription.",
        "SELECT t._key AS _fromEntityKey, r._key AS _toEntityKey, t.accountId, s.subscriptionArn "
        f"FROM aws_sns_subscription s JOIN aws_sns_topic t ON t._key = s.topicArn "
        f"JOIN {target_type} r ON r._key = s.endpoint WHERE s.protocol = '{protocol}'",
        properties=(string("subscriptionArn", "The subscription that delivers the messages"),),
        in_spec=False,
    )


def function_dead_letter(target_type: str) -> RelationshipType:
    return RelationshipType(
        "aws_lambda_function", "ASYNC_NOTIFIES", target_type,
        f"The function sends the events of failed asynchronous invocations to the {target_type} (its dead-letter "
        "queue, `deadLetterTargetArn`).",
        "SELECT f._key AS _fromEntityKey, r._key AS _toEntityKey, f.accountId "
        f"FROM aws_lambda_function f JOIN {target_type} r ON r._key = f.deadLetterTargetArn",
        in_spec=False,
    )


RELATIONSHIPS = (
    RelationshipType(
        "aws_sns_topic", "HAS", "aws_sns_subscription",
        "The subscription is the topic's.",
        "SELECT t._key AS _fromEntityKey, s._key AS _toEntityKey, t.accountId "
        "FROM aws_sns_subscription s JOIN aws_sns_topic t ON t._key = s.topicArn",
        in_spec=False,
    ),
    topic_notifies("aws_sqs_queue", "sqs"),
    topic_notifies("aws_lambda_function", "lambda"),
    RelationshipType(
        "aws_sqs_queue", "SENDS", "aws_sqs_queue",
        "The queue moves messages received too often to this one, its dead-letter queue (the redrive policy).",
        "SELECT q._key AS _fromEntityKey, d._key AS _toEntityKey, q.accountId, q.maxReceiveCount "
        "FROM aws_sqs_queue q JOIN aws_sqs_queue d ON d._key = q.deadLetterTargetArn",
        properties=(integer("maxReceiveCount", "Receives of a message before SQS moves it to the dead-letter queue"),),
        in_spec=False,
    ),
    function_dead_letter("aws_sqs_queue"),
    function_dead_letter("aws_sns_topic"),
)

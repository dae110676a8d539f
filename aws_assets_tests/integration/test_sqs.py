import json

from aws_assets.services import sqs
from aws_assets.services.sqs import QueueDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:orders-events"
MESSAGE = "card 4111 1111 1111 1111"


def seed_queues(account_session) -> None:
    """`orders`: SSE-KMS, a dead-letter queue, a policy letting one SNS topic send; `orders-dlq`: SSE-SQS;
    `events.fifo`: FIFO, no policy. `orders` holds a message the collector must never read."""
    client = account_session.client("sqs", region_name=REGION)
    client.create_queue(QueueName="orders-dlq", Attributes={"SqsManagedSseEnabled": "true"})
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TopicSends", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
        "Resource": f"{QUEUE_ARN}:orders", "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}},
    }]}
    url = client.create_queue(QueueName="orders", Attributes={
        "KmsMasterKeyId": "alias/orders", "VisibilityTimeout": "45", "MessageRetentionPeriod": "86400",
        "Policy": json.dumps(policy),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": f"{QUEUE_ARN}:orders-dlq", "maxReceiveCount": 5}),
    }, tags={"team": "orders"})["QueueUrl"]
    client.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})
    client.send_message(QueueUrl=url, MessageBody=MESSAGE)


def collect(regional) -> dict[str, dict]:
    table = sqs.SQS_QUEUE.to_table(sqs.SQS_QUEUE.collect(regional), ACCOUNT_ID, REGION)
    return {row["name"]: row for row in table.to_pylist()}


def test_queues_with_encryption_dead_letter_queue_and_policy(account_session, regional):
    seed_queues(account_session)

    rows = collect(regional)

    assert sorted(row["_key"] for row in rows.values()) == [
        f"{QUEUE_ARN}:events.fifo", f"{QUEUE_ARN}:orders", f"{QUEUE_ARN}:orders-dlq"]
    orders = rows["orders"]
    assert orders["_class"] == ["Queue"]
    assert orders["queueUrl"].endswith(f"/{ACCOUNT_ID}/orders")
    assert (orders["encrypted"], orders["encryption"], orders["kmsKeyId"]) == (True, "SSE-KMS", "alias/orders")
    assert (orders["visibilityTimeout"], orders["messageRetentionPeriod"]) == (45, 86400)
    assert (orders["deadLetterTargetArn"], orders["maxReceiveCount"]) == (f"{QUEUE_ARN}:orders-dlq", 5)
    statement = json.loads(orders["policy"])["Statement"][0]
    assert (statement["Principal"], statement["Condition"]) == ("*", {"ArnEquals": {"aws:SourceArn": TOPIC_ARN}})
    assert dict(orders["tags"]) == {"team": "orders"}
    assert orders["createdOn"].tzinfo is not None

    dlq = rows["orders-dlq"]
    assert (dlq["encrypted"], dlq["encryption"], dlq["kmsKeyId"], dlq["policy"]) == (True, "SSE-SQS", None, None)
    fifo = rows["events.fifo"]
    assert (fifo["fifo"], fifo["contentBasedDeduplication"], fifo["deadLetterTargetArn"]) == (True, True, None)
    assert orders["fifo"] is False
    assert all(row["collectionErrors"] == [] for row in rows.values())

    assert MESSAGE not in str(rows)
    assert regional.calls.by_operation() == {
        "sqs:ListQueues": 1, "sqs:GetQueueAttributes": 3, "sqs:ListQueueTags": 3, "sts:AssumeRole": 1}


def test_refused_attributes_keep_the_queue_by_its_url(account_session, regional):
    seed_queues(account_session)
    refuse(regional, "sqs", "GetQueueAttributes", "AccessDenied", lambda params: params["QueueUrl"].endswith("/orders"))

    rows = collect(regional)

    orders = rows["orders"]
    assert orders["_key"] == f"{QUEUE_ARN}:orders"
    assert orders["collectionErrors"] == ["sqs:GetQueueAttributes: AccessDenied"]
    assert (orders["policy"], orders["encrypted"], orders["deadLetterTargetArn"]) == (None, None, None)
    assert dict(orders["tags"]) == {"team": "orders"}
    assert rows["orders-dlq"]["encryption"] == "SSE-SQS"


def test_queues_are_read_past_the_first_page(account_session, regional):
    seed_queues(account_session)
    urls = account_session.client("sqs", region_name=REGION).list_queues()["QueueUrls"]
    serve_in_pages(regional, "sqs", "ListQueues", "QueueUrls", lambda _: urls, token="NextToken")

    rows = collect(regional)

    assert sorted(rows) == ["events.fifo", "orders", "orders-dlq"]
    assert regional.calls.by_operation()["sqs:ListQueues"] == 3


def test_unencrypted_queue_and_its_arn_from_the_url():
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/plain"
    row = sqs.queue_row(QueueDetails(url=url, attributes={"SqsManagedSseEnabled": "false"}), REGION)

    assert (row["_key"], row["encrypted"], row["encryption"]) == (f"{QUEUE_ARN}:plain", False, None)
    assert sqs.queue_arn(url + "/", REGION) == f"{QUEUE_ARN}:plain"

import json

from aws_assets.services import sns
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}"
OUTSIDE_ACCOUNT = "999988887777"
SUBSCRIBER_EMAIL = "oncall@example.com"


def seed_topics(account_session) -> dict[str, str]:
    """`alerts`: SSE-KMS, a display name, a policy letting an outside account publish, an SQS, a Lambda and an
    e-mail subscription; `events.fifo`: FIFO, AWS's default policy."""
    client = account_session.client("sns", region_name=REGION)
    alerts = client.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts", "KmsMasterKeyId": "alias/ops"},
                                 Tags=[{"Key": "team", "Value": "ops"}])["TopicArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "PartnerPublishes", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"},
        "Action": "sns:Publish", "Resource": alerts,
    }]}
    client.set_topic_attributes(TopicArn=alerts, AttributeName="Policy", AttributeValue=json.dumps(policy))
    client.create_topic(Name="events.fifo", Attributes={"FifoTopic": "true"})
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:alerts-inbox"
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:pager"
    client.subscribe(TopicArn=alerts, Protocol="sqs", Endpoint=queue)
    client.subscribe(TopicArn=alerts, Protocol="lambda", Endpoint=function)
    client.subscribe(TopicArn=alerts, Protocol="email", Endpoint=SUBSCRIBER_EMAIL)
    return {"alerts": alerts, "queue": queue, "function": function}


def collect(regional, entity_type) -> list[dict]:
    return entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()


def test_topics_with_encryption_subscriptions_and_policy(account_session, regional):
    seeded = seed_topics(account_session)

    rows = {row["name"]: row for row in collect(regional, sns.SNS_TOPIC)}

    assert sorted(row["_key"] for row in rows.values()) == [f"{TOPIC_ARN}:alerts", f"{TOPIC_ARN}:events.fifo"]
    alerts = rows["alerts"]
    assert alerts["_class"] == ["Channel"]
    assert (alerts["topicDisplayName"], alerts["owner"]) == ("Alerts", ACCOUNT_ID)
    assert (alerts["encrypted"], alerts["kmsKeyId"], alerts["fifo"]) == (True, "alias/ops", False)
    statement = json.loads(alerts["policy"])["Statement"][0]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"}
    assert dict(alerts["tags"]) == {"team": "ops"}
    assert alerts["subscriptionsConfirmed"] is not None
    fifo = rows["events.fifo"]
    assert (fifo["fifo"], fifo["encrypted"], fifo["kmsKeyId"], fifo["topicDisplayName"]) == (True, False, None, None)
    assert json.loads(fifo["policy"])["Statement"]  # AWS's default topic policy: the owner account only
    assert all(row["collectionErrors"] == [] for row in rows.values())
    assert seeded["alerts"] == alerts["_key"]
    assert regional.calls.by_operation() == {
        "sns:ListTopics": 1, "sns:GetTopicAttributes": 2, "sns:ListTagsForResource": 2, "sts:AssumeRole": 1}


def test_subscriptions_keep_resource_endpoints_and_never_an_address(account_session, regional):
    seeded = seed_topics(account_session)

    rows = {row["protocol"]: row for row in collect(regional, sns.SNS_SUBSCRIPTION)}

    assert sorted(rows) == ["email", "lambda", "sqs"]
    assert all(row["topicArn"] == seeded["alerts"] and row["_key"].startswith(seeded["alerts"] + ":")
               for row in rows.values())
    assert (rows["sqs"]["endpoint"], rows["lambda"]["endpoint"], rows["email"]["endpoint"]) == (
        seeded["queue"], seeded["function"], None)
    assert rows["sqs"]["_class"] == ["Subscription"]
    assert SUBSCRIBER_EMAIL not in str(rows)


def test_a_refused_attribute_read_keeps_the_topic(account_session, regional):
    seeded = seed_topics(account_session)
    refuse(regional, "sns", "GetTopicAttributes", "AuthorizationError",
           lambda params: params["TopicArn"] == seeded["alerts"])

    rows = {row["name"]: row for row in collect(regional, sns.SNS_TOPIC)}

    alerts = rows["alerts"]
    assert alerts["collectionErrors"] == ["sns:GetTopicAttributes: AuthorizationError"]
    assert (alerts["policy"], alerts["encrypted"], alerts["topicDisplayName"]) == (None, None, None)
    assert dict(alerts["tags"]) == {"team": "ops"}
    assert rows["events.fifo"]["policy"] is not None


def test_topics_and_subscriptions_are_read_past_the_first_page(account_session, regional):
    seed_topics(account_session)
    client = account_session.client("sns", region_name=REGION)
    topics, subscriptions = client.list_topics()["Topics"], client.list_subscriptions()["Subscriptions"]
    serve_in_pages(regional, "sns", "ListTopics", "Topics", lambda _: topics, token="NextToken")
    serve_in_pages(regional, "sns", "ListSubscriptions", "Subscriptions", lambda _: subscriptions, token="NextToken")

    assert len(collect(regional, sns.SNS_TOPIC)) == 2
    assert len(collect(regional, sns.SNS_SUBSCRIPTION)) == 3
    calls = regional.calls.by_operation()
    assert (calls["sns:ListTopics"], calls["sns:ListSubscriptions"]) == (2, 3)


def test_a_subscription_pending_confirmation_has_no_arn_and_no_row():
    pending = {"SubscriptionArn": "PendingConfirmation", "Protocol": "https", "Endpoint": "https://hooks.example.com/t0k3n",
               "TopicArn": f"{TOPIC_ARN}:alerts"}

    assert sns.subscription_row(pending, REGION) is None
    confirmed = {**pending, "SubscriptionArn": f"{TOPIC_ARN}:alerts:6b0e71bd-7e97-4d97-80ce-4a0994e55286"}
    assert sns.subscription_row(confirmed, REGION)["endpoint"] is None

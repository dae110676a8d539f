"""The KMS, SNS, SQS and Lambda edges, over what the collectors gather from moto."""

import duckdb

from aws_assets.graph.edges import build_edges, check_edges, endpoint_tables
from aws_assets.relationships import encryption, messaging
from aws_assets.services import lambda_, sns, sqs
from aws_assets.services.catalog import ENTITY_TYPES
from aws_assets.services.lambda_ import FunctionDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION
from aws_assets_tests.integration.test_lambda import create_function, create_role

COLLECTED = ("aws_kms_key", "aws_sqs_queue", "aws_sns_topic", "aws_sns_subscription", "aws_secretsmanager_secret",
             "aws_ecr_repository", "aws_lambda_function")


def seed(account_session) -> dict[str, str]:
    """One key, named four ways: by alias (queue), key ARN (topic, repository), alias ARN (secret) and key ID
    (function); a queue with a dead-letter queue; a topic delivering to the queue, to a function and to a URL."""
    kms = account_session.client("kms", region_name=REGION)
    key = kms.create_key(Description="app data")["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key["KeyId"])
    kms.create_key(Description="unused")
    sqs = account_session.client("sqs", region_name=REGION)
    dlq_url = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName="jobs", Attributes={
        "KmsMasterKeyId": "alias/app", "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq}", "maxReceiveCount": 3}}'})
    queue = sqs.get_queue_attributes(QueueUrl=queue_url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    role_arn = create_role(account_session)
    create_function(account_session, role_arn, "worker", KMSKeyArn=key["KeyId"])
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:worker"
    sns = account_session.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="jobs-events", Attributes={"KmsMasterKeyId": key["Arn"]})["TopicArn"]
    to_queue = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
    to_function = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://hooks.example.com/jobs")
    secret = account_session.client("secretsmanager", region_name=REGION).create_secret(
        Name="jobs-db", KmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/app")["ARN"]
    repository = account_session.client("ecr", region_name=REGION).create_repository(
        repositoryName="jobs", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key["Arn"]})[
        "repository"]["repositoryArn"]
    return {"key": key["Arn"], "queue": queue, "dlq": dlq, "topic": topic, "function": function, "secret": secret,
            "repository": repository, "to_queue": to_queue, "to_function": to_function}


def edges_of(rows_by_type: dict[str, list[dict]]) -> dict[str, dict[tuple[str, str], dict]]:
    """The encryption and messaging edges over these rows, each edge table checked as the graph's assets check it."""
    con = duckdb.connect()
    for entity_type in ENTITY_TYPES.values():
        con.register(entity_type.type, entity_type.to_table(rows_by_type.get(entity_type.type, []), ACCOUNT_ID,
                                                            REGION))
    edges = {}
    for relationship in (*encryption.RELATIONSHIPS, *messaging.RELATIONSHIPS):
        table = build_edges(con, relationship)
        problems = check_edges(con, table, endpoint_tables(relationship))
        assert problems == {"unique_keys": 0, "no_duplicate_edges": 0, "endpoints_exist": 0}, relationship.type
        edges[relationship.type] = {(row["_fromEntityKey"], row["_toEntityKey"]): row for row in table.to_pylist()}
    return edges


def test_keys_subscribers_and_dead_letter_queues_as_edges(account_session, regional):
    seeded = seed(account_session)

    edges = edges_of({name: ENTITY_TYPES[name].collect(regional) for name in COLLECTED})

    key = seeded["key"]
    assert {name: set(pairs) for name, pairs in edges.items() if name.endswith("_uses_kms_key") and pairs} == {
        "aws_sqs_queue_uses_kms_key": {(seeded["queue"], key)},
        "aws_sns_topic_uses_kms_key": {(seeded["topic"], key)},
        "aws_secretsmanager_secret_uses_kms_key": {(seeded["secret"], key)},
        "aws_ecr_repository_uses_kms_key": {(seeded["repository"], key)},
        "aws_lambda_function_uses_kms_key": {(seeded["function"], key)},
    }
    subscriptions = set(edges["aws_sns_topic_has_subscription"])
    assert len(subscriptions) == 3 and {pair[0] for pair in subscriptions} == {seeded["topic"]}
    assert {(seeded["topic"], seeded["to_queue"]), (seeded["topic"], seeded["to_function"])} <= subscriptions
    to_queue = edges["aws_sns_topic_notifies_sqs_queue"]
    assert set(to_queue) == {(seeded["topic"], seeded["queue"])}
    assert to_queue[(seeded["topic"], seeded["queue"])]["subscriptionArn"] == seeded["to_queue"]
    assert set(edges["aws_sns_topic_notifies_lambda_function"]) == {(seeded["topic"], seeded["function"])}
    redrive = edges["aws_sqs_queue_sends_queue"]
    assert set(redrive) == {(seeded["queue"], seeded["dlq"])}
    assert redrive[(seeded["queue"], seeded["dlq"])]["maxReceiveCount"] == 3
    assert edges["aws_lambda_function_async_notifies_sqs_queue"] == {}


def test_a_functions_dead_letter_target_as_an_edge(account_session, regional):
    seeded = seed(account_session)
    # moto keeps no DeadLetterConfig, so the function is ListFunctions' entry as AWS documents it.
    listed = {"FunctionName": "resize", "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:resize",
              "DeadLetterConfig": {"TargetArn": seeded["dlq"]}}
    notifier = {**listed, "FunctionName": "notify", "FunctionArn": listed["FunctionArn"].replace("resize", "notify"),
                "DeadLetterConfig": {"TargetArn": seeded["topic"]}}
    functions = [lambda_.function_row(f, FunctionDetails(), REGION) for f in (listed, notifier)]

    edges = edges_of({"aws_sqs_queue": sqs.collect_queues(regional), "aws_sns_topic": sns.collect_topics(regional),
                      "aws_lambda_function": functions})

    assert set(edges["aws_lambda_function_async_notifies_sqs_queue"]) == {(listed["FunctionArn"], seeded["dlq"])}
    assert set(edges["aws_lambda_function_async_notifies_sns_topic"]) == {(notifier["FunctionArn"], seeded["topic"])}

"""SNS, in us-east-1: ``<env>-orders`` (SSE-KMS with ``alias/<env>-data``; its topic policy keeps AWS's default
statement for the owner account and lets the partner account, outside the organisation, publish), subscribed by the
``<env>-order-events`` queue and by the e-mail address ``orders-oncall@<env>.example.com``, which the product must
never store. prod also has ``prod-security-alerts``, which the CIS alarms notify, subscribed by
``security-oncall@prod.example.com``; its policy keeps AWS's default statement and lets EventBridge publish (for the
GuardDuty findings rule) without an ``aws:SourceAccount`` or ``aws:SourceArn`` condition, as AWS's own example does.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import HOME_REGION, PARTNER_ACCOUNT_ID, PROD
from aws_assets.sim.documents import policy_document
from aws_assets.sim.estate import kms, sqs
from aws_assets.sim.seeder import AccountContext, Output, Seeder

SECURITY_ALERTS_TOPIC_ARN = Output[str]("the topic the security alarms notify")
SECURITY_ALERTS_ACCOUNTS = frozenset({PROD})


def oncall_address(env: str) -> str:
    return f"orders-oncall@{env}.example.com"


def _seed(account: AccountContext) -> None:
    sns = account.clients("sns", HOME_REGION)
    topic_arn = sns.create_topic(Name=f"{account.name}-orders", Attributes={
        "DisplayName": "Orders", "KmsMasterKeyId": account[kms.DATA_KEY_ARNS][HOME_REGION]})["TopicArn"]
    partner = {"Sid": "PartnerPublishes", "Effect": "Allow",
               "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT_ID}:root"}, "Action": "sns:Publish",
               "Resource": topic_arn}
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy",
                             AttributeValue=policy_document(_owner_statement(topic_arn, account.account_id), partner))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=account[sqs.ORDER_EVENTS_QUEUE_ARN])
    sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=oncall_address(account.name))
    if account.account_id in SECURITY_ALERTS_ACCOUNTS:
        alerts_arn = sns.create_topic(Name=f"{account.name}-security-alerts")["TopicArn"]
        eventbridge = {"Sid": "EventBridgePublishes", "Effect": "Allow",
                       "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
                       "Resource": alerts_arn}
        sns.set_topic_attributes(TopicArn=alerts_arn, AttributeName="Policy", AttributeValue=policy_document(
            _owner_statement(alerts_arn, account.account_id), eventbridge))
        sns.subscribe(TopicArn=alerts_arn, Protocol="email", Endpoint=f"security-oncall@{account.name}.example.com")
        account[SECURITY_ALERTS_TOPIC_ARN] = alerts_arn


def _owner_statement(topic_arn: str, account_id: str) -> dict:
    """AWS's default statement of a topic policy: the owner account's principals may use the topic."""
    return {"Sid": "OwnerAccount", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"], "Resource": topic_arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}}}


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity; moto confirms both subscriptions at once.
    alerts = account_id in SECURITY_ALERTS_ACCOUNTS
    return {"aws_sns": 1, "aws_sns_topic": 1 + alerts, "aws_sns_subscription": 2 + alerts}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER, sqs.SEEDER))

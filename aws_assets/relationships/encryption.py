"""`<resource> USES aws_kms_key`: the customer managed or AWS managed key that encrypts a resource at rest.

Resources name their key as AWS lets them: a key ARN, a key ID, an alias name or an alias ARN. A bare key ID or
alias name means the key of that name in the resource's own account and region; both sides are turned into ARNs
and joined on them, so a key in another account (named by ARN) is found too when the lake holds it.
"""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType

# Every ARN a key answers to: its key ARN and the ARN of each of its aliases.
_KEY_NAMES = (
    "SELECT _key, _key AS reference FROM aws_kms_key "
    "UNION ALL "
    "SELECT k._key, 'arn:' || split_part(k._key, ':', 2) || ':kms:' || k.region || ':' || k.accountId || ':' || "
    "t.alias FROM aws_kms_key k, unnest(k.aliases) AS t(alias)"
)


def _as_arn(column: str) -> str:
    """The SQL of the ARN that `column` of entity `e` names the key by, qualified with e's partition, region and
    account where it is a bare key ID or alias name."""
    return (
        f"CASE WHEN e.{column} LIKE 'arn:%' THEN e.{column} ELSE 'arn:' || split_part(e.arn, ':', 2) || ':kms:' || "
        f"e.region || ':' || e.accountId || ':' || "
        f"CASE WHEN e.{column} LIKE 'alias/%' THEN e.{column} ELSE 'key/' || e.{column} END END"
    )


def uses_kms_key(entity_type: str, column: str, what: str) -> RelationshipType:
    return RelationshipType(
        entity_type, "USES", "aws_kms_key",
        f"The KMS key encrypts {what} (the {entity_type}'s `{column}`, resolved from a key ID, alias or ARN).",
        f"WITH key_names AS ({_KEY_NAMES}) "
        f"SELECT e._key AS _fromEntityKey, n._key AS _toEntityKey, e.accountId "
        f"FROM {entity_type} e JOIN key_names n ON n.reference = {_as_arn(column)} "
        f"WHERE e.{column} IS NOT NULL",
        in_spec=False,
    )


# Entity type -> (the column naming its KMS key, what the key encrypts). None is in the integration spec, which has no
# KMS; JupiterOne's live graph has those of S3 buckets, DB instances, RDS clusters and DynamoDB tables (and Queue USES
# CryptoKey between the classes); the rest read the same kind of column.
KEY_COLUMNS: dict[str, tuple[str, str]] = {
    "aws_s3_bucket": ("kmsKeyId", "the bucket's objects by default"),
    "aws_db_instance": ("kmsKeyId", "the instance's storage"),
    "aws_rds_cluster": ("kmsKeyId", "the cluster's storage"),
    "aws_dynamodb_table": ("kmsKeyArn", "the table"),
    "aws_sqs_queue": ("kmsKeyId", "the queue's messages (SSE-KMS)"),
    "aws_ebs_volume": ("kmsKeyId", "the volume"),
    "aws_lambda_function": ("kmsKeyArn", "the function's environment variables"),
    "aws_sns_topic": ("kmsKeyId", "the topic's messages"),
    "aws_secretsmanager_secret": ("kmsKeyId", "the secret's values"),
    "aws_ecr_repository": ("kmsKeyId", "the repository's images"),
    "aws_cloudtrail": ("kmsKeyId", "the trail's log files"),
    "aws_cloudwatch_log_group": ("kmsKeyId", "the log group's events"),
    "aws_db_snapshot": ("kmsKeyId", "the snapshot"),
    "aws_db_cluster_snapshot": ("kmsKeyId", "the snapshot"),
    "aws_efs_file_system": ("kmsKeyId", "the file system's data"),
}

RELATIONSHIPS = tuple(
    uses_kms_key(entity_type, column, what) for entity_type, (column, what) in KEY_COLUMNS.items()
)

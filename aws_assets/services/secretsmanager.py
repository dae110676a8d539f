"""Secrets Manager secrets of one region: encryption key, rotation, use and the resource policy. Never the value.

Calls per account and region: secretsmanager:ListSecrets, paginated (one call per 100 secrets), whose entries carry
the metadata and tags DescribeSecret would; then per secret, concurrently, secretsmanager:GetResourcePolicy.
GetSecretValue and BatchGetSecretValue are never called, nor ListSecretVersionIds.
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
    timestamp,
)
from aws_assets.services.common import console_link, policy_json, tags_from_list

LIST_SECRETS_PAGE_SIZE = 100  # the most ListSecrets answers per call


@dataclass
class SecretDetails:
    """A listed secret (ListSecrets' entry) and its resource policy; policy None where there is none or refused."""

    secret: dict[str, Any]
    policy: str | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def secret_row(details: SecretDetails, region: str) -> dict[str, Any]:
    secret = details.secret
    name = secret["Name"]
    rules = secret.get("RotationRules") or {}
    return {
        "_key": secret["ARN"],
        "name": name,
        "arn": secret["ARN"],
        "webLink": console_link(f"secretsmanager/secret?name={name}", region),
        "createdOn": secret.get("CreatedDate"),
        "tags": tags_from_list(secret.get("Tags")),
        "secretName": name,
        "description": secret.get("Description"),
        "kmsKeyId": secret.get("KmsKeyId"),
        # A secret without KmsKeyId is encrypted with the AWS managed key aws/secretsmanager.
        "encrypted": True,
        "rotationEnabled": bool(secret.get("RotationEnabled")),
        "rotationLambdaArn": secret.get("RotationLambdaARN"),
        "rotationAutomaticallyAfterDays": rules.get("AutomaticallyAfterDays"),
        "rotationScheduleExpression": rules.get("ScheduleExpression"),
        "rotationDuration": rules.get("Duration"),
        "lastRotatedDate": secret.get("LastRotatedDate"),
        "nextRotationDate": secret.get("NextRotationDate"),
        "lastChangedDate": secret.get("LastChangedDate"),
        "lastAccessedDate": secret.get("LastAccessedDate"),
        "deletedDate": secret.get("DeletedDate"),
        "owningService": secret.get("OwningService"),
        "primaryRegion": secret.get("PrimaryRegion"),
        "policy": policy_json(details.policy),
        "collectionErrors": details.errors,
    }


def secret_rows(secrets: list[SecretDetails], region: str) -> list[dict[str, Any]]:
    return [secret_row(secret, region) for secret in secrets]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_secret_details(aws: PartitionCollection, secret: dict[str, Any]) -> SecretDetails:
    calls = DetailCalls()
    response = calls.get(
        "secretsmanager:GetResourcePolicy",
        lambda: aws.client("secretsmanager").get_resource_policy(SecretId=secret["ARN"]),
        "ResourceNotFoundException",
    )
    return SecretDetails(secret=secret, policy=(response or {}).get("ResourcePolicy"), errors=calls.errors)


def collect_secrets(aws: PartitionCollection) -> list[dict[str, Any]]:
    secrets = aws.paginate(
        "secretsmanager", "list_secrets", "SecretList", PaginationConfig={"PageSize": LIST_SECRETS_PAGE_SIZE}
    )
    return secret_rows(aws.map_concurrently(partial(get_secret_details, aws), secrets), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

SECRETSMANAGER_SECRET = EntityType(
    type="aws_secretsmanager_secret",
    resource_policy="policy",
    classes=("Secret",),
    description="Secrets Manager secrets: encryption key, rotation, when they were last changed and read, and the "
    "resource policy (who may read or manage the secret). Never the secret's value.",
    columns=(
        string("secretName", "Secret name"),
        string("description", "Description given to the secret"),
        string("kmsKeyId", "KMS key that encrypts the secret's values; null: the AWS managed key aws/secretsmanager"),
        boolean("encrypted", "Whether the secret's values are encrypted at rest (always: Secrets Manager encrypts "
                "every value)"),
        boolean("rotationEnabled", "Whether automatic rotation is on"),
        string("rotationLambdaArn", "Lambda function that rotates the secret (aws_lambda_function)"),
        integer("rotationAutomaticallyAfterDays", "Days between rotations, when rotation is scheduled by days"),
        string("rotationScheduleExpression", "Rotation schedule as a cron() or rate() expression"),
        string("rotationDuration", "Window of each rotation, e.g. 3h"),
        timestamp("lastRotatedDate", "When the secret was last rotated"),
        timestamp("nextRotationDate", "When the secret is next rotated"),
        timestamp("lastChangedDate", "When the secret's value or metadata last changed"),
        timestamp("lastAccessedDate", "The day the secret's value was last read (AWS rounds to the day)"),
        timestamp("deletedDate", "When the secret was scheduled for deletion, if it is"),
        string("owningService", "Service that manages the secret, e.g. rds for a managed master password"),
        string("primaryRegion", "Region of the primary secret, for replicas"),
        json_text("policy", "Resource policy: who may read or manage the secret; null when none"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_secrets,
    console="Secrets Manager > Secrets",
)

SERVICE = Service(
    name="secretsmanager",
    title="Secrets Manager",
    scope=Scope.REGION,
    entity_types=(SECRETSMANAGER_SECRET,),
    entity=ServiceEntity(
        "aws_secretsmanager", "Secrets Manager", "secrets", "secretsmanager/listsecrets",
        members=(), members_beyond_spec=(SECRETSMANAGER_SECRET,),
    ),
    kind="secretsmanager",
)

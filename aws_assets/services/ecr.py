"""ECR private repositories of one region: tag mutability, scanning, encryption and the repository policy.

Calls per account and region: ecr:DescribeRepositories, paginated (one call per 1,000 repositories); then per
repository, concurrently, ecr:GetRepositoryPolicy and ecr:ListTagsForResource. Images are never listed or pulled.
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
    json_text,
    string,
    strings,
)
from aws_assets.services.common import console_link, policy_json, tags_from_list

DESCRIBE_REPOSITORIES_PAGE_SIZE = 1000  # the most DescribeRepositories answers per call
REPOSITORY_MISSING = "RepositoryNotFoundException"
NO_POLICY = "RepositoryPolicyNotFoundException"


@dataclass
class RepositoryDetails:
    """A described repository and its detail responses; None where there is none or AWS refused the call."""

    repository: dict[str, Any]
    policy: str | None = None
    tags: list[dict[str, str]] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def repository_row(details: RepositoryDetails, region: str) -> dict[str, Any]:
    repository = details.repository
    name = repository["repositoryName"]
    encryption = repository.get("encryptionConfiguration") or {}
    return {
        "_key": repository["repositoryArn"],
        "name": name,
        "arn": repository["repositoryArn"],
        "webLink": console_link(
            f"ecr/repositories/private/{repository.get('registryId')}/{name}", region
        ),
        "createdOn": repository.get("createdAt"),
        "tags": tags_from_list(details.tags),
        "repositoryName": name,
        "repositoryUri": repository.get("repositoryUri"),
        "registryId": repository.get("registryId"),
        "imageTagMutability": repository.get("imageTagMutability"),
        "scanOnPush": (repository.get("imageScanningConfiguration") or {}).get("scanOnPush"),
        # ECR encrypts every repository at rest: with AES256 (S3-managed keys) unless it names KMS.
        "encrypted": True,
        "encryptionType": encryption.get("encryptionType", "AES256"),
        "kmsKeyId": encryption.get("kmsKey"),
        "policy": policy_json(details.policy),
        "collectionErrors": details.errors,
    }


def repository_rows(repositories: list[RepositoryDetails], region: str) -> list[dict[str, Any]]:
    return [repository_row(repository, region) for repository in repositories]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_repository_details(aws: PartitionCollection, repository: dict[str, Any]) -> RepositoryDetails:
    ecr = aws.client("ecr")
    name, registry = repository["repositoryName"], repository["registryId"]
    calls = DetailCalls()
    policy = calls.get(
        "ecr:GetRepositoryPolicy",
        lambda: ecr.get_repository_policy(registryId=registry, repositoryName=name)["policyText"],
        NO_POLICY, REPOSITORY_MISSING,
    )
    tags = calls.get(
        "ecr:ListTagsForResource",
        lambda: ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"],
        REPOSITORY_MISSING,
    )
    return RepositoryDetails(repository=repository, policy=policy, tags=tags, errors=calls.errors)


def collect_repositories(aws: PartitionCollection) -> list[dict[str, Any]]:
    repositories = aws.paginate(
        "ecr", "describe_repositories", "repositories",
        PaginationConfig={"PageSize": DESCRIBE_REPOSITORIES_PAGE_SIZE},
    )
    return repository_rows(aws.map_concurrently(partial(get_repository_details, aws), repositories), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

ECR_REPOSITORY = EntityType(
    type="aws_ecr_repository",
    resource_policy="policy",
    classes=("Repository",),
    description="ECR private repositories: tag mutability, scanning, encryption and the repository policy (who may "
    "pull, push or manage images). Never an image.",
    columns=(
        string("repositoryName", "Repository name"),
        string("repositoryUri", "URI that docker pulls and pushes to"),
        string("registryId", "Account ID of the registry holding the repository"),
        string("imageTagMutability", "MUTABLE (tags can be moved to other images) or IMMUTABLE, or with exclusions"),
        boolean("scanOnPush", "Whether each pushed image is scanned for vulnerabilities (basic scanning)"),
        boolean("encrypted", "Whether images are encrypted at rest (always: ECR encrypts every repository)"),
        string("encryptionType", "AES256 (S3-managed keys), KMS or KMS_DSSE"),
        string("kmsKeyId", "ARN of the KMS key, for KMS encryption"),
        json_text("policy", "Repository policy: who may pull, push or manage images; null when none"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_repositories,
    console="ECR > Private repositories",
)

SERVICE = Service(
    name="ecr",
    title="ECR",
    scope=Scope.REGION,
    entity_types=(ECR_REPOSITORY,),
    entity=ServiceEntity("aws_ecr", "ECR", "containers", "ecr/private-registry/repositories",
                         members=(), members_beyond_spec=(ECR_REPOSITORY,)),
    kind="ecr",
)

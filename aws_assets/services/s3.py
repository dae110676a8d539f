"""S3 buckets: the account-wide inventory, each bucket in its own region, with its security settings.

Calls per account partition: s3control:GetPublicAccessBlock (one, the account-level block) and s3:ListBuckets
(paginated, one call per 1,000 buckets). Then per bucket, concurrently and against the bucket's region:
s3:GetBucketLocation (only where ListBuckets omits BucketRegion), GetBucketEncryption, GetPublicAccessBlock,
GetBucketPolicyStatus, GetBucketPolicy, GetBucketAcl, GetBucketVersioning, GetBucketLogging, GetBucketTagging and
GetBucketOwnershipControls: nine or ten calls per bucket. Objects are never listed or read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.conventions import PUBLIC_GRANTEES
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, json_text, string, strings
from aws_assets.services.common import classification, tags_from_list

# ListBuckets without MaxBuckets is limited to accounts under the default quota of 10,000 buckets.
LIST_BUCKETS_PAGE_SIZE = 1000
BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass
class BucketDetails:
    """A ListBuckets entry and its detail responses: {} where the setting does not exist, None where refused."""

    bucket: dict[str, Any]
    region: str | None
    encryption: dict[str, Any] | None = None
    public_access_block: dict[str, Any] | None = None
    policy_status: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    acl: dict[str, Any] | None = None
    versioning: dict[str, Any] | None = None
    logging: dict[str, Any] | None = None
    tagging: dict[str, Any] | None = None
    ownership: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def location_region(location: dict[str, Any] | None) -> str | None:
    """The region a GetBucketLocation response names; us-east-1 answers None and old eu-west-1 buckets `EU`."""
    if location is None:
        return None
    constraint = location.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def any_true(*values: bool | None) -> bool | None:
    """Three-valued OR: True if any is True, unknown (None) if any is unknown, else False."""
    if any(value is True for value in values):
        return True
    return None if any(value is None for value in values) else False


def exposed(granted: bool | None, blocked: bool | None) -> bool | None:
    """Three-valued `granted and not blocked`."""
    if granted is False or blocked is True:
        return False
    if granted is None or blocked is None:
        return None
    return True


def block_flags(response: dict[str, Any] | None) -> dict[str, bool | None]:
    """The four public access block flags of a GetPublicAccessBlock response; all False when none is set."""
    if response is None:
        return dict.fromkeys(BLOCK_FLAGS)
    configuration = response.get("PublicAccessBlockConfiguration", {})
    return {flag: bool(configuration.get(flag)) for flag in BLOCK_FLAGS}


def encryption_columns(response: dict[str, Any] | None) -> dict[str, Any]:
    if response is None:
        return {"encrypted": None, "encryptionAlgorithm": None, "kmsKeyId": None, "bucketKeyEnabled": None}
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0] if rules else {}
    algorithm = default.get("ApplyServerSideEncryptionByDefault", {})
    return {
        "encrypted": bool(algorithm.get("SSEAlgorithm")),
        "encryptionAlgorithm": algorithm.get("SSEAlgorithm"),
        "kmsKeyId": algorithm.get("KMSMasterKeyID"),
        "bucketKeyEnabled": default.get("BucketKeyEnabled", False) if default else None,
    }


def policy_document(response: dict[str, Any] | None) -> dict[str, Any] | None:
    policy = (response or {}).get("Policy")
    return json.loads(policy) if policy else None


def policy_allows_anyone(document: dict[str, Any]) -> bool:
    """Whether a statement allows everyone (`*`) without any condition that could narrow it."""
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        aws_principals = principal.get("AWS") if isinstance(principal, dict) else None
        anyone = principal == "*" or aws_principals == "*" or (
            isinstance(aws_principals, list) and "*" in aws_principals
        )
        if statement.get("Effect") == "Allow" and anyone and not statement.get("Condition"):
            return True
    return False


def policy_public(status: dict[str, Any] | None, policy: dict[str, Any] | None) -> bool | None:
    """AWS's own verdict (GetBucketPolicyStatus); when that was refused, judged from the policy document."""
    if status is not None:
        return bool(status.get("PolicyStatus", {}).get("IsPublic"))
    if policy is None:
        return None
    document = policy_document(policy)
    return policy_allows_anyone(document) if document else False


def grant_summary(grant: dict[str, Any]) -> dict[str, str | None]:
    grantee = grant.get("Grantee", {})
    return {
        "type": grantee.get("Type"),
        "grantee": grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress"),
        "permission": grant.get("Permission"),
    }


def acl_columns(response: dict[str, Any] | None) -> dict[str, Any]:
    if response is None:
        return {"aclPublic": None, "aclGrants": None, "ownerId": None}
    grants = [grant_summary(grant) for grant in response.get("Grants", [])]
    return {
        "aclPublic": any(grant["grantee"] in PUBLIC_GRANTEES for grant in grants),
        "aclGrants": json.dumps(grants, sort_keys=True),
        "ownerId": (response.get("Owner") or {}).get("ID"),
    }


def access_columns(details: BucketDetails, account_block: dict[str, Any] | None) -> dict[str, Any]:
    """The bucket's public access settings and whether, with the account's block applied, anyone can get in.

    Only RestrictPublicBuckets neutralises a public policy already in place and only IgnorePublicAcls a public ACL;
    BlockPublicPolicy and BlockPublicAcls merely refuse new ones.
    """
    bucket_flags = block_flags(details.public_access_block)
    account_flags = block_flags(account_block)
    document = policy_document(details.policy)
    by_policy = policy_public(details.policy_status, details.policy)
    acl = acl_columns(details.acl)
    policy_exposed = exposed(
        by_policy, any_true(bucket_flags["RestrictPublicBuckets"], account_flags["RestrictPublicBuckets"])
    )
    acl_exposed = exposed(
        acl["aclPublic"], any_true(bucket_flags["IgnorePublicAcls"], account_flags["IgnorePublicAcls"])
    )
    return {
        "blockPublicAcls": bucket_flags["BlockPublicAcls"],
        "ignorePublicAcls": bucket_flags["IgnorePublicAcls"],
        "blockPublicPolicy": bucket_flags["BlockPublicPolicy"],
        "restrictPublicBuckets": bucket_flags["RestrictPublicBuckets"],
        "accountBlockPublicAccess": None if account_block is None else all(account_flags.values()),
        "policy": None if document is None else json.dumps(document, sort_keys=True),
        "policyPublic": by_policy,
        **acl,
        "public": any_true(policy_exposed, acl_exposed),
    }


def versioning_columns(response: dict[str, Any] | None) -> dict[str, Any]:
    if response is None:
        return {"versioningStatus": None, "mfaDelete": None}
    return {
        "versioningStatus": response.get("Status", "Disabled"),
        "mfaDelete": response.get("MFADelete") == "Enabled",
    }


def logging_columns(response: dict[str, Any] | None) -> dict[str, Any]:
    if response is None:
        return {"loggingEnabled": None, "loggingTargetBucket": None, "loggingTargetPrefix": None}
    target = response.get("LoggingEnabled", {})
    return {
        "loggingEnabled": bool(target),
        "loggingTargetBucket": target.get("TargetBucket"),
        "loggingTargetPrefix": target.get("TargetPrefix"),
    }


def object_ownership(response: dict[str, Any] | None) -> str | None:
    rules = (response or {}).get("OwnershipControls", {}).get("Rules", [])
    return rules[0].get("ObjectOwnership") if rules else None


def bucket_row(details: BucketDetails, account_block: dict[str, Any] | None, account_errors: list[str]) -> dict:
    name = details.bucket["Name"]
    tags = tags_from_list((details.tagging or {}).get("TagSet"))
    return {
        "_key": bucket_arn(name),
        "name": name,
        "arn": bucket_arn(name),
        "region": details.region,
        "webLink": f"https://s3.console.aws.amazon.com/s3/buckets/{name}",
        "createdOn": details.bucket.get("CreationDate"),
        "tags": tags,
        "bucketName": name,
        **encryption_columns(details.encryption),
        **access_columns(details, account_block),
        **versioning_columns(details.versioning),
        **logging_columns(details.logging),
        "objectOwnership": object_ownership(details.ownership),
        "classification": classification(tags),
        "collectionErrors": [*account_errors, *details.errors],
    }


def bucket_rows(
    details: list[BucketDetails], account_block: dict[str, Any] | None, account_errors: list[str]
) -> list[dict[str, Any]]:
    return [bucket_row(bucket, account_block, account_errors) for bucket in details]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_bucket_details(aws: PartitionCollection, bucket: dict[str, Any]) -> BucketDetails:
    name = bucket["Name"]
    # Any refusal, not only AccessDenied (NoSuchBucket for a bucket deleted since ListBuckets, say), costs one setting
    # of one bucket: the setting stays unknown and `collectionErrors` says why.
    calls = DetailCalls(record_any_error=True)
    region = bucket.get("BucketRegion") or location_region(
        calls.get("s3:GetBucketLocation", lambda: aws.client("s3").get_bucket_location(Bucket=name))
    )
    s3 = aws.client("s3", region=region)
    return BucketDetails(
        bucket=bucket,
        region=region,
        encryption=calls.get(
            "s3:GetBucketEncryption",
            lambda: s3.get_bucket_encryption(Bucket=name),
            "ServerSideEncryptionConfigurationNotFoundError",
            missing={},
        ),
        public_access_block=calls.get(
            "s3:GetPublicAccessBlock",
            lambda: s3.get_public_access_block(Bucket=name),
            "NoSuchPublicAccessBlockConfiguration",
            missing={},
        ),
        policy_status=calls.get(
            "s3:GetBucketPolicyStatus",
            lambda: s3.get_bucket_policy_status(Bucket=name),
            "NoSuchBucketPolicy",
            missing={},
        ),
        policy=calls.get(
            "s3:GetBucketPolicy", lambda: s3.get_bucket_policy(Bucket=name), "NoSuchBucketPolicy", missing={}
        ),
        acl=calls.get("s3:GetBucketAcl", lambda: s3.get_bucket_acl(Bucket=name)),
        versioning=calls.get("s3:GetBucketVersioning", lambda: s3.get_bucket_versioning(Bucket=name)),
        logging=calls.get("s3:GetBucketLogging", lambda: s3.get_bucket_logging(Bucket=name)),
        tagging=calls.get(
            "s3:GetBucketTagging", lambda: s3.get_bucket_tagging(Bucket=name), "NoSuchTagSet", missing={}
        ),
        ownership=calls.get(
            "s3:GetBucketOwnershipControls",
            lambda: s3.get_bucket_ownership_controls(Bucket=name),
            "OwnershipControlsNotFoundError",
            missing={},
        ),
        errors=calls.errors,
    )


def account_public_access_block(aws: PartitionCollection) -> tuple[dict[str, Any] | None, list[str]]:
    """The account-level block ({} where none is set, None where refused) and the refusal; read once per partition
    for the buckets and the account row."""

    def fetch() -> tuple[dict[str, Any] | None, list[str]]:
        calls = DetailCalls(record_any_error=True)
        block: dict[str, Any] | None = calls.get(
            "s3control:GetPublicAccessBlock",
            lambda: aws.client("s3control").get_public_access_block(AccountId=aws.account_id),
            "NoSuchPublicAccessBlockConfiguration",
            missing={},
        )
        return block, calls.errors

    return aws.shared("s3control:GetPublicAccessBlock", fetch)


def collect_buckets(aws: PartitionCollection) -> list[dict[str, Any]]:
    account_block, account_errors = account_public_access_block(aws)
    buckets = aws.paginate(
        "s3", "list_buckets", "Buckets", PaginationConfig={"PageSize": LIST_BUCKETS_PAGE_SIZE}
    )
    details = aws.map_concurrently(partial(get_bucket_details, aws), buckets)
    return bucket_rows(details, account_block, account_errors)


# ---- declarations ------------------------------------------------------------------------------------------------

AWS_S3_BUCKET = EntityType(
    type="aws_s3_bucket",
    resource_policy="policy",
    classes=("DataStore",),
    description="An S3 bucket with its encryption, public access, versioning, logging and ownership settings.",
    columns=(
        string("bucketName", "Bucket name"),
        boolean("encrypted", "Whether default encryption is configured for new objects"),
        string("encryptionAlgorithm", "Default encryption: AES256 (S3-managed keys), aws:kms or aws:kms:dsse"),
        string("kmsKeyId", "KMS key of the default encryption, when it uses KMS and names a key"),
        boolean("bucketKeyEnabled", "Whether S3 Bucket Keys reduce KMS calls for the default encryption"),
        boolean("blockPublicAcls", "Bucket-level public access block: new public ACLs are refused"),
        boolean("ignorePublicAcls", "Bucket-level public access block: existing public ACLs are ignored"),
        boolean("blockPublicPolicy", "Bucket-level public access block: new public bucket policies are refused"),
        boolean(
            "restrictPublicBuckets",
            "Bucket-level public access block: a public policy only admits AWS services and this account",
        ),
        boolean("accountBlockPublicAccess", "Whether all four account-level public access block settings are on"),
        json_text("policy", "Bucket policy"),
        boolean(
            "policyPublic",
            "Whether the bucket policy grants public access (AWS's policy status, else judged from the policy)",
        ),
        boolean("aclPublic", "Whether the bucket ACL grants anything to all users or all authenticated AWS users"),
        json_text("aclGrants", "Bucket ACL grants: grantee type, grantee (ID, group URI or email) and permission"),
        string(
            "ownerId",
            "Canonical user ID of the owning account (the bucket ACL's owner): what ACL grants and CanonicalUser "
            "principals name the account by",
        ),
        boolean(
            "public",
            "Whether the bucket is effectively public: a public policy not restricted, or a public ACL not "
            "ignored, by the bucket's or the account's public access block",
        ),
        string("versioningStatus", "Object versioning: Enabled, Suspended or Disabled (never enabled)"),
        boolean("mfaDelete", "Whether deleting versions or changing versioning needs MFA"),
        boolean("loggingEnabled", "Whether server access logging is on"),
        string("loggingTargetBucket", "Bucket that receives the access logs"),
        string("loggingTargetPrefix", "Key prefix of the access logs in the target bucket"),
        string(
            "objectOwnership",
            "Object ownership: BucketOwnerEnforced (ACLs disabled), BucketOwnerPreferred or ObjectWriter; "
            "empty when no ownership controls are set",
        ),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the settings they read are empty",
        ),
    ),
    collect=collect_buckets,
    console="S3 > Buckets",
)

SERVICE = Service(
    name="s3",
    title="S3",
    scope=Scope.ACCOUNT,
    entity_types=(AWS_S3_BUCKET,),
    entity=ServiceEntity("aws_s3", "S3", "storage", "s3/home", members=(AWS_S3_BUCKET,)),
    kind="s3",
)

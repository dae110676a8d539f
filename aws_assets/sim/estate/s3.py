"""S3: the buckets of every account (bucket names are global, each bucket is created in one region).

``acme-<env>-access-logs`` (us-east-1, private, log-delivery ACL, AES256), ``acme-<env>-customer-data`` (us-east-1,
SSE-KMS, public access block, versioning (with MFA delete in prod), ACLs disabled (BucketOwnerEnforced), a policy
denying requests without TLS, access logging to the log bucket; prod's holds the only object,
``exports/customers.csv``), ``acme-<env>-website`` (eu-west-1, public through a ``"Principal": "*"`` bucket policy),
``acme-<env>-public-downloads`` (ap-southeast-2, ``public-read`` ACL) and bulk ``acme-<env>-archive-NN`` (AES256,
public access block, round-robin over the regions): prod 3, dev 1, shared 2. The account-level public access
block: prod refuses new public ACLs and policies (BlockPublicAcls, BlockPublicPolicy) but neither ignores the public
ACL nor restricts the public policy already in place, so its buckets stay public; dev and shared set none. Like
S3, moto delivers server access logs: every request to a customer-data bucket, seeding's included, adds a log
object under ``acme-<env>-access-logs/acme-<env>-customer-data/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_assets.sim.accounts import (
    ACCOUNTS,
    DEV,
    HOME_REGION,
    PROD,
    SAMPLE_DATA_ACCOUNT,
    SHARED,
    spread_over_regions,
)
from aws_assets.sim.documents import policy_document
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Output, Seeder

ACCESS_LOG_BUCKET = Output[str]("the bucket access logs and Config snapshots are delivered to")
CUSTOMER_DATA_BUCKET = Output[str]("the bucket of customer data, whose requests are logged")

_ARCHIVE_BUCKETS = {PROD: 3, DEV: 1, SHARED: 2}  # multiplied by scale
ACCOUNT_PUBLIC_ACCESS_BLOCKS: Mapping[str, Mapping[str, bool] | None] = {
    PROD: {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
           "RestrictPublicBuckets": False},
    DEV: None,
    SHARED: None,
}

MFA_DELETE_ACCOUNTS = frozenset({PROD})  # whose customer-data bucket needs the root's MFA to delete versions

# Configures a created bucket: (its region's S3 client, the bucket name, the account being seeded).
_Configure = Callable[[Any, str, AccountContext], None]


@dataclass(frozen=True)
class _Bucket:
    name: str
    region: str
    configure: _Configure | None = None
    canned_acl: str | None = None  # given at creation


def _access_log_bucket(env: str) -> str:
    return f"acme-{env}-access-logs"


def _customer_data_bucket(env: str) -> str:
    return f"acme-{env}-customer-data"


def _configure_access_logs(s3: Any, bucket: str, account: AccountContext) -> None:
    # The log bucket stays private: besides being right, moto's put_bucket_logging crashes when
    # the target bucket's policy has "Principal": "*".
    s3.put_bucket_acl(Bucket=bucket, ACL="log-delivery-write")
    _encrypt(s3, bucket)
    _block_public_access(s3, bucket)


def _configure_customer_data(s3: Any, bucket: str, account: AccountContext) -> None:
    _encrypt(s3, bucket, kms_key_arn=account[kms.DATA_KEY_ARNS][HOME_REGION])
    _block_public_access(s3, bucket)
    if account.account_id in MFA_DELETE_ACCOUNTS:
        # AWS lets only the root user, with its MFA device, turn MFA delete on (aws_assets.sim.teach_moto).
        s3.put_bucket_versioning(Bucket=bucket, MFA=f"arn:aws:iam::{account.account_id}:mfa/root-hardware 123456",
                                 VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    else:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_logging(
        Bucket=bucket,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": _access_log_bucket(account.name), "TargetPrefix": f"{bucket}/"}
        },
    )
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "DataClassification", "Value": "confidential"}]})
    if account.account_id == SAMPLE_DATA_ACCOUNT:
        s3.put_object(Bucket=bucket, Key="exports/customers.csv", Body=b"id,email\n1,alice@example.com\n")
    # Last: the seeder's endpoint is plain HTTP, which the policy denies (moto enforces it on objects, as AWS does).
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_document({
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))


def _configure_website(s3: Any, bucket: str, account: AccountContext) -> None:
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy_document(
            {
                "Sid": "PublicReadGetObject",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )


def _configure_archive(s3: Any, bucket: str, account: AccountContext) -> None:
    _encrypt(s3, bucket)
    _block_public_access(s3, bucket)


def _buckets(account_id: str, scale: int) -> list[_Bucket]:
    """The account's buckets in creation order: the log bucket comes before the bucket logging to it."""
    env = ACCOUNTS[account_id]
    return [
        _Bucket(_access_log_bucket(env), HOME_REGION, _configure_access_logs),
        _Bucket(_customer_data_bucket(env), HOME_REGION, _configure_customer_data),
        _Bucket(f"acme-{env}-website", "eu-west-1", _configure_website),
        _Bucket(f"acme-{env}-public-downloads", "ap-southeast-2", canned_acl="public-read"),
        *(
            _Bucket(f"acme-{env}-archive-{number:02d}", spread_over_regions(number), _configure_archive)
            for number in range(1, _ARCHIVE_BUCKETS[account_id] * scale + 1)
        ),
    ]


def _seed(account: AccountContext) -> None:
    for bucket in _buckets(account.account_id, account.scale):
        s3 = account.clients("s3", bucket.region)
        arguments: dict[str, Any] = {"Bucket": bucket.name}
        if bucket.region != "us-east-1":  # S3 takes no location constraint for us-east-1
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": bucket.region}
        if bucket.canned_acl:
            arguments["ACL"] = bucket.canned_acl
        s3.create_bucket(**arguments)
        if bucket.configure:
            bucket.configure(s3, bucket.name, account)
    account[ACCESS_LOG_BUCKET] = _access_log_bucket(account.name)
    account[CUSTOMER_DATA_BUCKET] = _customer_data_bucket(account.name)
    # After the buckets: a block in place refuses the public policy and ACL the estate gives some of them.
    account_block = ACCOUNT_PUBLIC_ACCESS_BLOCKS[account.account_id]
    if account_block:
        account.clients("s3control").put_public_access_block(
            AccountId=account.account_id, PublicAccessBlockConfiguration=account_block)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_s3": 1,  # aws-assets models each service of an account as one entity
        "aws_s3_bucket": len(_buckets(account_id, scale)),
    }


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))


def _encrypt(s3: Any, bucket: str, *, kms_key_arn: str | None = None) -> None:
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn} if kms_key_arn else {"SSEAlgorithm": "AES256"}
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(kms_key_arn)}]
        },
    )


def _block_public_access(s3: Any, bucket: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )

"""Data store posture rules: S3 buckets (public access block, TLS-only policy, logging, versioning, MFA delete,
ACLs), RDS hardening and snapshots, DynamoDB backups, EFS encryption and KMS key rotation.

A bucket policy's TLS requirement is decided by the request evaluator (aws_assets.analysis.evaluation): requests
made without TLS (`aws:SecureTransport` false) by a principal of the account allowed everything by its identity
policy, and by an anonymous caller, must be explicitly denied whatever the other context keys are (the evaluator's
best case), for reading, writing and listing. So a Deny on `s3:*` or `*`, a NotAction Deny that spares nothing
probed, or `aws:SecureTransport` tested by `Bool` or `BoolIfExists` all count, and a Deny that also needs another
key (a source VPC, say) does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws_assets.analysis.evaluation import PolicySet, Request, Result, evaluate
from aws_assets.analysis.rules.model import PLACE, Detection, Detector, Row, Rule, RuleInputs
from aws_assets.analysis.statements import Policy

_BLOCK_FLAGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
_BUCKET_READS = {"aws_s3_bucket": (
    *PLACE, "bucketName", "policy", *_BLOCK_FLAGS, "accountBlockPublicAccess", "versioningStatus", "mfaDelete",
    "loggingEnabled", "objectOwnership", "collectionErrors",
)}
_ALLOW_ALL = Policy("probe identity policy", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
_INSECURE = {"aws:SecureTransport": False}


def _bucket(row: Row, evidence: dict[str, Any]) -> Detection:
    return Detection("aws_s3_bucket", row["accountId"], row["region"], row["_key"],
                     {"bucketName": row["bucketName"], **evidence})


def detect_bucket_without_public_access_block(inputs: RuleInputs) -> Iterator[Detection]:
    """Some bucket-level setting off, and the account-level block (all four settings) known to be off."""
    for bucket in inputs.rows("aws_s3_bucket"):
        off = [flag for flag in _BLOCK_FLAGS if bucket[flag] is False]
        if off and bucket["accountBlockPublicAccess"] is False:
            yield _bucket(bucket, {"settingsOff": off, "accountBlockPublicAccess": False})


def insecure_transport_denied(bucket: str, account: str, policy: str | None) -> bool:
    if not policy:
        return False
    policies = PolicySet(identity=[_ALLOW_ALL], resource=Policy("bucket policy", policy))
    probes = (("s3:GetObject", f"arn:aws:s3:::{bucket}/aws-assets-probe"),
              ("s3:PutObject", f"arn:aws:s3:::{bucket}/aws-assets-probe"),
              ("s3:ListBucket", f"arn:aws:s3:::{bucket}"))
    for principal in (f"arn:aws:iam::{account}:role/aws-assets-probe", "anonymous"):
        for action, resource in probes:
            decision = evaluate(Request(principal, action, resource, _INSECURE, principal_account=account,
                                        resource_account=account), policies)
            best = decision.conditional.best_case if decision.conditional else decision.result
            if best is not Result.EXPLICITLY_DENIED:
                return False
    return True


_PLACEHOLDER_BUCKET = "aws-assets-probe-bucket"


def bucket_neutral(bucket: str, policy: str) -> str:
    """The policy with its bucket's ARNs naming a placeholder bucket instead: policies written from one template
    (every bucket of an estate denying HTTP alike) then read the same and are decided once. Only an ARN of the
    bucket itself, or of its objects or a wildcard after its name, is replaced: each still matches the placeholder
    exactly as it matched the bucket."""
    for follower in '/"*':
        policy = policy.replace(f"arn:aws:s3:::{bucket}{follower}", f"arn:aws:s3:::{_PLACEHOLDER_BUCKET}{follower}")
    return policy


def detect_bucket_allowing_http(inputs: RuleInputs) -> Iterator[Detection]:
    decided: dict[tuple[str, str], bool] = {}
    for bucket in inputs.rows("aws_s3_bucket"):
        policy, account = bucket["policy"], bucket["accountId"]
        denied = False
        if policy:
            key = (bucket_neutral(bucket["bucketName"], policy), account)
            if key not in decided:
                decided[key] = insecure_transport_denied(_PLACEHOLDER_BUCKET, account, key[0])
            denied = decided[key]
        if not denied:
            yield _bucket(bucket, {"hasPolicy": policy is not None})


def _bucket_setting(column: str, wanted: Any) -> Detector:
    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for bucket in inputs.rows("aws_s3_bucket"):
            value = bucket[column]
            if value is not None and value != wanted:
                yield _bucket(bucket, {column: value})

    return detect


def detect_bucket_acls_enabled(inputs: RuleInputs) -> Iterator[Detection]:
    """Object ownership other than BucketOwnerEnforced; no ownership controls at all is ObjectWriter (ACLs on),
    unless reading them was denied."""
    for bucket in inputs.rows("aws_s3_bucket"):
        ownership = bucket["objectOwnership"]
        denied = any("GetBucketOwnershipControls" in error for error in bucket["collectionErrors"] or ())
        if ownership != "BucketOwnerEnforced" and not (ownership is None and denied):
            yield _bucket(bucket, {"objectOwnership": ownership or "ObjectWriter (no ownership controls)"})


# ---- RDS ---------------------------------------------------------------------------------------------------------

_DB_READS = {
    "aws_db_instance": (*PLACE, "dbInstanceIdentifier", "dbClusterIdentifier", "engine", "publiclyAccessible",
                        "deletionProtection", "multiAz", "iamDatabaseAuthenticationEnabled",
                        "autoMinorVersionUpgrade"),
    "aws_rds_cluster": (*PLACE, "dbClusterIdentifier", "engine", "publiclyAccessible", "deletionProtection",
                        "multiAz", "iamDatabaseAuthenticationEnabled"),
}
# Engines that authenticate IAM users and roles (RDS "IAM database authentication"; Aurora MySQL and PostgreSQL).
_IAM_AUTH_ENGINES = ("mysql", "mariadb", "postgres", "aurora-mysql", "aurora-postgresql", "aurora")


def _databases(inputs: RuleInputs, standalone_only: bool) -> Iterator[tuple[str, Row]]:
    """Clusters, then instances; with `standalone_only`, an instance of a collected cluster is the cluster's."""
    clusters = {(c["accountId"], c["region"], c["dbClusterIdentifier"]) for c in inputs.rows("aws_rds_cluster")}
    for cluster in inputs.rows("aws_rds_cluster"):
        yield "aws_rds_cluster", cluster
    for instance in inputs.rows("aws_db_instance"):
        member = (instance["accountId"], instance["region"], instance["dbClusterIdentifier"]) in clusters
        if not (standalone_only and member):
            yield "aws_db_instance", instance


def _database(table: str, row: Row, evidence: dict[str, Any]) -> Detection:
    name = row["dbInstanceIdentifier"] if table == "aws_db_instance" else row["dbClusterIdentifier"]
    return Detection(table, row["accountId"], row["region"], row["_key"],
                     {"identifier": name, "engine": row["engine"], **evidence})


def _database_setting(column: str, standalone_only: bool = True, engines: tuple[str, ...] | None = None) -> Detector:
    """Databases whose `column` is false (an Aurora member's setting is its cluster's)."""

    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for table, row in _databases(inputs, standalone_only):
            if row.get(column) is False and (engines is None or (row["engine"] or "") in engines):
                yield _database(table, row, {column: False})

    return detect


def detect_public_database(inputs: RuleInputs) -> Iterator[Detection]:
    """Every instance flagged publicly accessible (Aurora decides it per instance), and Multi-AZ DB clusters."""
    for table, row in _databases(inputs, standalone_only=False):
        if row["publiclyAccessible"] is True:
            yield _database(table, row, {"publiclyAccessible": True})


def detect_minor_upgrades_off(inputs: RuleInputs) -> Iterator[Detection]:
    for instance in inputs.rows("aws_db_instance"):
        if instance["autoMinorVersionUpgrade"] is False:
            yield _database("aws_db_instance", instance, {"autoMinorVersionUpgrade": False})


_SNAPSHOT_COLUMNS = (*PLACE, "snapshotIdentifier", "sourceIdentifier", "snapshotType", "encrypted", "public",
                     "sharedWithAccounts")
_SNAPSHOT_READS = {
    "aws_db_snapshot": _SNAPSHOT_COLUMNS,
    "aws_db_cluster_snapshot": _SNAPSHOT_COLUMNS,
    "aws_db_instance": (*PLACE, "dbInstanceIdentifier"),
    "aws_rds_cluster": (*PLACE, "dbClusterIdentifier"),
    "aws_organization_account": ("accountId", "memberAccountId", "organizationId"),
}


def _snapshots(inputs: RuleInputs) -> Iterator[tuple[str, Row]]:
    for table in ("aws_db_snapshot", "aws_db_cluster_snapshot"):
        for row in inputs.rows(table):
            yield table, row


def _snapshot(table: str, row: Row, evidence: dict[str, Any]) -> Detection:
    return Detection(table, row["accountId"], row["region"], row["_key"], {
        "snapshotIdentifier": row["snapshotIdentifier"], "sourceIdentifier": row["sourceIdentifier"],
        "snapshotType": row["snapshotType"], **evidence})


def detect_public_snapshot(inputs: RuleInputs) -> Iterator[Detection]:
    for table, row in _snapshots(inputs):
        if row["public"] is True:
            yield _snapshot(table, row, {"public": True})


def organisation_accounts(inputs: RuleInputs) -> dict[str, frozenset[str]]:
    """Account -> the accounts of its organisation, for the accounts of the organisations the lake holds."""
    members: dict[str, set[str]] = {}
    for row in inputs.rows("aws_organization_account"):
        if row["organizationId"] and row["memberAccountId"]:
            members.setdefault(row["organizationId"], set()).add(row["memberAccountId"])
    return {account: frozenset(accounts) for accounts in members.values() for account in accounts}


def detect_snapshot_shared_outside(inputs: RuleInputs) -> Iterator[Detection]:
    """Shared with an account outside the zone of trust: the organisation when the lake holds it, else the
    account (as resource access decides it without an instance's `zoneOfTrust` setting)."""
    zones = inputs.shared(organisation_accounts)
    for table, row in _snapshots(inputs):
        zone = zones.get(row["accountId"], frozenset({row["accountId"]}))
        outside = sorted(set(row["sharedWithAccounts"] or ()) - zone)
        if outside:
            yield _snapshot(table, row, {"sharedOutsideZone": outside})


def detect_unencrypted_snapshot(inputs: RuleInputs) -> Iterator[Detection]:
    """An automated snapshot of a collected unencrypted database is that database's finding (AWS-RDS-001): the
    fix is to encrypt the database; a manual one, or one whose database is gone, is a copy of its own."""
    sources = {("aws_db_snapshot", r["accountId"], r["region"], r["dbInstanceIdentifier"])
               for r in inputs.rows("aws_db_instance")}
    sources |= {("aws_db_cluster_snapshot", r["accountId"], r["region"], r["dbClusterIdentifier"])
                for r in inputs.rows("aws_rds_cluster")}
    for table, row in _snapshots(inputs):
        follows_source = row["snapshotType"] == "automated" and (
            table, row["accountId"], row["region"], row["sourceIdentifier"]) in sources
        if row["encrypted"] is False and not follows_source:
            yield _snapshot(table, row, {"encrypted": False})


# ---- DynamoDB and KMS --------------------------------------------------------------------------------------------


def detect_table_without_pitr(inputs: RuleInputs) -> Iterator[Detection]:
    for table in inputs.rows("aws_dynamodb_table"):
        if table["pointInTimeRecoveryEnabled"] is False:
            yield Detection("aws_dynamodb_table", table["accountId"], table["region"], table["_key"],
                            {"tableName": table["tableName"], "pointInTimeRecoveryEnabled": False})


def detect_key_without_rotation(inputs: RuleInputs) -> Iterator[Detection]:
    """Enabled customer managed symmetric keys with rotation off (AWS rotates its managed keys; rotation of
    asymmetric, HMAC and imported keys is not supported, and the collector records None for them)."""
    for key in inputs.rows("aws_kms_key"):
        if key["keyManager"] == "CUSTOMER" and key["keySpec"] == "SYMMETRIC_DEFAULT" \
                and key["keyState"] == "Enabled" and key["rotationEnabled"] is False:
            yield Detection("aws_kms_key", key["accountId"], key["region"], key["_key"], {
                "keyId": key["keyId"], "aliases": list(key["aliases"] or ()), "rotationEnabled": False,
            })


_GONE_FILE_SYSTEM_STATES = ("deleting", "deleted")  # on their way out: nothing left to encrypt


def detect_unencrypted_file_system(inputs: RuleInputs) -> Iterator[Detection]:
    """EFS can encrypt a file system at rest only when it is created: the fix is a new file system."""
    for fs in inputs.rows("aws_efs_file_system"):
        if fs["encrypted"] is False and fs["lifeCycleState"] not in _GONE_FILE_SYSTEM_STATES:
            yield Detection("aws_efs_file_system", fs["accountId"], fs["region"], fs["_key"], {
                "fileSystemId": fs["fileSystemId"], "name": fs["name"], "encrypted": False,
            })


STORAGE_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-S3-002", "medium", "S3 bucket without a public access block",
        "A bucket-level Block Public Access setting is off and the account-level block is off too (a bucket the "
        "account's block covers is not flagged). Evidence: the settings that are off.",
        _BUCKET_READS, detect_bucket_without_public_access_block,
        remediation="Turn on all four settings for the account (`aws s3control put-public-access-block`) or for "
        "the bucket (`aws s3api put-public-access-block`), unless it must serve the public.",
        cis=("2.1.4",),
    ),
    Rule(
        "AWS-S3-003", "medium", "S3 bucket policy does not deny requests without TLS",
        "The bucket policy, as the policy evaluator decides it, does not explicitly deny every request made "
        "without TLS (`aws:SecureTransport` false), or the bucket has no policy.",
        _BUCKET_READS, detect_bucket_allowing_http,
        remediation="Add to the bucket policy: `{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"s3:*\", "
        "\"Resource\": [\"arn:aws:s3:::<bucket>\", \"arn:aws:s3:::<bucket>/*\"], \"Condition\": {\"Bool\": "
        "{\"aws:SecureTransport\": \"false\"}}}`.",
        cis=("2.1.1",),
    ),
    Rule(
        "AWS-S3-004", "low", "S3 bucket without server access logging",
        "Server access logging is off: requests to the bucket leave no record outside CloudTrail data events.",
        _BUCKET_READS, _bucket_setting("loggingEnabled", True),
        remediation="`aws s3api put-bucket-logging` to a logging bucket of the account.",
    ),
    Rule(
        "AWS-S3-005", "low", "S3 bucket without versioning",
        "Versioning is Suspended or was never enabled: an overwritten or deleted object cannot be recovered.",
        _BUCKET_READS, _bucket_setting("versioningStatus", "Enabled"),
        remediation="`aws s3api put-bucket-versioning --versioning-configuration Status=Enabled`, with a lifecycle "
        "rule that expires old versions.",
    ),
    Rule(
        "AWS-S3-006", "low", "S3 bucket without MFA delete",
        "Deleting an object version or changing the versioning state does not need MFA.",
        _BUCKET_READS, _bucket_setting("mfaDelete", True),
        remediation="As the root user with its MFA device: `aws s3api put-bucket-versioning "
        "--versioning-configuration Status=Enabled,MFADelete=Enabled --mfa '<serial> <code>'`.",
        cis=("2.1.2",),
    ),
    Rule(
        "AWS-S3-007", "low", "S3 bucket ACLs enabled",
        "Object ownership is not BucketOwnerEnforced, so ACLs still grant access (no ownership controls at all "
        "is ObjectWriter). Not flagged when reading the ownership controls was denied.",
        _BUCKET_READS, detect_bucket_acls_enabled,
        remediation="`aws s3api put-bucket-ownership-controls --ownership-controls "
        "Rules=[{ObjectOwnership=BucketOwnerEnforced}]` once no ACL grants what the bucket policy does not.",
    ),
    Rule(
        "AWS-RDS-002", "high", "RDS database publicly accessible",
        "A DB instance (or a Multi-AZ DB cluster) is publicly accessible: it has a public DNS name and address, "
        "open wherever its security groups let traffic in.",
        _DB_READS, detect_public_database, subject="aws_db_instance",
        remediation="`aws rds modify-db-instance --no-publicly-accessible` and reach it from within the VPC.",
        cis=("2.2.3",),
    ),
    Rule(
        "AWS-RDS-003", "low", "RDS database without deletion protection",
        "A cluster, or a DB instance outside any collected cluster, can be deleted by one API call.",
        _DB_READS, _database_setting("deletionProtection"), subject="aws_db_instance",
        remediation="`aws rds modify-db-instance --deletion-protection` (`modify-db-cluster` for a cluster).",
    ),
    Rule(
        "AWS-RDS-004", "low", "RDS database not Multi-AZ",
        "A cluster, or a DB instance outside any collected cluster, runs in one availability zone.",
        _DB_READS, _database_setting("multiAz"), subject="aws_db_instance",
        remediation="`aws rds modify-db-instance --multi-az` (for Aurora, add a reader in another zone).",
        cis=("2.2.4",),
    ),
    Rule(
        "AWS-RDS-005", "low", "RDS database without IAM authentication",
        "A MySQL, MariaDB or PostgreSQL database (Aurora included) does not accept IAM database authentication, so "
        "its users hold long-lived database passwords.",
        _DB_READS, _database_setting("iamDatabaseAuthenticationEnabled", engines=_IAM_AUTH_ENGINES),
        subject="aws_db_instance",
        remediation="`aws rds modify-db-instance --enable-iam-database-authentication` (`modify-db-cluster` for "
        "Aurora).",
    ),
    Rule(
        "AWS-RDS-006", "low", "RDS instance without automatic minor version upgrades",
        "The DB instance does not take minor engine versions (security patches) automatically.",
        _DB_READS, detect_minor_upgrades_off, subject="aws_db_instance",
        remediation="`aws rds modify-db-instance --auto-minor-version-upgrade`.",
        cis=("2.2.2",),
    ),
    Rule(
        "AWS-RDS-007", "critical", "RDS snapshot public",
        "A DB or DB cluster snapshot is restorable by every AWS account (restore attribute `all`): anyone can "
        "copy the database.",
        _SNAPSHOT_READS, detect_public_snapshot,
        remediation="`aws rds modify-db-snapshot-attribute --attribute-name restore --values-to-remove all` "
        "(`modify-db-cluster-snapshot-attribute` for a cluster snapshot).",
    ),
    Rule(
        "AWS-RDS-008", "high", "RDS snapshot shared outside the zone of trust",
        "A DB or DB cluster snapshot is shared with an account outside the account's organisation (when the lake "
        "holds it; else outside the account). Evidence: the accounts outside.",
        _SNAPSHOT_READS, detect_snapshot_shared_outside,
        remediation="`aws rds modify-db-snapshot-attribute --attribute-name restore --values-to-remove <account>` "
        "(`modify-db-cluster-snapshot-attribute` for a cluster snapshot), unless the account is trusted.",
    ),
    Rule(
        "AWS-RDS-009", "medium", "Unencrypted RDS snapshot",
        "A manual DB or DB cluster snapshot, or one whose database the lake no longer holds, is not encrypted. An "
        "automated snapshot of a collected unencrypted database is that database's AWS-RDS-001.",
        _SNAPSHOT_READS, detect_unencrypted_snapshot,
        remediation="Copy it encrypted (`aws rds copy-db-snapshot --kms-key-id <key>`) and delete the "
        "unencrypted one.",
    ),
    Rule(
        "AWS-DYNAMODB-002", "low", "DynamoDB table without point-in-time recovery",
        "Continuous backups are off: the table cannot be restored to a moment of the last 35 days.",
        {"aws_dynamodb_table": (*PLACE, "tableName", "pointInTimeRecoveryEnabled")}, detect_table_without_pitr,
        remediation="`aws dynamodb update-continuous-backups --point-in-time-recovery-specification "
        "PointInTimeRecoveryEnabled=true`.",
    ),
    Rule(
        "AWS-KMS-001", "medium", "Customer managed key without automatic rotation",
        "An enabled customer managed symmetric KMS key does not rotate its key material.",
        {"aws_kms_key": (*PLACE, "keyId", "keyManager", "keySpec", "keyState", "rotationEnabled", "aliases")},
        detect_key_without_rotation,
        remediation="`aws kms enable-key-rotation --key-id <id>` (every 365 days by default).",
        cis=("3.6",),
    ),
    Rule(
        "AWS-EFS-001", "medium", "Unencrypted EFS file system",
        "The EFS file system is not encrypted at rest: its files are stored in the clear on AWS's disks. EFS "
        "encrypts a file system only when it is created, so the fix is a new one. File systems being deleted are "
        "not judged.",
        {"aws_efs_file_system": (*PLACE, "fileSystemId", "name", "encrypted", "lifeCycleState")},
        detect_unencrypted_file_system,
        remediation="Create an encrypted file system (`aws efs create-file-system --encrypted --kms-key-id <key>`), "
        "copy the data with AWS DataSync, move the clients over and delete the unencrypted one; an SCP denying "
        "`elasticfilesystem:CreateFileSystem` when `elasticfilesystem:Encrypted` is false stops new ones.",
        cis=("2.3.1",),
    ),
)

"""What S3 adds to a bucket's policy, written as the statements it equals, so that the evaluator reads one resource
policy for a bucket: its policy's statements, then

- the bucket ACL's grants, as S3's "Mapping of ACL permissions and access policy permissions" gives them for a
  bucket: READ is `s3:ListBucket`, `s3:ListBucketVersions` and `s3:ListBucketMultipartUploads`; WRITE is
  `s3:PutObject` on the bucket's objects; READ_ACP `s3:GetBucketAcl`; WRITE_ACP `s3:PutBucketAcl`; FULL_CONTROL all
  four. A grantee is a canonical user (an account: `{"CanonicalUser": id}`), all users (`*`), any authenticated AWS
  principal (`*` unless the caller is anonymous), or the log delivery group (S3's logging service, for the
  bucket's own account: server access logging delivers only to a bucket of the source bucket's owner). A grant to the
  bucket owner's own account is left out: within the account it delegates to IAM, which decides anyway. A grant to
  an e-mail address names an account the lake cannot tell, and is left out too.
  ACLs are ignored when Object Ownership is BucketOwnerEnforced ("ACLs are disabled and no longer affect
  permissions"), and the public grants (all users, authenticated users) when IgnorePublicAcls is on for the bucket
  or its account.
- Block Public Access's RestrictPublicBuckets (the bucket's or its account's), when the policy is public (AWS's
  policy status): "only AWS service principals and authorized users within the bucket owner's account" may then use
  the bucket, as a Deny of every other caller.

Pure: a bucket's row and its account's flags in, a policy document out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_assets.analysis.documents import DocumentReader
from aws_assets.services.s3 import AWS_S3_BUCKET

BUCKET_TYPE = AWS_S3_BUCKET.type
BUCKET_COLUMNS = ("aclGrants", "ownerId", "objectOwnership", "ignorePublicAcls", "restrictPublicBuckets",
                  "policyPublic")
ACCOUNT_COLUMNS = ("accountId", "s3IgnorePublicAcls", "s3RestrictPublicBuckets")

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
LOGGING_SERVICE = "logging.s3.amazonaws.com"
ACLS_DISABLED = "BucketOwnerEnforced"

ACL_ACTIONS: dict[str, tuple[str, ...]] = {
    "READ": ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"),
    "WRITE": ("s3:PutObject",),
    "READ_ACP": ("s3:GetBucketAcl",),
    "WRITE_ACP": ("s3:PutBucketAcl",),
}
ACL_ACTIONS["FULL_CONTROL"] = tuple(action for actions in ACL_ACTIONS.values() for action in actions)
# How an unsigned caller is told apart: AWS sets aws:PrincipalType to Anonymous for it.
SIGNED_ONLY = {"StringNotEquals": {"aws:PrincipalType": "Anonymous"}}


class AccountFlags(dict[str, tuple[bool, bool]]):
    """Account -> (IgnorePublicAcls, RestrictPublicBuckets) of its account-level block."""

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> AccountFlags:
        return cls({row["accountId"]: (bool(row.get("s3IgnorePublicAcls")), bool(row.get("s3RestrictPublicBuckets")))
                    for row in rows if row.get("accountId")})


def canonical_accounts(buckets: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Canonical user ID -> account, from the owners of the buckets the lake holds."""
    return {row["ownerId"]: row["accountId"] for row in buckets if row.get("ownerId") and row.get("accountId")}


def bucket_policy(row: Mapping[str, Any], account: tuple[bool, bool] = (False, False)) -> Any:
    """The bucket's policy with what its ACL and Block Public Access add; the policy as it is when they add
    nothing, None when the bucket has neither."""
    ignore_public_acls = bool(row.get("ignorePublicAcls")) or account[0]
    restrict_public = bool(row.get("restrictPublicBuckets")) or account[1]
    added = _acl_statements(row, ignore_public_acls)
    if restrict_public and row.get("policyPublic"):
        added.append(_restriction(row))
    policy = row.get("policy")
    if not added:
        return policy
    statements: list[Any] = []
    if policy is not None:
        decoded = DocumentReader("bucket policy").decode(policy)
        body = decoded if isinstance(decoded, Mapping) else {}
        found = next((value for key, value in body.items() if str(key).lower() == "statement"), None)
        statements = [found] if isinstance(found, Mapping) else found if isinstance(found, list) else []
    return {"Version": "2012-10-17", "Statement": [*statements, *added]}


def _acl_statements(row: Mapping[str, Any], ignore_public: bool) -> list[dict[str, Any]]:
    if row.get("objectOwnership") == ACLS_DISABLED or not row.get("aclGrants"):
        return []
    try:
        grants = json.loads(row["aclGrants"])
    except (TypeError, ValueError):
        return []
    bucket = row["arn"]
    statements = []
    for grant in grants if isinstance(grants, list) else []:
        actions = ACL_ACTIONS.get(str(grant.get("permission")))
        grantee = grant.get("grantee")
        if not actions or not isinstance(grantee, str) or grantee == row.get("ownerId"):
            continue
        statement: dict[str, Any] = {"Sid": f"BucketACL {grant['permission']} {grantee}", "Effect": "Allow",
                                     "Action": list(actions), "Resource": [bucket, f"{bucket}/*"]}
        if grantee == ALL_USERS and not ignore_public:
            statement["Principal"] = "*"
        elif grantee == AUTHENTICATED_USERS and not ignore_public:
            statement.update(Principal="*", Condition=SIGNED_ONLY)
        elif grantee == LOG_DELIVERY:  # server access logs go only to a bucket of the source bucket's account
            statement.update(Principal={"Service": LOGGING_SERVICE},
                             Condition={"StringEquals": {"aws:SourceAccount": row["accountId"]}})
        elif grant.get("type") == "CanonicalUser":
            statement["Principal"] = {"CanonicalUser": grantee}
        else:
            continue
        statements.append(statement)
    return statements


def _restriction(row: Mapping[str, Any]) -> dict[str, Any]:
    bucket = row["arn"]
    return {"Sid": "BlockPublicAccess RestrictPublicBuckets", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": row["accountId"]},
                          "Bool": {"aws:PrincipalIsAWSService": "false"}}}

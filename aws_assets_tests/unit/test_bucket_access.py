"""A bucket's ACL and Block Public Access read as the policy statements they equal (`bucket_access`), each case
decided end to end by the evaluator: who may list, write and read the ACL of a bucket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_assets.analysis.bucket_access import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    LOG_DELIVERY,
    AccountFlags,
    bucket_policy,
    canonical_accounts,
)
from aws_assets.analysis.evaluation import Layer, PolicySet, Request, Result, evaluate

OWNER, PARTNER = "111111111111", "222222222222"
OWNER_ID, PARTNER_ID = "a" * 64, "b" * 64
BUCKET = "arn:aws:s3:::acme-logs"
OBJECT = f"{BUCKET}/2026/12/04/log.gz"
PARTNER_USER = f"arn:aws:iam::{PARTNER}:user/carol"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def grant(grantee: str, permission: str, kind: str = "Group") -> dict[str, str]:
    return {"type": kind, "grantee": grantee, "permission": permission}


def bucket(*grants: dict[str, str], policy: Any = None, **settings: Any) -> dict[str, Any]:
    owner = grant(OWNER_ID, "FULL_CONTROL", "CanonicalUser")
    return {"arn": BUCKET, "accountId": OWNER, "ownerId": OWNER_ID, "aclGrants": json.dumps([owner, *grants]),
            "policy": None if policy is None else json.dumps(policy), **settings}


def decide(row: dict[str, Any], principal: str, action: str, resource: str = BUCKET,
           account: tuple[bool, bool] = (False, False), canonical_id: str | None = None) -> Result:
    identity = [ADMIN] if principal != "anonymous" and ":iam::" in principal else []
    request = Request(principal, action, resource, resource_account=OWNER, principal_canonical_id=canonical_id)
    return evaluate(request, PolicySet(identity=identity, resource=bucket_policy(row, account))).result


@pytest.mark.parametrize(("action", "resource", "result"), [
    ("s3:ListBucket", BUCKET, Result.ALLOWED),  # READ
    ("s3:ListBucketVersions", BUCKET, Result.ALLOWED),
    ("s3:GetObject", OBJECT, Result.IMPLICITLY_DENIED),  # a bucket's READ is not its objects'
    ("s3:PutObject", OBJECT, Result.IMPLICITLY_DENIED),  # no WRITE granted
    ("s3:GetBucketAcl", BUCKET, Result.IMPLICITLY_DENIED),
])
def test_a_public_read_acl_lets_anyone_list_the_bucket_and_nothing_more(action, resource, result):
    assert decide(bucket(grant(ALL_USERS, "READ")), "anonymous", action, resource) is result


def test_a_grant_to_authenticated_users_admits_any_signed_caller_but_not_an_unsigned_one():
    row = bucket(grant(AUTHENTICATED_USERS, "WRITE"))
    assert decide(row, PARTNER_USER, "s3:PutObject", OBJECT) is Result.ALLOWED
    assert decide(row, "anonymous", "s3:PutObject", OBJECT) is Result.IMPLICITLY_DENIED


def test_a_canonical_user_grant_names_its_account_when_the_request_knows_the_callers_canonical_id():
    row = bucket(grant(PARTNER_ID, "FULL_CONTROL", "CanonicalUser"))
    for action, resource in (("s3:ListBucket", BUCKET), ("s3:PutObject", OBJECT), ("s3:PutBucketAcl", BUCKET)):
        assert decide(row, PARTNER_USER, action, resource, canonical_id=PARTNER_ID) is Result.ALLOWED
    # Without it the grant names no one the evaluator can tell, and across accounts the bucket must allow.
    assert decide(row, PARTNER_USER, "s3:ListBucket", canonical_id=None) is Result.IMPLICITLY_DENIED
    assert decide(row, PARTNER_USER, "s3:ListBucket", canonical_id="c" * 64) is Result.IMPLICITLY_DENIED


def test_the_log_delivery_group_is_s3s_logging_service():
    row = bucket(grant(LOG_DELIVERY, "WRITE"))
    logs_of = {"aws:SourceAccount": OWNER}
    assert evaluate(Request("logging.s3.amazonaws.com", "s3:PutObject", OBJECT, resource_account=OWNER,
                            context=logs_of), PolicySet(resource=bucket_policy(row))).allowed
    # For a bucket of another account it delivers nothing: the target must be the source bucket owner's.
    assert evaluate(Request("logging.s3.amazonaws.com", "s3:PutObject", OBJECT, resource_account=OWNER,
                            context={"aws:SourceAccount": PARTNER}), PolicySet(resource=bucket_policy(row))
                    ).result is Result.IMPLICITLY_DENIED
    assert decide(row, "cloudtrail.amazonaws.com", "s3:PutObject", OBJECT) is Result.IMPLICITLY_DENIED


def test_acls_disabled_by_object_ownership_grant_nothing():
    row = bucket(grant(ALL_USERS, "READ"), objectOwnership="BucketOwnerEnforced")
    assert bucket_policy(row) is None
    assert decide(row, "anonymous", "s3:ListBucket") is Result.IMPLICITLY_DENIED


def test_ignore_public_acls_of_the_bucket_or_its_account_drops_only_the_public_grants():
    grants = (grant(ALL_USERS, "READ"), grant(PARTNER_ID, "READ", "CanonicalUser"))
    for row, account in ((bucket(*grants, ignorePublicAcls=True), (False, False)),
                         (bucket(*grants), (True, False))):
        assert decide(row, "anonymous", "s3:ListBucket", account=account) is Result.IMPLICITLY_DENIED
        assert decide(row, PARTNER_USER, "s3:ListBucket", account=account, canonical_id=PARTNER_ID) is Result.ALLOWED


def test_restrict_public_buckets_admits_only_services_and_the_owners_account_to_a_public_bucket():
    public = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"},
        {"Sid": "Trail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"{BUCKET}/*"}]}
    row = bucket(policy=public, policyPublic=True, restrictPublicBuckets=True)
    assert decide(row, "anonymous", "s3:GetObject", OBJECT) is Result.EXPLICITLY_DENIED
    assert decide(row, PARTNER_USER, "s3:GetObject", OBJECT) is Result.EXPLICITLY_DENIED
    assert decide(row, f"arn:aws:iam::{OWNER}:user/alice", "s3:GetObject", OBJECT) is Result.ALLOWED
    assert decide(row, "cloudtrail.amazonaws.com", "s3:PutObject", OBJECT) is Result.ALLOWED
    decision = evaluate(Request("anonymous", "s3:GetObject", OBJECT, resource_account=OWNER),
                        PolicySet(resource=bucket_policy(row)))
    assert [(ref.layer, ref.statement) for ref in decision.statements] == [
        (Layer.RESOURCE, "BlockPublicAccess RestrictPublicBuckets")]
    # The account's setting counts as the bucket's; a policy that is not public is left as it is.
    assert decide(bucket(policy=public, policyPublic=True), "anonymous", "s3:GetObject", OBJECT,
                  account=(False, True)) is Result.EXPLICITLY_DENIED
    private = bucket(policy=public, policyPublic=False, restrictPublicBuckets=True)
    assert bucket_policy(private) == json.dumps(public)


def test_the_owners_own_grant_adds_nothing_and_the_policy_keeps_its_statements():
    assert bucket_policy(bucket()) is None
    policy = {"Version": "2012-10-17", "Statement": {"Sid": "Mine", "Effect": "Allow", "Principal": {"AWS": PARTNER},
                                                     "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}}
    merged = bucket_policy(bucket(grant(ALL_USERS, "READ"), policy=policy))
    assert [statement["Sid"] for statement in merged["Statement"]] == ["Mine", f"BucketACL READ {ALL_USERS}"]


def test_canonical_ids_and_account_flags_come_from_the_lakes_rows():
    rows = [{"ownerId": OWNER_ID, "accountId": OWNER}, {"ownerId": None, "accountId": PARTNER}]
    assert canonical_accounts(rows) == {OWNER_ID: OWNER}
    flags = AccountFlags.of([{"accountId": OWNER, "s3IgnorePublicAcls": True, "s3RestrictPublicBuckets": None}])
    assert flags == {OWNER: (True, False)}

"""The policies assembled for a request from hand-built lake rows, each case decided end to end by the evaluator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_assets.analysis.evaluation import Layer, Result, evaluate
from aws_assets.analysis.policy_sets import OUTSIDE_IDENTITY, PolicyIndex, UnknownPrincipal
from aws_assets.analysis.simulator import can, who_can
from aws_assets_tests.policy_documents import allow, deny
from aws_assets_tests.policy_documents import document_text as doc

A, B, OUTSIDE = "111111111111", "222222222222", "999999999999"  # A manages the organisation, B is a member
BUCKET = "arn:aws:s3:::acme-data"
OBJECT = f"{BUCKET}/reports/q1.csv"





def user(account: str, name: str, groups=(), attached=(), boundary=None, tags=None) -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{account}:user/{name}", "accountId": account, "username": name, "path": "/",
            "tags": list((tags or {}).items()), "groupNames": list(groups), "attachedPolicyArns": list(attached),
            "permissionsBoundaryArn": boundary}


def role(account: str, name: str, trust: str, attached=(), boundary=None, path="/") -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{account}:role{path}{name}", "accountId": account, "roleName": name, "path": path,
            "tags": [], "attachedPolicyArns": list(attached), "permissionsBoundaryArn": boundary,
            "trustPolicy": trust, "serviceLinked": path.startswith("/aws-service-role/")}


def managed(arn: str, document: str, account: str = A) -> dict[str, Any]:
    return {"arn": arn, "document": document, "accountId": account}


def inline(owner_column: str, owner: str, name: str, document: str) -> dict[str, Any]:
    return {"_key": f"{owner}:inline-policy/{name}", "document": document, owner_column: owner}


def trusting(principal: Any) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def bucket(account: str, arn: str, policy: str | None) -> dict[str, Any]:
    return {"arn": arn, "accountId": account, "tags": [], "policy": policy}


def organisation(scps: list[dict[str, Any]] = (), rcps: list[dict[str, Any]] = ()) -> dict[str, list]:
    """o-1: root r-1 > ou-prod > B; A, the management account, in the root; SCPs and RCPs enabled, FullAWSAccess at
    every level."""
    full = {"policyId": "p-FullAWSAccess", "policyType": "SERVICE_CONTROL_POLICY",
            "document": doc(allow("*")), "targetIds": ["r-1", "ou-prod", A, B]}
    return {
        "aws_organization": [{"organizationId": "o-1", "managementAccountId": A}],
        "aws_organization_root": [{"rootId": "r-1", "enabledPolicyTypes": [
            "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]}],
        "aws_organizational_unit": [{"organizationalUnitId": "ou-prod", "parentId": "r-1"}],
        "aws_organization_account": [
            {"memberAccountId": A, "parentId": "r-1", "organizationId": "o-1", "managementAccount": True},
            {"memberAccountId": B, "parentId": "ou-prod", "organizationId": "o-1", "managementAccount": False}],
        "aws_organizations_policy": [full, *scps, *rcps],
    }


def index(**tables: list[dict[str, Any]]) -> PolicyIndex:
    return PolicyIndex(tables)


def decide(found: PolicyIndex, principal: str, action: str, resource: str, **context: Any):
    assembled, decision = can(found, principal, action, resource, context)
    return assembled, decision


def test_a_user_holds_its_groups_inline_and_attached_policies():
    readers = f"arn:aws:iam::{A}:policy/readers"
    group_arn = f"arn:aws:iam::{A}:group/analysts"
    found = index(
        aws_iam_user=[user(A, "alice", groups=["analysts"])],
        aws_iam_group=[{"arn": group_arn, "accountId": A, "groupName": "analysts", "attachedPolicyArns": [readers]}],
        aws_iam_policy=[managed(readers, doc(allow("s3:GetObject")))],
        aws_iam_group_policy=[inline("groupArn", group_arn, "no-delete", doc(deny("s3:DeleteObject")))],
        aws_s3_bucket=[bucket(A, BUCKET, None)],
    )
    alice = f"arn:aws:iam::{A}:user/alice"
    _, read = decide(found, alice, "s3:GetObject", OBJECT)
    assert read.result is Result.ALLOWED and [ref.policy for ref in read.statements] == [readers]
    _, delete = decide(found, alice, "s3:DeleteObject", OBJECT)
    assert delete.result is Result.EXPLICITLY_DENIED
    assert [ref.policy for ref in delete.statements] == [f"{group_arn}:inline-policy/no-delete"]
    _, put = decide(found, alice, "s3:PutObject", OBJECT)
    assert put.result is Result.IMPLICITLY_DENIED and put.lacking is Layer.IDENTITY


def test_an_aws_managed_policy_in_every_account_is_read_once():
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    found = index(
        aws_iam_user=[user(A, "alice", attached=[read_only])],
        aws_iam_policy=[managed(read_only, doc(allow("s3:Get*")), A), managed(read_only, doc(allow("s3:Get*")), B)],
    )
    assembled, decision = decide(found, f"arn:aws:iam::{A}:user/alice", "s3:GetObject", OBJECT)
    assert [policy.name for policy in assembled.policies.identity] == [read_only]
    assert decision.allowed


def test_the_permissions_boundary_limits_the_identity_policies():
    admin, s3_only = f"arn:aws:iam::{A}:policy/admin", f"arn:aws:iam::{A}:policy/s3-only"
    found = index(
        aws_iam_user=[user(A, "alice", attached=[admin], boundary=s3_only)],
        aws_iam_policy=[managed(admin, doc(allow("*"))), managed(s3_only, doc(allow("s3:*")))],
    )
    alice = f"arn:aws:iam::{A}:user/alice"
    assembled, listing = decide(found, alice, "iam:ListUsers", "*")
    assert assembled.policies.boundary.name == s3_only
    assert listing.result is Result.IMPLICITLY_DENIED and listing.lacking is Layer.BOUNDARY
    assert decide(found, alice, "s3:ListBucket", BUCKET)[1].allowed


def test_a_boundary_the_lake_does_not_hold_is_named_in_the_notes():
    found = index(aws_iam_user=[user(A, "alice", boundary=f"arn:aws:iam::{A}:policy/gone")])
    assembled, _ = decide(found, f"arn:aws:iam::{A}:user/alice", "s3:GetObject", OBJECT)
    assert assembled.policies.boundary is None
    assert any(f"arn:aws:iam::{A}:policy/gone is not in the lake" in note for note in assembled.notes)


def test_an_scp_at_an_ou_level_denies_the_member_accounts_below_it_not_the_management_account():
    admin = f"arn:aws:iam::{A}:policy/admin"
    admin_b = f"arn:aws:iam::{B}:policy/admin"
    deny_s3 = {"policyId": "p-nos3", "arn": "arn:aws:organizations::111111111111:policy/o-1/scp/p-nos3",
               "policyType": "SERVICE_CONTROL_POLICY", "document": doc(deny("s3:DeleteBucket")),
               "targetIds": ["ou-prod"]}
    found = index(
        aws_iam_user=[user(A, "alice", attached=[admin]), user(B, "bob", attached=[admin_b])],
        aws_iam_policy=[managed(admin, doc(allow("*"))), managed(admin_b, doc(allow("*")), B)],
        aws_s3_bucket=[bucket(A, "arn:aws:s3:::a-bucket", None), bucket(B, "arn:aws:s3:::b-bucket", None)],
        **organisation(scps=[deny_s3]),
    )
    assembled, bob = decide(found, f"arn:aws:iam::{B}:user/bob", "s3:DeleteBucket", "arn:aws:s3:::b-bucket")
    assert [len(level) for level in assembled.policies.scps] == [1, 2, 1]
    assert assembled.request.principal_org_id == "o-1"
    assert assembled.request.principal_org_paths == ["o-1/r-1/ou-prod/"]
    assert bob.result is Result.EXPLICITLY_DENIED
    assert [(ref.layer, ref.policy) for ref in bob.statements] == [(Layer.SCP, deny_s3["arn"])]
    assembled, alice = decide(found, f"arn:aws:iam::{A}:user/alice", "s3:DeleteBucket", "arn:aws:s3:::a-bucket")
    assert assembled.policies.principal_is_management_account and alice.allowed


def test_an_rcp_denies_an_outside_principal_the_bucket_policy_grants():
    rcp = {"policyId": "p-inside", "arn": "arn:aws:organizations::111111111111:policy/o-1/rcp/p-inside",
           "policyType": "RESOURCE_CONTROL_POLICY", "targetIds": ["ou-prod"], "document": doc(
               {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": [A, B]}}})}
    grant = doc({"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OUTSIDE}:root", A]},
                 "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    reader = f"arn:aws:iam::{A}:policy/reader"
    found = index(
        aws_iam_user=[user(A, "alice", attached=[reader])],
        aws_iam_policy=[managed(reader, doc(allow("s3:GetObject")))],
        aws_s3_bucket=[bucket(B, BUCKET, grant)],
        **organisation(rcps=[rcp]),
    )
    assembled, outsider = decide(found, f"arn:aws:iam::{OUTSIDE}:root", "s3:GetObject", OBJECT)
    assert assembled.request.resource_account == B and len(assembled.policies.rcps) == 3
    assert outsider.result is Result.EXPLICITLY_DENIED
    assert [(ref.layer, ref.policy) for ref in outsider.statements] == [(Layer.RCP, rcp["arn"])]
    # From A, a member of the organisation, the grant to its account and alice's identity policy allow.
    assert decide(found, f"arn:aws:iam::{A}:user/alice", "s3:GetObject", OBJECT)[1].allowed
    assert [access.principal for access in who_can(found, "s3:GetObject", OBJECT)] == [
        f"arn:aws:iam::{A}:user/alice"]


def test_a_role_session_takes_its_roles_policies_and_a_grant_to_the_session_passes_the_boundary():
    s3_policy, boundary = f"arn:aws:iam::{A}:policy/s3", f"arn:aws:iam::{A}:policy/ec2-only"
    session = f"arn:aws:sts::{A}:assumed-role/deploy/build-42"
    role_arn = f"arn:aws:iam::{A}:role/app/deploy"
    to_role = doc({"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "s3:GetObject",
                   "Resource": f"{BUCKET}/*"})
    to_session = doc({"Effect": "Allow", "Principal": {"AWS": session}, "Action": "s3:GetObject",
                      "Resource": f"{BUCKET}/*"})

    def lake(bucket_policy: str) -> PolicyIndex:
        return index(
            aws_iam_role=[role(A, "deploy", trusting({"AWS": A}), attached=[s3_policy], boundary=boundary,
                               path="/app/")],
            aws_iam_policy=[managed(s3_policy, doc(allow("s3:PutObject"))), managed(boundary, doc(allow("ec2:*")))],
            aws_s3_bucket=[bucket(A, BUCKET, bucket_policy)],
        )

    assembled, by_role_grant = decide(lake(to_role), session, "s3:GetObject", OBJECT)
    assert assembled.request.principal_arn == session and assembled.request.role_arn == role_arn
    assert [policy.name for policy in assembled.policies.identity] == [s3_policy]
    # A grant to the session's issuer (the role) is limited by the boundary; one naming the session is not.
    assert by_role_grant.result is Result.IMPLICITLY_DENIED
    assert decide(lake(to_session), session, "s3:GetObject", OBJECT)[1].allowed
    # The role named without its path is the role the lake holds.
    assert decide(lake(to_role), f"arn:aws:iam::{A}:role/deploy", "s3:PutObject", OBJECT)[0].request.principal_arn \
        == role_arn


def test_a_roles_trust_policy_is_its_resource_policy_for_assume_role():
    assume = f"arn:aws:iam::{A}:policy/assume"
    deploy = f"arn:aws:iam::{A}:role/deploy"
    found = index(
        aws_iam_user=[user(A, "alice", attached=[assume]), user(A, "bob", attached=[assume])],
        aws_iam_role=[role(A, "deploy", trusting({"AWS": f"arn:aws:iam::{A}:user/alice"}))],
        aws_iam_policy=[managed(assume, doc(allow("sts:AssumeRole")))],
    )
    assembled, alice = decide(found, f"arn:aws:iam::{A}:user/alice", "sts:AssumeRole", deploy)
    assert assembled.policies.resource.name == f"{deploy} trust policy" and alice.allowed
    _, bob = decide(found, f"arn:aws:iam::{A}:user/bob", "sts:AssumeRole", deploy)
    assert bob.result is Result.IMPLICITLY_DENIED and bob.lacking is Layer.RESOURCE
    assert decide(found, f"arn:aws:iam::{A}:user/bob", "iam:GetRole", deploy)[0].policies.resource is None


def test_an_s3_object_takes_its_buckets_policy_and_account():
    grant = doc({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    reader = f"arn:aws:iam::{B}:policy/reader"
    found = index(
        aws_iam_user=[user(B, "carol", attached=[reader])],
        aws_iam_policy=[managed(reader, doc(allow("s3:GetObject")), B)],
        aws_s3_bucket=[bucket(A, BUCKET, grant)],
    )
    carol = f"arn:aws:iam::{B}:user/carol"
    assembled, decision = decide(found, carol, "s3:GetObject", OBJECT)
    assert assembled.request.resource_account == A and assembled.notes == ()
    assert decision.allowed and {ref.layer for ref in decision.statements} == {Layer.IDENTITY, Layer.RESOURCE}
    # Of a bucket the lake does not hold nothing is guessed: no resource policy, and the notes say so.
    assembled, _ = decide(found, carol, "s3:GetObject", "arn:aws:s3:::unknown-bucket/key")
    assert assembled.policies.resource is None
    assert any("not in the lake" in note for note in assembled.notes)


def test_an_api_method_takes_its_rest_apis_policy_and_account():
    api = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3"
    method = f"arn:aws:execute-api:us-east-1:{A}:a1b2c3/prod/GET/pets"
    policy = doc({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "execute-api:Invoke",
                  "Resource": "execute-api:/prod/*"})
    invoker = f"arn:aws:iam::{B}:policy/invoker"
    found = index(
        aws_iam_user=[user(B, "carol", attached=[invoker])],
        aws_iam_policy=[managed(invoker, doc(allow("execute-api:Invoke")), B)],
        aws_api_gateway_rest_api=[{"arn": api, "accountId": A, "tags": [], "policy": policy}],
    )
    carol = f"arn:aws:iam::{B}:user/carol"
    assembled, decision = decide(found, carol, "execute-api:Invoke", method)
    assert assembled.request.resource_account == A and assembled.policies.resource is not None
    assert decision.allowed and {ref.layer for ref in decision.statements} == {Layer.IDENTITY, Layer.RESOURCE}
    _, other_stage = decide(found, carol, "execute-api:Invoke", method.replace("/prod/", "/test/"))
    assert other_stage.result is Result.IMPLICITLY_DENIED and other_stage.lacking is Layer.RESOURCE


def test_a_buckets_acl_grant_to_another_accounts_canonical_id_reaches_its_users():
    a_id, b_id = "a" * 64, "b" * 64
    acl = [{"type": "CanonicalUser", "grantee": a_id, "permission": "FULL_CONTROL"},
           {"type": "CanonicalUser", "grantee": b_id, "permission": "READ"}]
    lister = f"arn:aws:iam::{B}:policy/lister"
    found = index(
        aws_account=[{"accountId": A, "s3IgnorePublicAcls": False, "s3RestrictPublicBuckets": False}],
        aws_iam_user=[user(B, "carol", attached=[lister])],
        aws_iam_policy=[managed(lister, doc(allow("s3:List*")), B)],
        aws_s3_bucket=[{**bucket(A, BUCKET, None), "ownerId": a_id, "aclGrants": json.dumps(acl)},
                       {**bucket(B, "arn:aws:s3:::carols-bucket", None), "ownerId": b_id, "aclGrants": "[]"}],
    )
    carol = f"arn:aws:iam::{B}:user/carol"
    assembled, decision = decide(found, carol, "s3:ListBucket", BUCKET)
    assert assembled.request.caller.canonical_id == b_id
    assert decision.allowed and {ref.layer for ref in decision.statements} == {Layer.IDENTITY, Layer.RESOURCE}
    _, upload = decide(found, carol, "s3:PutObject", OBJECT)  # READ grants no WRITE; her policy none either
    assert upload.result is Result.IMPLICITLY_DENIED


def test_a_service_linked_role_is_flagged_and_scps_do_not_reach_it():
    admin_b = f"arn:aws:iam::{B}:policy/admin"
    deny_all = {"policyId": "p-none", "policyType": "SERVICE_CONTROL_POLICY", "document": doc(deny("*")),
                "targetIds": [B]}
    found = index(
        aws_iam_role=[role(B, "AWSServiceRoleForConfig", trusting({"Service": "config.amazonaws.com"}),
                           attached=[admin_b], path="/aws-service-role/config.amazonaws.com/")],
        aws_iam_policy=[managed(admin_b, doc(allow("*")), B)],
        **organisation(scps=[deny_all]),
    )
    assembled, decision = decide(found, f"arn:aws:iam::{B}:role/AWSServiceRoleForConfig", "config:Put*", "*")
    assert assembled.policies.principal_is_service_linked_role and decision.allowed


def test_an_unknown_principal_is_refused_with_the_nearest_arns():
    found = index(aws_iam_user=[user(A, "alice"), user(A, "alina"), user(A, "zed")])
    with pytest.raises(UnknownPrincipal) as refused:
        decide(found, f"arn:aws:iam::{A}:user/alicia", "s3:GetObject", OBJECT)
    assert f"arn:aws:iam::{A}:user/alicia" in str(refused.value)
    assert set(refused.value.suggestions) == {f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/alina"}


def test_who_can_follows_role_chains_and_lists_the_principals_outside_even_through_roles():
    assume, writer = f"arn:aws:iam::{A}:policy/assume", f"arn:aws:iam::{A}:policy/writer"
    alice, ops, deploy = (f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:role/ops",
                          f"arn:aws:iam::{A}:role/deploy")
    grant = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": "s3:PutObject",
                 "Resource": f"{BUCKET}/*"},
                {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": f"{BUCKET}/*", "Condition": {"StringEquals": {"aws:SourceAccount": A}}})
    found = index(
        aws_iam_user=[user(A, "alice", attached=[assume])],
        aws_iam_role=[role(A, "ops", trusting({"AWS": alice}), attached=[assume]),
                      role(A, "deploy", trusting({"AWS": ops, "Service": "codebuild.amazonaws.com"}),
                           attached=[writer]),
                      role(A, "loop", trusting({"AWS": deploy}), attached=[assume])],
        aws_iam_policy=[managed(assume, doc(allow("sts:AssumeRole"))),
                        managed(writer, doc(allow("s3:PutObject")))],
        aws_s3_bucket=[bucket(A, BUCKET, grant)],
    )
    found_rows = who_can(found, "s3:PutObject", OBJECT)
    listed = [(access.path_names, access.outside, access.allowed) for access in found_rows]
    assert listed == [
        ("role/deploy", False, True),
        ("role/ops -> role/deploy", False, True),
        ("user/alice -> role/ops -> role/deploy", False, True),
        (f"arn:aws:iam::{OUTSIDE}:root", True, True),
        ("codebuild.amazonaws.com -> role/deploy", True, True),
        ("logging.s3.amazonaws.com", True, False),
    ]
    assert found_rows[-1].missing_keys == ("aws:SourceAccount",)
    # With one hop only, alice's two-hop path is not followed.
    assert [access.path_names for access in who_can(found, "s3:PutObject", OBJECT, max_hops=1)
            if not access.outside] == ["role/deploy", "role/ops -> role/deploy"]


def test_an_outside_iam_principal_is_taken_to_be_allowed_by_its_own_account():
    found = index(aws_iam_user=[user(A, "alice")], aws_s3_bucket=[bucket(A, BUCKET, doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:user/partner"}, "Action": "s3:GetObject",
         "Resource": f"{BUCKET}/*"}))])
    assembled = found.assemble(f"arn:aws:iam::{OUTSIDE}:user/partner", "s3:GetObject", OBJECT, outside=True)
    assert [policy.name for policy in assembled.policies.identity] == [OUTSIDE_IDENTITY]
    assert evaluate(assembled.request, assembled.policies).allowed
    with pytest.raises(UnknownPrincipal):
        found.assemble(f"arn:aws:iam::{OUTSIDE}:user/partner", "s3:GetObject", OBJECT)


def test_an_entity_the_rows_leave_out_is_located_by_arn_and_an_aws_managed_key_is_flagged():
    key = f"arn:aws:kms:us-east-1:{B}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    located = {key: {"_type": "aws_kms_key", "arn": key, "accountId": B, "tags": [("team", "billing")],
                     "keyManager": "AWS"}}
    asked: list[str] = []

    def locate(arn: str):
        asked.append(arn)
        return located.get(arn)

    found = PolicyIndex({"aws_iam_user": [user(A, "alice")]}, locate)
    assembled, _ = decide(found, f"arn:aws:iam::{A}:user/alice", "kms:Decrypt", key)
    assert assembled.request.resource_account == B and assembled.request.resource_tags == {"team": "billing"}
    assert assembled.policies.resource_is_aws_managed_key and assembled.notes == ()
    decide(found, f"arn:aws:iam::{A}:user/alice", "kms:Encrypt", key)
    assert asked == [key]  # located once, then held

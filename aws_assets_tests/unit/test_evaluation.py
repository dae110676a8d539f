"""The request-level evaluator against a labelled corpus: each case names the documented rule it exercises (AWS's
"Policy evaluation logic", "Cross-account policy evaluation logic", "Permissions boundaries", the "IAM JSON policy
elements" and "Condition operators" pages, and issue 11's eight classes of disagreement, each with its minimal
example), and the result the documentation gives. Then hypothesis properties: a Deny never adds access, an Allow
never removes it, an SCP never grants, statement order does not matter."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_assets.analysis.evaluation import Layer, Policy, PolicySet, Request, Result, evaluate
from aws_assets_tests.policy_documents import allow, deny
from aws_assets_tests.policy_documents import document as doc

A, B = "111111111111", "222222222222"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{A}:user/bob"
DEPLOY_ROLE = f"arn:aws:iam::{A}:role/deploy"
DEPLOY_SESSION = f"arn:aws:sts::{A}:assumed-role/deploy/s1"
OTHER_ACCOUNT_USER = f"arn:aws:iam::{B}:user/carol"
BUCKET = "arn:aws:s3:::acme-prod-data"
OBJECT = f"{BUCKET}/reports/q1.csv"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE_B = f"arn:aws:dynamodb:us-east-1:{B}:table/orders"
SSO_ROLE = f"arn:aws:iam::{A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"
API_METHODS = f"arn:aws:execute-api:us-east-1:{A}:a1b2c3d4e5"

ALLOWED, IMPLICIT, EXPLICIT = Result.ALLOWED, Result.IMPLICITLY_DENIED, Result.EXPLICITLY_DENIED





def grant(principal: Any, action: Any = "*", resource: Any = "*", sid: str | None = None, effect: str = "Allow",
          **extra: Any) -> dict[str, Any]:
    """A resource-based policy statement."""
    return {**allow(action, resource, sid, **extra), "Effect": effect, "Principal": principal}


ADMIN = doc(allow(sid="Admin"))


def allowed_if(condition: dict[str, Any]) -> PolicySet:
    """An identity policy allowing everything under a condition."""
    return PolicySet(identity=[doc(allow(Condition=condition))])


def denied_if(condition: dict[str, Any], action: str = "*") -> PolicySet:
    """Admin, and a Deny under a condition."""
    return PolicySet(identity=[ADMIN, doc(deny(action, Condition=condition))])
FULL_ACCESS = [doc(allow(sid="FullAWSAccess"))]  # the default SCP / RCP of every level


@dataclass
class Case:
    rule: str  # the documented rule, and the issue-11 class where it is one
    request: Request
    policies: PolicySet
    result: Result
    deciding: tuple[tuple[Layer, str], ...] | None = None  # (layer, Sid or index) of the deciding statements
    lacking: Layer | None = None
    missing_keys: tuple[str, ...] | None = None  # for a conditional decision
    each_way: tuple[Result, Result, Result] | None = None  # (conditions hold, conditions fail, best case)
    extra: dict[str, Any] = field(default_factory=dict)


def req(principal: str, action: str, resource: str, **fields: Any) -> Request:
    return Request(principal, action, resource, **fields)


CASES = [
    # ---- basic evaluation -----------------------------------------------------------------------------------------
    Case("an identity-policy Allow grants within the account",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/*", "Read"))]),
         ALLOWED, deciding=((Layer.IDENTITY, "Read"),)),
    Case("by default every request is implicitly denied", req(ALICE, "s3:GetObject", OBJECT), PolicySet(),
         IMPLICIT, lacking=Layer.IDENTITY),
    Case("an explicit Deny overrides any Allow",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[ADMIN, doc(deny("s3:*", sid="NoS3"))]),
         EXPLICIT, deciding=((Layer.IDENTITY, "NoS3"),)),
    Case("the deciding statement without a Sid is named by its index",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("ec2:*"), deny("s3:*"))]),
         EXPLICIT, deciding=((Layer.IDENTITY, "1"),)),
    Case("NotAction with Deny denies every action but those listed",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN, doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Sid": "OnlyIam"})]),
         EXPLICIT, deciding=((Layer.IDENTITY, "OnlyIam"),)),
    Case("NotAction with Deny leaves the listed actions to the Allow",
         req(ALICE, "iam:GetUser", ALICE),
         PolicySet(identity=[ADMIN, doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})]), ALLOWED),
    Case("NotAction with Allow grants every other action",
         req(ALICE, "ec2:RunInstances", "arn:aws:ec2:us-east-1:111111111111:instance/*"),
         PolicySet(identity=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]), ALLOWED),
    Case("NotAction with Allow does not grant the listed actions",
         req(ALICE, "iam:CreateUser", BOB),
         PolicySet(identity=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]), IMPLICIT),
    Case("NotResource grants every resource but those listed",
         req(ALICE, "s3:GetObject", "arn:aws:s3:::public-site/index.html"),
         PolicySet(identity=[doc({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/*"})]), ALLOWED),
    Case("NotResource does not grant the listed resources",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[doc({"Effect": "Allow", "Action": "s3:*", "NotResource": f"{BUCKET}/*"})]), IMPLICIT),
    Case("actions match case-insensitively",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("S3:getobject"))]), ALLOWED),
    Case("? in an action matches exactly one character",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:Get?bject"))]), ALLOWED),
    Case("an action wildcard must match the whole action",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:Get?"))]), IMPLICIT),
    Case("an action of another service is not matched by a service wildcard",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3express:*"))]), IMPLICIT),
    Case("ARNs match case-sensitively",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:*", "arn:aws:s3:::ACME-prod-data/*"))]),
         IMPLICIT),
    Case("* in the resource part crosses / (objects at any depth)",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:*", "arn:aws:s3:::acme-*"))]),
         ALLOWED),
    Case("a statement given as an object rather than a list, and a document as JSON text",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=['{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}']),
         ALLOWED),
    # ---- issue 11, class 2: a pattern keeps its region and resource type ------------------------------------------
    Case("class 2: a region in the pattern is kept (us-east-1 functions only)",
         req(ALICE, "lambda:InvokeFunction", f"arn:aws:lambda:us-west-2:{A}:function:f"),
         PolicySet(identity=[doc(allow("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*"))]), IMPLICIT),
    Case("class 2: the same pattern allows a us-east-1 function",
         req(ALICE, "lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{A}:function:f"),
         PolicySet(identity=[doc(allow("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*"))]), ALLOWED),
    Case("class 2: a Deny on us-east-1 functions does not deny a us-west-2 one",
         req(ALICE, "lambda:InvokeFunction", f"arn:aws:lambda:us-west-2:{A}:function:f"),
         PolicySet(identity=[ADMIN, doc(deny("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*"))]), ALLOWED),
    Case("class 2: a resource type in the pattern is kept (instances, not volumes)",
         req(ALICE, "ec2:DeleteVolume", f"arn:aws:ec2:us-east-1:{A}:volume/vol-1"),
         PolicySet(identity=[doc(allow("ec2:*", "arn:aws:ec2:*:*:instance/*"))]), IMPLICIT),
    Case("a wildcard region does not run into the account segment",
         req(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:jobs"),
         PolicySet(identity=[doc(allow("sqs:*", f"arn:aws:sqs:*:{B}:*"))]), IMPLICIT),
    # ---- class 3: a pattern for part of a resource does not count for the whole -----------------------------------
    Case("class 3: bucket/* is the objects, not the bucket",
         req(ALICE, "s3:GetBucketPolicy", BUCKET), PolicySet(identity=[doc(allow("s3:*", f"{BUCKET}/*"))]), IMPLICIT),
    Case("class 3: bucket/* allows an object",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("s3:*", f"{BUCKET}/*"))]), ALLOWED),
    Case("class 3: table/orders/index/* is the indexes, not the table",
         req(ALICE, "dynamodb:DeleteTable", f"arn:aws:dynamodb:us-east-1:{A}:table/orders"),
         PolicySet(identity=[doc(allow("dynamodb:*", f"arn:aws:dynamodb:us-east-1:{A}:table/orders/index/*"))]),
         IMPLICIT),
    # ---- class 5: a pattern of one service reaches only that service ----------------------------------------------
    Case("class 5: an SQS pattern does not reach S3 objects",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[doc(allow("*", f"arn:aws:sqs:*:{A}:*"))]), IMPLICIT),
    # ---- class 1 and cross-account ---------------------------------------------------------------------------------
    Case("class 1: across accounts the identity side alone does not suffice: the resource side must allow",
         req(ALICE, "dynamodb:PutItem", TABLE_B), PolicySet(identity=[ADMIN]), IMPLICIT, lacking=Layer.RESOURCE),
    Case("class 1: Allow * on * reaches another account's table once its resource policy allows the account",
         req(ALICE, "dynamodb:PutItem", TABLE_B),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": A}, "dynamodb:PutItem", sid="Partner"))), ALLOWED,
         deciding=((Layer.IDENTITY, "Admin"), (Layer.RESOURCE, "Partner"))),
    Case("cross-account: the resource policy allows the account but no identity policy allows",
         req(ALICE, "dynamodb:PutItem", TABLE_B), PolicySet(resource=doc(grant({"AWS": A}, "dynamodb:*"))),
         IMPLICIT, lacking=Layer.IDENTITY),
    Case("cross-account S3: the bucket's account is given by the caller (bucket ARNs name none)",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT, resource_account=B),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/*"))],
                   resource=doc(grant({"AWS": DEPLOY_ROLE}, "s3:GetObject", f"{BUCKET}/*"))), ALLOWED),
    Case("cross-account S3: a bucket policy naming the caller is not enough without its identity policy",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT, resource_account=B),
         PolicySet(resource=doc(grant({"AWS": DEPLOY_ROLE}, "s3:GetObject", f"{BUCKET}/*"))), IMPLICIT),
    Case("cross-account: a resource policy granting a third account does not allow the caller",
         req(ALICE, "dynamodb:PutItem", TABLE_B),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": "333333333333"}, "dynamodb:*"))), IMPLICIT),
    Case("cross-account: a Deny in the other account's resource policy wins",
         req(ALICE, "dynamodb:PutItem", TABLE_B),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": A}), grant("*", sid="NoWrites", effect="Deny",
                                                                             action="dynamodb:PutItem"))),
         EXPLICIT, deciding=((Layer.RESOURCE, "NoWrites"),)),
    # ---- resource-based policies within one account ----------------------------------------------------------------
    Case("within one account a resource policy naming the user suffices without an identity policy",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(resource=doc(grant({"AWS": ALICE}, "s3:GetObject", sid="Alice"))), ALLOWED,
         deciding=((Layer.RESOURCE, "Alice"),)),
    Case("a resource policy naming the account delegates to IAM: the identity policy must allow",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(resource=doc(grant({"AWS": f"arn:aws:iam::{A}:root"}))),
         IMPLICIT),
    Case("Principal {\"AWS\": \"*\"} is all principals, as \"*\" is",
         req("cloudtrail.amazonaws.com", "s3:PutObject", OBJECT), PolicySet(resource=doc(grant({"AWS": "*"}, "s3:*"))),
         ALLOWED),
    Case("an anonymous request is allowed by a public bucket policy",
         req("anonymous", "s3:GetObject", OBJECT, resource_account=A),
         PolicySet(resource=doc(grant("*", "s3:GetObject"))), ALLOWED),
    Case("an anonymous request is not allowed by a grant to the account",
         req("anonymous", "s3:GetObject", OBJECT, resource_account=A),
         PolicySet(resource=doc(grant({"AWS": A}, "s3:GetObject"))), IMPLICIT),
    Case("an anonymous request is limited by RCPs",
         req("anonymous", "s3:GetObject", OBJECT, resource_account=A),
         PolicySet(resource=doc(grant("*", "s3:GetObject")), rcps=[[doc(grant("*")), doc(grant("*", effect="Deny"))]]),
         EXPLICIT),
    Case("a Principal written as a bare ARN string names that principal",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(resource=doc(grant(ALICE, "s3:GetObject"))), ALLOWED),
    Case("a public bucket policy (Principal *) allows within the account",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(resource=doc(grant("*", "s3:GetObject"))), ALLOWED),
    Case("a user path in the Principal names the same user (names are unique in the account)",
         req(f"arn:aws:iam::{A}:user/eng/alice", "s3:GetObject", OBJECT),
         PolicySet(resource=doc(grant({"AWS": f"arn:aws:iam::{A}:user/alice"}, "s3:GetObject"))), ALLOWED),
    Case("a resource policy naming another user does not allow",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(resource=doc(grant({"AWS": BOB}, "s3:GetObject"))), IMPLICIT),
    Case("API Gateway's execute-api:/ shorthand is the full ARN of the API the policy is attached to",
         req(OTHER_ACCOUNT_USER, "execute-api:Invoke", f"{API_METHODS}/prod/GET/pets"),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": B}, "execute-api:Invoke", "execute-api:/prod/GET/*",
                                                        sid="Partner"))), ALLOWED,
         deciding=((Layer.IDENTITY, "Admin"), (Layer.RESOURCE, "Partner"))),
    Case("the execute-api:/ shorthand keeps its stage, verb and path",
         req(OTHER_ACCOUNT_USER, "execute-api:Invoke", f"{API_METHODS}/prod/POST/pets"),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": B}, "execute-api:Invoke", "execute-api:/prod/GET/*"))),
         IMPLICIT, lacking=Layer.RESOURCE),
    Case("a Deny written with the execute-api:/ shorthand denies",
         req(ALICE, "execute-api:Invoke", f"{API_METHODS}/prod/GET/pets"),
         PolicySet(identity=[ADMIN], resource=doc(grant("*", "execute-api:Invoke", "execute-api:/*", sid="Block",
                                                        effect="Deny"))), EXPLICIT,
         deciding=((Layer.RESOURCE, "Block"),)),
    Case("the execute-api:/ shorthand means nothing in an identity policy (IAM wants an ARN)",
         req(ALICE, "execute-api:Invoke", f"{API_METHODS}/prod/GET/pets"),
         PolicySet(identity=[doc(allow("execute-api:Invoke", "execute-api:/*"))]), IMPLICIT, lacking=Layer.IDENTITY),
    Case("a CanonicalUser principal (S3) names the account whose canonical user ID it is",
         req(OTHER_ACCOUNT_USER, "s3:GetObject", OBJECT, resource_account=A, principal_canonical_id="b" * 64),
         PolicySet(identity=[ADMIN], resource=doc(grant({"CanonicalUser": "b" * 64}, "s3:GetObject", sid="Partner"))),
         ALLOWED, deciding=((Layer.IDENTITY, "Admin"), (Layer.RESOURCE, "Partner"))),
    Case("a CanonicalUser principal of another canonical ID does not name the caller",
         req(OTHER_ACCOUNT_USER, "s3:GetObject", OBJECT, resource_account=A, principal_canonical_id="c" * 64),
         PolicySet(identity=[ADMIN], resource=doc(grant({"CanonicalUser": "b" * 64}, "s3:GetObject"))),
         IMPLICIT, lacking=Layer.RESOURCE),
    # ---- permissions boundaries and session policies ---------------------------------------------------------------
    Case("a boundary limits identity-policy grants",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[ADMIN], boundary=doc(allow("ec2:*"))), IMPLICIT,
         lacking=Layer.BOUNDARY),
    Case("an action both the identity policy and the boundary allow is allowed",
         req(ALICE, "ec2:DescribeInstances", "*"), PolicySet(identity=[ADMIN], boundary=doc(allow("ec2:*"))), ALLOWED),
    Case("a boundary alone grants nothing",
         req(ALICE, "ec2:DescribeInstances", "*"), PolicySet(boundary=doc(allow())), IMPLICIT),
    Case("boundary: a resource policy naming the IAM user is not limited by the boundary",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(boundary=doc(allow("sts:GetCallerIdentity")), resource=doc(grant({"AWS": ALICE}, "s3:*"))),
         ALLOWED),
    Case("boundary: a resource policy naming the role ARN is limited by the role's boundary",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(boundary=doc(allow("ec2:*")), resource=doc(grant({"AWS": DEPLOY_ROLE}, "s3:*"))), IMPLICIT,
         lacking=Layer.BOUNDARY),
    Case("boundary: a resource policy naming the role session ARN is not limited by the boundary",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(boundary=doc(allow("ec2:*")), resource=doc(grant({"AWS": DEPLOY_SESSION}, "s3:*"))), ALLOWED),
    Case("boundary: the role-ARN grant allows when the boundary allows the action",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(boundary=doc(allow("s3:*")), resource=doc(grant({"AWS": DEPLOY_ROLE}, "s3:*"))), ALLOWED),
    Case("a session policy limits the role's identity-policy grants",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], session=doc(allow("s3:ListBucket"))), IMPLICIT, lacking=Layer.SESSION),
    Case("a session policy limits a resource-policy grant to the role ARN",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(session=doc(allow("s3:ListBucket")), resource=doc(grant({"AWS": DEPLOY_ROLE}, "s3:*"))), IMPLICIT),
    Case("a session policy does not limit a resource-policy grant to the session ARN",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(session=doc(allow("s3:ListBucket")), resource=doc(grant({"AWS": DEPLOY_SESSION}, "s3:*"))),
         ALLOWED),
    Case("a session policy limits a federated user's grant through its IAM user's ARN",
         req(f"arn:aws:sts::{A}:federated-user/alice", "s3:GetObject", OBJECT),
         PolicySet(session=doc(allow("s3:ListBucket")), resource=doc(grant({"AWS": ALICE}, "s3:*"))), IMPLICIT),
    Case("a resource policy naming the federated user session is not limited by the session policy",
         req(f"arn:aws:sts::{A}:federated-user/alice", "s3:GetObject", OBJECT),
         PolicySet(session=doc(allow("s3:ListBucket")),
                   resource=doc(grant({"AWS": f"arn:aws:sts::{A}:federated-user/alice"}, "s3:*"))), ALLOWED),
    Case("boundary (undocumented; read as a grant to the caller itself): a public grant is not limited by it",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(boundary=doc(allow("ec2:*")), resource=doc(grant("*", "s3:GetObject"))), ALLOWED),
    Case("a Deny in the boundary is an explicit deny",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[ADMIN], boundary=doc(allow(), deny("s3:*", sid="B"))),
         EXPLICIT, deciding=((Layer.BOUNDARY, "B"),)),
    # ---- KMS key policies ------------------------------------------------------------------------------------------
    Case("KMS: a key policy that does not allow the account nor the caller denies, whatever IAM allows",
         req(ALICE, "kms:Decrypt", KEY),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": f"arn:aws:iam::{A}:role/key-admin"}, "kms:*"))),
         IMPLICIT, lacking=Layer.RESOURCE),
    Case("KMS: with no key policy given nothing is allowed",
         req(ALICE, "kms:Decrypt", KEY), PolicySet(identity=[ADMIN]), IMPLICIT, lacking=Layer.RESOURCE),
    Case("KMS: the account root in the key policy delegates to IAM, which allows",
         req(ALICE, "kms:Decrypt", KEY),
         PolicySet(identity=[doc(allow("kms:Decrypt", KEY))],
                   resource=doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*", sid="EnableIAM"))), ALLOWED),
    Case("KMS: the account root in the key policy still needs an identity policy",
         req(ALICE, "kms:Decrypt", KEY), PolicySet(resource=doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*"))),
         IMPLICIT),
    Case("KMS: an alias has no key policy: IAM alone decides",
         req(ALICE, "kms:CreateAlias", f"arn:aws:kms:us-east-1:{A}:alias/app"), PolicySet(identity=[ADMIN]), ALLOWED),
    Case("KMS: a key policy naming the caller suffices within the account",
         req(ALICE, "kms:Decrypt", KEY), PolicySet(resource=doc(grant({"AWS": ALICE}, "kms:Decrypt"))), ALLOWED),
    # ---- role trust policies (issue 11, class 7) -------------------------------------------------------------------
    Case("trust: the trust policy must allow AssumeRole even when the identity policy does",
         req(ALICE, "sts:AssumeRole", DEPLOY_ROLE), PolicySet(identity=[ADMIN]), IMPLICIT, lacking=Layer.RESOURCE),
    Case("trust: a trust policy naming the account delegates to the caller's identity policy",
         req(ALICE, "sts:AssumeRole", DEPLOY_ROLE),
         PolicySet(identity=[doc(allow("sts:AssumeRole", DEPLOY_ROLE))],
                   resource=doc(grant({"AWS": A}, "sts:AssumeRole"))), ALLOWED),
    Case("trust: a trust policy naming the account, without an identity policy",
         req(ALICE, "sts:AssumeRole", DEPLOY_ROLE), PolicySet(resource=doc(grant({"AWS": A}, "sts:AssumeRole"))),
         IMPLICIT),
    Case("class 7: a trusted session ARN trusts that session only, not another session of the role",
         req(f"arn:aws:sts::{B}:assumed-role/deploy/s2", "sts:AssumeRole", DEPLOY_ROLE),
         PolicySet(identity=[ADMIN],
                   resource=doc(grant({"AWS": f"arn:aws:sts::{B}:assumed-role/deploy/s1"}, "sts:AssumeRole"))),
         IMPLICIT, lacking=Layer.RESOURCE),
    Case("class 7: the trusted session itself may assume the role",
         req(f"arn:aws:sts::{B}:assumed-role/deploy/s1", "sts:AssumeRole", DEPLOY_ROLE),
         PolicySet(identity=[ADMIN],
                   resource=doc(grant({"AWS": f"arn:aws:sts::{B}:assumed-role/deploy/s1"}, "sts:AssumeRole"))),
         ALLOWED),
    Case("class 7: ec2.amazonaws.com.cn is not ec2.amazonaws.com",
         req("ec2.amazonaws.com", "sts:AssumeRole", DEPLOY_ROLE),
         PolicySet(resource=doc(grant({"Service": "ec2.amazonaws.com.cn"}, "sts:AssumeRole"))), IMPLICIT),
    Case("a service principal named in the trust policy may assume the role",
         req("ec2.amazonaws.com", "sts:AssumeRole", DEPLOY_ROLE),
         PolicySet(resource=doc(grant({"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}, "sts:AssumeRole"))),
         ALLOWED),
    Case("a web identity provider named in the trust policy may assume the role with web identity",
         req(f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com", "sts:AssumeRoleWithWebIdentity",
             DEPLOY_ROLE),
         PolicySet(resource=doc(grant(
             {"Federated": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
             "sts:AssumeRoleWithWebIdentity"))), ALLOWED),
    # ---- SCPs -----------------------------------------------------------------------------------------------------
    Case("SCP at OU level: every level must allow (root allows all, the OU only EC2)",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[ADMIN], scps=[FULL_ACCESS, [doc(allow("ec2:*"))],
                                                                             FULL_ACCESS]),
         IMPLICIT, lacking=Layer.SCP),
    Case("SCPs that allow at every level let the identity grant through",
         req(ALICE, "ec2:RunInstances", "*"),
         PolicySet(identity=[ADMIN], scps=[FULL_ACCESS, [doc(allow("ec2:*"))], FULL_ACCESS]), ALLOWED),
    Case("an SCP Deny at the account level is an explicit deny",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], scps=[FULL_ACCESS, [doc(allow(), deny("s3:*", sid="NoS3"))]]), EXPLICIT,
         deciding=((Layer.SCP, "NoS3"),)),
    Case("SCPs do not apply to the management account",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], scps=[[doc(deny())]], principal_is_management_account=True), ALLOWED),
    Case("a service-linked role is known by its path: SCPs do not apply",
         req(f"arn:aws:iam::{A}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], scps=[[doc(deny())]]), ALLOWED),
    Case("RCPs do not apply to AWS managed KMS keys",
         req(ALICE, "kms:Decrypt", KEY),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": A})), rcps=[[doc(grant("*", effect="Deny"))]],
                   resource_is_aws_managed_key=True), ALLOWED),
    Case("RCPs apply to customer managed KMS keys",
         req(ALICE, "kms:Decrypt", KEY),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": A})), rcps=[[doc(grant("*", effect="Deny"))]]),
         EXPLICIT),
    Case("SCPs do not apply to service-linked roles",
         req(f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForECS/ecs", "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], scps=[[doc(deny())]], principal_is_service_linked_role=True), ALLOWED),
    Case("an SCP never grants: Allow * in the SCPs, no identity policy",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(scps=[FULL_ACCESS, FULL_ACCESS]), IMPLICIT,
         lacking=Layer.IDENTITY),
    Case("SCPs limit the account root user of a member account",
         req(f"arn:aws:iam::{A}:root", "s3:GetObject", OBJECT), PolicySet(scps=[[doc(deny("s3:*"))]]), EXPLICIT),
    Case("the root user needs no identity policy",
         req(f"arn:aws:iam::{A}:root", "s3:GetObject", OBJECT), PolicySet(scps=[FULL_ACCESS]), ALLOWED),
    Case("SCPs limit resource-policy grants to the principal too",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(scps=[[doc(allow("ec2:*"))]], resource=doc(grant({"AWS": ALICE}, "s3:*"))), IMPLICIT,
         lacking=Layer.SCP),
    # ---- RCPs -----------------------------------------------------------------------------------------------------
    Case("RCP on S3: a data-perimeter Deny refuses a principal of another organisation",
         req(OTHER_ACCOUNT_USER, "s3:GetObject", OBJECT, resource_account=A, principal_org_id="o-other"),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": B}, "s3:GetObject")),
                   rcps=[[doc(grant("*", sid="FullAWSAccess")),
                          doc(grant("*", "s3:*", sid="Perimeter", effect="Deny",
                                    Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-mine"}}))]]),
         EXPLICIT, deciding=((Layer.RCP, "Perimeter"),)),
    Case("RCP on S3: the same perimeter lets a principal of the organisation through",
         req(OTHER_ACCOUNT_USER, "s3:GetObject", OBJECT, resource_account=A, principal_org_id="o-mine"),
         PolicySet(identity=[ADMIN], resource=doc(grant({"AWS": B}, "s3:GetObject")),
                   rcps=[[doc(grant("*")),
                          doc(grant("*", "s3:*", effect="Deny",
                                    Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-mine"}}))]]),
         ALLOWED),
    Case("RCPs: every level holds RCPFullAWSAccess, which cannot be detached: a level given without it allows",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[ADMIN], rcps=[[doc(grant("*"))], []]), ALLOWED),
    Case("RCPs: a Deny at any level of the resource's account denies",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN],
                   rcps=[[doc(grant("*"))], [doc(grant("*", "s3:Get*", sid="NoReads", effect="Deny"))]]),
         EXPLICIT, deciding=((Layer.RCP, "NoReads"),)),
    Case("RCPs apply to an S3 action on no resource (s3:ListAllMyBuckets on *)",
         req(ALICE, "s3:ListAllMyBuckets", "*"),
         PolicySet(identity=[ADMIN], rcps=[[doc(grant("*")), doc(grant("*", "s3:ListAllMyBuckets", effect="Deny"))]]),
         EXPLICIT),
    Case("RCPs do not apply to services that do not support them",
         req(ALICE, "ec2:RunInstances", f"arn:aws:ec2:us-east-1:{A}:instance/*"),
         PolicySet(identity=[ADMIN], rcps=[[doc(grant("*", effect="Deny"))]]), ALLOWED),
    Case("RCPs do not apply to resources of the management account",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], rcps=[[doc(grant("*", effect="Deny"))]], resource_is_management_account=True),
         ALLOWED),
    Case("an RCP never grants",
         req(ALICE, "s3:GetObject", OBJECT), PolicySet(rcps=[[doc(grant("*"))]]), IMPLICIT),
    # ---- NotPrincipal ----------------------------------------------------------------------------------------------
    Case("NotPrincipal with Deny: a session listed with its role and account is exempt",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                    "NotPrincipal": {"AWS": [DEPLOY_SESSION, DEPLOY_ROLE, A]}})),
         ALLOWED),
    Case("NotPrincipal with Deny: everyone else is denied",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Sid": "Only",
                                                    "NotPrincipal": {"AWS": [DEPLOY_SESSION, DEPLOY_ROLE, A]}})),
         EXPLICIT, deciding=((Layer.RESOURCE, "Only"),)),
    Case("NotPrincipal with Deny: listing the role without its account does not exempt its session",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                    "NotPrincipal": {"AWS": [DEPLOY_SESSION, DEPLOY_ROLE]}})),
         EXPLICIT),
    Case("NotPrincipal with Deny: a role and its account listed exempt the role's sessions (the page's advice)",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                    "NotPrincipal": {"AWS": [DEPLOY_ROLE, f"arn:aws:iam::{A}:root"]}})),
         ALLOWED),
    Case("NotPrincipal with Deny: a user listed without its account is still denied",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                    "NotPrincipal": {"AWS": ALICE}})),
         EXPLICIT),
    Case("NotPrincipal with Allow does not grant a principal it lists (even without its account)",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(resource=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                 "NotPrincipal": {"AWS": ALICE}})), IMPLICIT),
    Case("NotPrincipal with Allow grants everyone but those listed",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(resource=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotPrincipal": {"AWS": BOB}})),
         ALLOWED),
    Case("NotPrincipal with Deny always denies a principal that has a permissions boundary",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         PolicySet(identity=[ADMIN], boundary=doc(allow()),
                   resource=doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                 "NotPrincipal": {"AWS": [DEPLOY_SESSION, DEPLOY_ROLE, A]}})),
         EXPLICIT),
    # ---- policy variables (issue 11, class 8) ----------------------------------------------------------------------
    Case("class 8: user/${aws:username} is the caller's own user",
         req(ALICE, "iam:CreateAccessKey", ALICE),
         PolicySet(identity=[doc(allow("iam:*AccessKey*", f"arn:aws:iam::{A}:user/${{aws:username}}"))]), ALLOWED),
    Case("class 8: user/${aws:username} does not reach another user",
         req(ALICE, "iam:CreateAccessKey", BOB),
         PolicySet(identity=[doc(allow("iam:*AccessKey*", f"arn:aws:iam::{A}:user/${{aws:username}}"))]), IMPLICIT),
    Case("an unresolvable variable (no aws:username for a role session) makes the statement not match",
         req(DEPLOY_SESSION, "iam:CreateAccessKey", f"arn:aws:iam::{A}:user/deploy"),
         PolicySet(identity=[doc(allow("iam:*", f"arn:aws:iam::{A}:user/${{aws:username}}"))]), IMPLICIT),
    Case("${aws:PrincipalAccount} resolves to the caller's account",
         req(ALICE, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:jobs"),
         PolicySet(identity=[doc(allow("sqs:*", "arn:aws:sqs:*:${aws:PrincipalAccount}:*"))]), ALLOWED),
    Case("a principal tag variable resolves from the caller's tags",
         req(ALICE, "s3:GetObject", f"{BUCKET}/blue/x", principal_tags={"team": "blue"}),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{aws:PrincipalTag/team}}/*"))]), ALLOWED),
    Case("a principal tag variable does not reach another team's prefix",
         req(ALICE, "s3:GetObject", f"{BUCKET}/red/x", principal_tags={"team": "blue"}),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{aws:PrincipalTag/team}}/*"))]), IMPLICIT),
    Case("a variable's default applies when its key is absent",
         req(ALICE, "s3:GetObject", f"{BUCKET}/shared/x", principal_tags={}),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{aws:PrincipalTag/team, 'shared'}}/*"))]),
         ALLOWED),
    Case("a variable whose key the request may hold leaves the decision conditional",
         req(ALICE, "s3:GetObject", f"{BUCKET}/blue/x"),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{aws:PrincipalTag/team}}/*"))]), IMPLICIT,
         missing_keys=("aws:PrincipalTag/team",), each_way=(ALLOWED, IMPLICIT, ALLOWED)),
    Case("${*} is a literal star, not a wildcard",
         req(ALICE, "s3:GetObject", f"{BUCKET}/report"),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{*}}"))]), IMPLICIT),
    Case("${*} matches a key named *",
         req(ALICE, "s3:GetObject", f"{BUCKET}/*"),
         PolicySet(identity=[doc(allow("s3:GetObject", f"{BUCKET}/${{*}}"))]), ALLOWED),
    Case("a variable in a condition value: aws:SourceVpc is compared with the caller's tag",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SourceVpc": "vpc-1"}, principal_tags={"vpc": "vpc-1"}),
         allowed_if({"StringEquals": {"aws:SourceVpc": "${aws:PrincipalTag/vpc}"}}),
         ALLOWED),
    # ---- conditions ------------------------------------------------------------------------------------------------
    Case("IfExists: a Deny with BoolIfExists MFA false applies when the key is absent",
         req(ALICE, "s3:GetObject", OBJECT, context_complete=True),
         denied_if({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
         EXPLICIT),
    Case("IfExists on a key the request does not hold: conditional, denied until known",
         req(ALICE, "s3:GetObject", OBJECT),
         denied_if({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}), EXPLICIT,
         missing_keys=("aws:MultiFactorAuthPresent",), each_way=(EXPLICIT, ALLOWED, ALLOWED)),
    Case("IfExists: an Allow on a key the request does not hold is not silently granted",
         req(ALICE, "s3:GetObject", OBJECT),
         allowed_if({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}), IMPLICIT,
         missing_keys=("aws:MultiFactorAuthPresent",), each_way=(ALLOWED, IMPLICIT, ALLOWED)),
    Case("IfExists: the same Allow holds when the key is absent",
         req(ALICE, "s3:GetObject", OBJECT, context_complete=True),
         allowed_if({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}), ALLOWED),
    Case("IfExists: the same Deny does not apply to a request with MFA",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:MultiFactorAuthPresent": True}),
         denied_if({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
         ALLOWED),
    Case("an Allow that needs a key the request does not hold is not an Allow: conditional",
         req(ALICE, "s3:GetObject", OBJECT),
         allowed_if({"Bool": {"aws:MultiFactorAuthPresent": "true"}}), IMPLICIT,
         missing_keys=("aws:MultiFactorAuthPresent",), each_way=(ALLOWED, IMPLICIT, ALLOWED)),
    Case("a Deny on a key the request does not hold: conditional, denied until known",
         req(ALICE, "s3:GetObject", OBJECT),
         denied_if({"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
         EXPLICIT, missing_keys=("aws:SourceIp",), each_way=(EXPLICIT, ALLOWED, ALLOWED)),
    Case("a key read by both an Allow and a Deny: held, failing and at best the request differs",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[doc(allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
                             doc(deny(Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))]), EXPLICIT,
         missing_keys=("aws:MultiFactorAuthPresent",), each_way=(EXPLICIT, IMPLICIT, ALLOWED)),
    Case("class 4: a condition on Decrypt does not make Encrypt conditional",
         req(ALICE, "kms:Encrypt", KEY),
         PolicySet(identity=[doc(allow("kms:Decrypt", f"arn:aws:kms:*:{A}:key/*",
                                       Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                                 allow("kms:Encrypt", "*"))],
                   resource=doc(grant({"AWS": A}, "kms:*"))), ALLOWED),
    Case("class 4: the Encrypt grant does not make Decrypt unconditional",
         req(ALICE, "kms:Decrypt", KEY),
         PolicySet(identity=[doc(allow("kms:Decrypt", f"arn:aws:kms:*:{A}:key/*",
                                       Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                                 allow("kms:Encrypt", "*"))],
                   resource=doc(grant({"AWS": A}, "kms:*"))), IMPLICIT,
         missing_keys=("aws:MultiFactorAuthPresent",), each_way=(ALLOWED, IMPLICIT, ALLOWED)),
    Case("class 4: a conditional Deny on iam:PassRole leaves iam:GetRole unconditional",
         req(ALICE, "iam:GetRole", DEPLOY_ROLE),
         denied_if({"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, "iam:PassRole"),
         ALLOWED),
    Case("set operators: ForAllValues holds when every value is listed",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": ["env", "team"]}),
         allowed_if({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "app"]}}),
         ALLOWED),
    Case("set operators: ForAllValues fails on a value not listed",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": ["env", "owner"]}),
         allowed_if({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}),
         IMPLICIT),
    Case("set operators: ForAllValues holds on an absent key",
         req(ALICE, "ec2:CreateTags", "*", context_complete=True),
         allowed_if({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}), ALLOWED),
    Case("set operators: ForAllValues on a key the request does not hold: conditional",
         req(ALICE, "ec2:CreateTags", "*"),
         allowed_if({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}), IMPLICIT,
         missing_keys=("aws:TagKeys",), each_way=(ALLOWED, IMPLICIT, ALLOWED)),
    Case("set operators: ForAllValues holds on an empty set",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": []}),
         allowed_if({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}), ALLOWED),
    Case("set operators: ForAnyValue holds when one value is listed",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": ["owner", "env"]}),
         allowed_if({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}), ALLOWED),
    Case("set operators: ForAnyValue fails on an empty set",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": []}),
         allowed_if({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}), IMPLICIT),
    Case("set operators: ForAllValues:StringNotEquals fails when one value is refused",
         req(ALICE, "ec2:CreateTags", "*", context={"aws:TagKeys": ["env", "secret"]}),
         allowed_if({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}),
         IMPLICIT),
    Case("Null true: a Deny on a missing principal tag applies when the caller's tags lack it",
         req(ALICE, "s3:GetObject", OBJECT, principal_tags={"env": "prod"}),
         denied_if({"Null": {"aws:PrincipalTag/team": "true"}}), EXPLICIT),
    Case("Null true: the Deny does not apply when the tag is there",
         req(ALICE, "s3:GetObject", OBJECT, principal_tags={"Team": "blue"}),
         denied_if({"Null": {"aws:PrincipalTag/team": "true"}}), ALLOWED),
    Case("Null false requires the key",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SourceVpc": "vpc-1"}),
         allowed_if({"Null": {"aws:SourceVpc": "false"}}), ALLOWED),
    Case("a negated operator holds when the key is known to be absent (no organisation)",
         req(ALICE, "s3:GetObject", OBJECT, principal_org_id=""),
         denied_if({"StringNotEquals": {"aws:PrincipalOrgID": "o-mine"}}),
         EXPLICIT),
    Case("aws:PrincipalOrgPaths from what the lake knows, with ForAnyValue:StringLike",
         req(OTHER_ACCOUNT_USER, "s3:GetObject", OBJECT, resource_account=A,
             principal_org_paths=["o-mine/r-ab12/ou-ab12-11111111/"]),
         PolicySet(identity=[ADMIN], resource=doc(grant("*", "s3:GetObject", Condition={
             "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-mine/r-ab12/ou-ab12-11111111/*"}}))), ALLOWED),
    Case("aws:ResourceOrgID: a Deny for resources outside the organisation",
         req(ALICE, "s3:PutObject", OBJECT, resource_account=B, resource_org_id="o-other"),
         PolicySet(identity=[ADMIN, doc(deny(Condition={"StringNotEquals": {"aws:ResourceOrgID": "o-mine"}}))],
                   resource=doc(grant({"AWS": A}))), EXPLICIT),
    Case("several values of one key are OR'ed",
         req(ALICE, "ec2:RunInstances", "*", context={"aws:RequestedRegion": "eu-west-1"}),
         allowed_if({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}),
         ALLOWED),
    Case("several keys are AND'ed",
         req(ALICE, "ec2:RunInstances", "*",
             context={"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": False}),
         PolicySet(identity=[doc(allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"},
                                                  "Bool": {"aws:SecureTransport": "true"}}))]), IMPLICIT),
    Case("a negated operator with several values is NOR'ed",
         req(ALICE, "ec2:RunInstances", "*", context={"aws:RequestedRegion": "eu-west-1"}),
         PolicySet(identity=[ADMIN, doc(deny(Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1",
                                                                                                    "eu-west-1"]}}))]),
         ALLOWED),
    Case("condition keys are case-insensitive",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SourceIp": "203.0.113.7"}),
         allowed_if({"IpAddress": {"AWS:SOURCEIP": "203.0.113.0/24"}}), ALLOWED),
    Case("String operators compare values case-sensitively",
         req(ALICE, "s3:GetObject", OBJECT, principal_tags={"team": "blue"}),
         allowed_if({"StringEquals": {"aws:PrincipalTag/team": "Blue"}}), IMPLICIT),
    Case("StringEqualsIgnoreCase ignores case",
         req(ALICE, "s3:GetObject", OBJECT, principal_tags={"team": "blue"}),
         allowed_if({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Blue"}}),
         ALLOWED),
    Case("StringLike takes wildcards, case-sensitively",
         req(ALICE, "s3:ListBucket", BUCKET, context={"s3:prefix": "Home/alice/"}),
         allowed_if({"StringLike": {"s3:prefix": "home/*"}}), IMPLICIT),
    Case("StringEquals takes * literally",
         req(ALICE, "s3:ListBucket", BUCKET, context={"s3:prefix": "home/alice"}),
         allowed_if({"StringEquals": {"s3:prefix": "home/*"}}), IMPLICIT),
    Case("NumericLessThan: a recent MFA", req(ALICE, "s3:GetObject", OBJECT, context={"aws:MultiFactorAuthAge": 300}),
         allowed_if({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), ALLOWED),
    Case("NumericLessThan: an old MFA", req(ALICE, "s3:GetObject", OBJECT, context={"aws:MultiFactorAuthAge": "7200"}),
         allowed_if({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), IMPLICIT),
    Case("DateLessThan on aws:CurrentTime",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:CurrentTime": "2026-06-30T12:00:00Z"}),
         allowed_if({"DateLessThan": {"aws:CurrentTime": "2026-07-01T00:00:00Z"}}),
         ALLOWED),
    Case("DateGreaterThan on aws:CurrentTime, before the date",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:CurrentTime": "2026-06-30T12:00:00Z"}),
         allowed_if({"DateGreaterThan": {"aws:CurrentTime": "2026-07-01"}}), IMPLICIT),
    Case("NotIpAddress: a Deny outside the office network",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SourceIp": "198.51.100.9"}),
         denied_if({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
         EXPLICIT),
    Case("IpAddress with an IPv6 range",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SourceIp": "2001:db8::1"}),
         allowed_if({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}), ALLOWED),
    Case("ArnLike on aws:SourceArn matches segment by segment",
         req("sns.amazonaws.com", "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:jobs",
             context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{A}:alerts"}),
         PolicySet(resource=doc(grant({"Service": "sns.amazonaws.com"}, "sqs:SendMessage",
                                      Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{A}:*"}}))), ALLOWED),
    Case("ArnEquals: another account's topic does not match",
         req("sns.amazonaws.com", "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:jobs",
             context={"aws:SourceArn": f"arn:aws:sns:us-east-1:{B}:alerts"}),
         PolicySet(resource=doc(grant({"Service": "sns.amazonaws.com"}, "sqs:SendMessage",
                                      Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:*:{A}:alerts"}}))),
         IMPLICIT),
    Case("a Bool condition reads a boolean context value",
         req(ALICE, "s3:GetObject", OBJECT, context={"aws:SecureTransport": True}),
         denied_if({"Bool": {"aws:SecureTransport": "false"}}), ALLOWED),
    Case("aws:PrincipalArn of a role session is its role's ARN",
         req(DEPLOY_SESSION, "s3:GetObject", OBJECT),
         allowed_if({"ArnEquals": {"aws:PrincipalArn": DEPLOY_ROLE}}), ALLOWED),
    # ---- rules AWS always applies (issue 11, class 6) --------------------------------------------------------------
    Case("class 6: sts:GetCallerIdentity is allowed even under an explicit Deny",
         req(ALICE, "sts:GetCallerIdentity", "*"), PolicySet(identity=[doc(deny())], scps=[[doc(deny())]]), ALLOWED,
         deciding=((Layer.AWS_RULE, "GetCallerIdentity"),)),
    Case("class 6: an AWS managed policy cannot be changed, whatever the policies allow (no policy can allow it)",
         req(ALICE, "iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/AdministratorAccess"),
         PolicySet(identity=[ADMIN]), IMPLICIT, deciding=((Layer.AWS_RULE, "AWS managed policies cannot be changed"),),
         lacking=Layer.AWS_RULE),
    Case("class 6: nor deleted", req(ALICE, "iam:DeletePolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
         PolicySet(identity=[ADMIN]), IMPLICIT),
    Case("class 6: an explicit Deny on an AWS managed policy is still reported as the explicit deny",
         req(ALICE, "iam:DeletePolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
         PolicySet(identity=[ADMIN, doc(deny("iam:*", sid="NoIam"))]), EXPLICIT, deciding=((Layer.IDENTITY, "NoIam"),)),
    Case("class 6: an AWS managed policy can be read",
         req(ALICE, "iam:GetPolicyVersion", "arn:aws:iam::aws:policy/ReadOnlyAccess"), PolicySet(identity=[ADMIN]),
         ALLOWED),
    Case("IAM Identity Center's roles cannot be changed in IAM",
         req(ALICE, "iam:PutRolePolicy", SSO_ROLE),
         PolicySet(identity=[ADMIN]), IMPLICIT),
    Case("IAM Identity Center's roles can be read",
         req(ALICE, "iam:GetRole", SSO_ROLE),
         PolicySet(identity=[ADMIN]), ALLOWED),
    Case("an AWS managed key's alias cannot be changed",
         req(ALICE, "kms:DeleteAlias", f"arn:aws:kms:us-east-1:{A}:alias/aws/s3"), PolicySet(identity=[ADMIN]),
         IMPLICIT),
    Case("class 6: a customer managed policy can be changed when allowed",
         req(ALICE, "iam:CreatePolicyVersion", f"arn:aws:iam::{A}:policy/mine"), PolicySet(identity=[ADMIN]), ALLOWED),
    Case("a named policy is cited by its name",
         req(ALICE, "s3:GetObject", OBJECT),
         PolicySet(identity=[Policy("arn:aws:iam::111111111111:policy/deny-s3", doc(deny("s3:*", sid="NoS3"))),
                             ADMIN]), EXPLICIT),
]


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_labelled_request(case: Case):
    decision = evaluate(case.request, case.policies)
    assert decision.result is case.result, decision
    if case.deciding is not None:
        assert tuple((ref.layer, ref.statement) for ref in decision.statements) == case.deciding
    if case.lacking is not None:
        assert decision.lacking is case.lacking, decision
    if case.missing_keys is None:
        assert decision.conditional is None, decision
    else:
        assert decision.conditional is not None, decision
        assert decision.conditional.missing_keys == case.missing_keys
        conditional = decision.conditional
        assert (conditional.if_conditions_hold, conditional.if_conditions_fail, conditional.best_case) == case.each_way
        assert conditional.worst_case is decision.result


def test_a_named_policy_is_cited_by_its_name():
    decision = evaluate(req(ALICE, "s3:GetObject", OBJECT),
                        PolicySet(identity=[ADMIN, Policy("deny-s3", doc(deny("s3:*", sid="NoS3")))],
                                  scps=[[doc(allow()), doc(deny("s3:Put*"))]]))
    assert [(ref.policy, ref.statement) for ref in decision.statements] == [("deny-s3", "NoS3")]


def test_unreadable_documents_grant_nothing():
    for document in ("{not json", "[]", {"Statement": "nope"}, {"Statement": [{"Effect": "Maybe", "Action": "*"}]}):
        assert evaluate(req(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[document])).result is IMPLICIT


# ---- properties --------------------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "iam:GetRole", "sts:AssumeRole"]
RESOURCES = [OBJECT, BUCKET, KEY, DEPLOY_ROLE, f"arn:aws:s3:::other/{'k'}"]
PRINCIPALS = [ALICE, DEPLOY_SESSION, OTHER_ACCOUNT_USER, f"arn:aws:iam::{A}:root", "ec2.amazonaws.com"]
ACTION_PATTERNS = ACTIONS + ["*", "s3:*", "s3:Get*", "kms:*", "iam:?etRole", "sts:*"]
RESOURCE_PATTERNS = RESOURCES + ["*", f"{BUCKET}/*", "arn:aws:s3:::*", f"arn:aws:kms:*:{A}:key/*",
                                 f"arn:aws:iam::{A}:role/*", f"arn:aws:iam::{A}:user/${{aws:username}}"]
PRINCIPAL_VALUES = ["*", {"AWS": "*"}, {"AWS": A}, {"AWS": B}, {"AWS": ALICE}, {"AWS": DEPLOY_ROLE},
                    {"AWS": DEPLOY_SESSION}, {"Service": "ec2.amazonaws.com"}, {"AWS": [A, DEPLOY_ROLE]}]
CONDITIONS = [
    None,
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},  # a key the requests never hold
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"StringEquals": {"aws:PrincipalAccount": A}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}},
    {"Null": {"aws:PrincipalTag/team": "true"}},
]
CONTEXTS = [{}, {"aws:SourceIp": "203.0.113.9"}, {"aws:MultiFactorAuthPresent": True, "aws:TagKeys": ["env"]}]


@st.composite
def statements(draw: Callable[..., Any], effect: str | None = None, with_principal: bool = False) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2))
    statement["NotResource" if draw(st.booleans()) and draw(st.booleans()) else "Resource"] = draw(
        st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    if with_principal:
        element = "NotPrincipal" if draw(st.booleans()) and draw(st.booleans()) else "Principal"
        statement[element] = draw(st.sampled_from(PRINCIPAL_VALUES))
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def documents(with_principal: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return st.lists(statements(with_principal=with_principal), max_size=3).map(lambda items: doc(*items))


@st.composite
def scenarios(draw: Callable[..., Any]) -> tuple[Request, PolicySet]:
    principal = draw(st.sampled_from(PRINCIPALS))
    resource = draw(st.sampled_from(RESOURCES))
    request = Request(principal, draw(st.sampled_from(ACTIONS)), resource, context=draw(st.sampled_from(CONTEXTS)),
                      resource_account=B if resource.startswith("arn:aws:s3:::other") else None,
                      principal_tags=draw(st.sampled_from([None, {}, {"team": "blue"}])))
    policies = PolicySet(
        identity=draw(st.lists(documents(), max_size=2)),
        boundary=draw(st.none() | documents()),
        session=draw(st.none() | documents()) if principal == DEPLOY_SESSION else None,
        scps=draw(st.lists(st.lists(documents(), min_size=1, max_size=2), max_size=2)),
        rcps=draw(st.lists(st.lists(documents(with_principal=True), min_size=1, max_size=2), max_size=2)),
        resource=draw(st.none() | documents(with_principal=True)),
        principal_is_management_account=draw(st.booleans()),
    )
    return request, policies


# Where a statement can be added: each policy the scenario has, as a function (policies, statement) -> policies.
def _places(policies: PolicySet) -> list[tuple[str, Callable[[PolicySet, dict[str, Any]], PolicySet]]]:
    def added(document: Any, statement: dict[str, Any]) -> dict[str, Any]:
        return doc(*document["Statement"], statement)

    places: list[tuple[str, Callable[[PolicySet, dict[str, Any]], PolicySet]]] = [
        ("identity", lambda p, s: replace(p, identity=[*p.identity, doc(s)]))]
    for name in ("boundary", "session", "resource"):
        if getattr(policies, name) is not None:
            places.append((name, lambda p, s, name=name: replace(p, **{name: added(getattr(p, name), s)})))
    for kind in ("scps", "rcps"):
        for depth in range(len(getattr(policies, kind))):
            places.append((kind, lambda p, s, kind=kind, depth=depth: replace(p, **{kind: [
                [*level, doc(s)] if index == depth else level for index, level in enumerate(getattr(p, kind))]})))
    return places


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_a_deny_never_adds_access(scenario: tuple[Request, PolicySet], data: st.DataObject):
    request, policies = scenario
    before = evaluate(request, policies)
    name, add = data.draw(st.sampled_from(_places(policies)))
    statement = data.draw(statements("Deny", with_principal=name in ("resource", "rcps")))
    after = evaluate(request, add(policies, statement))
    assert before.allowed or not after.allowed, (before, after)
    if before.result is EXPLICIT and before.conditional is None:
        assert after.result is EXPLICIT


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_an_allow_never_removes_access(scenario: tuple[Request, PolicySet], data: st.DataObject):
    request, policies = scenario
    before = evaluate(request, policies)
    name, add = data.draw(st.sampled_from(_places(policies)))
    statement = data.draw(statements("Allow", with_principal=name in ("resource", "rcps")))
    after = evaluate(request, add(policies, statement))
    assert after.allowed or not before.allowed, (before, after)


@PROPERTY_SETTINGS
@given(scenarios())
def test_an_scp_never_grants(scenario: tuple[Request, PolicySet]):
    request, policies = scenario
    if request.caller.kind.value == "Account":
        return  # the root user needs no identity policy
    bare = replace(policies, identity=[], resource=None,
                   scps=[[doc(allow()), *level] for level in policies.scps] or [FULL_ACCESS])
    assert not evaluate(request, bare).allowed


@PROPERTY_SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_statement_order_does_not_matter(scenario: tuple[Request, PolicySet], rng: random.Random):
    """Statements and policies reordered give the same decision, citing the same statements (named, so that their
    citations do not follow their positions)."""
    request, policies = scenario
    names = iter(range(10_000))

    def named(document: Any) -> Any:
        if document is None:
            return None
        number = next(names)
        statements = [{**statement, "Sid": f"s{index}"} for index, statement in enumerate(document["Statement"])]
        return Policy(f"policy{number}", doc(*statements))

    def shuffled(policy: Any) -> Any:
        if policy is None:
            return None
        items = list(policy.document["Statement"])
        rng.shuffle(items)
        return Policy(policy.name, doc(*items))

    def mixed(documents: list[Any]) -> list[Any]:
        documents = [shuffled(document) for document in documents]
        rng.shuffle(documents)
        return documents

    policies = replace(
        policies, identity=[named(document) for document in policies.identity], boundary=named(policies.boundary),
        session=named(policies.session), resource=named(policies.resource),
        scps=[[named(document) for document in level] for level in policies.scps],
        rcps=[[named(document) for document in level] for level in policies.rcps])
    reordered = replace(
        policies, identity=mixed(list(policies.identity)), boundary=shuffled(policies.boundary),
        session=shuffled(policies.session), resource=shuffled(policies.resource),
        scps=[mixed(list(level)) for level in policies.scps], rcps=[mixed(list(level)) for level in policies.rcps])
    before, after = evaluate(request, policies), evaluate(request, reordered)
    assert before.result is after.result
    assert before.conditional == after.conditional
    assert sorted(map(repr, before.statements)) == sorted(map(repr, after.statements))


RESTRICTIVENESS = [ALLOWED, IMPLICIT, EXPLICIT]


@PROPERTY_SETTINGS
@given(scenarios())
def test_a_conditional_decision_lies_between_its_bounds(scenario: tuple[Request, PolicySet]):
    """Whatever the unknown statements do, the result is no better than the best case and no worse than the
    worst, which is the decision's result: an unknown key never makes a request allowed."""
    decision = evaluate(*scenario)
    conditional = decision.conditional
    if conditional is None:
        return
    assert conditional.worst_case is decision.result is not ALLOWED
    rank = RESTRICTIVENESS.index
    assert rank(conditional.best_case) < rank(conditional.worst_case)
    for result in (conditional.if_conditions_hold, conditional.if_conditions_fail):
        assert rank(conditional.best_case) <= rank(result) <= rank(conditional.worst_case)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.sampled_from(["*", "Allow", "Deny", "s3:*", f"{BUCKET}/*", "${aws:username}", "${", "StringEquals"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["Statement", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                         "NotPrincipal", "Condition", "AWS", "Service", "StringLike", "IpAddress", "Null",
                         "ForAllValues:StringEquals", "aws:SourceIp", "aws:username"]), children, max_size=4),
    max_leaves=20)


@PROPERTY_SETTINGS
@given(JSON_VALUES, JSON_VALUES, JSON_VALUES)
def test_any_document_is_decided_without_raising(identity: Any, resource: Any, guardrail: Any):
    """Damaged or odd documents never make evaluate raise: what cannot be read grants nothing."""
    for principal in (ALICE, DEPLOY_SESSION, "anonymous", "ec2.amazonaws.com"):
        request = Request(principal, "s3:GetObject", OBJECT, context={"aws:SourceIp": "203.0.113.9"})
        evaluate(request, PolicySet(identity=[identity], boundary=guardrail, resource=resource, scps=[[guardrail]],
                                    rcps=[[resource]]))


EVALUATOR_MODULES = ("evaluation", "conditions", "matching", "request", "reserved", "statements", "truth",
                     "variables", "documents")


def test_the_evaluator_needs_only_the_standard_library():
    """The evaluator is pure: its modules import the standard library and each other, nothing else (no Dagster,
    no DuckDB, not the rest of the package)."""
    import ast
    import sys

    from aws_assets_tests.conftest import REPO

    for name in EVALUATOR_MODULES:
        tree = ast.parse((REPO / "aws_assets" / "analysis" / f"{name}.py").read_text())
        for node in ast.walk(tree):
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                top = module.split(".")[0]
                inside = module.removeprefix("aws_assets.analysis.") in EVALUATOR_MODULES
                assert top == "__future__" or top in sys.stdlib_module_names or inside, f"{name} imports {module}"

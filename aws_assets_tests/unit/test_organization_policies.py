import pytest

from aws_assets.analysis.evaluation import PolicySet, Request, Result, evaluate
from aws_assets.analysis.organization_policies import RCP, SCP, OrganizationTreeError, organization_policies

FULL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
ALLOW_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

MANAGEMENT, PROD, SANDBOX, OUTSIDE = "111111111111", "222222222222", "333333333333", "999999999999"


def organization(enabled=(SCP,), extra_units=()):
    return organization_policies(
        organizations=[{"organizationId": "o-1", "managementAccountId": MANAGEMENT}],
        roots=[{"rootId": "r-1", "enabledPolicyTypes": list(enabled)}],
        units=[{"organizationalUnitId": "ou-1-prod", "parentId": "r-1"},
               {"organizationalUnitId": "ou-1-deep", "parentId": "ou-1-prod"}, *extra_units],
        accounts=[
            {"memberAccountId": MANAGEMENT, "parentId": "r-1", "organizationId": "o-1", "managementAccount": True},
            {"memberAccountId": PROD, "parentId": "ou-1-deep", "organizationId": "o-1"},
            {"memberAccountId": SANDBOX, "parentId": "r-1", "organizationId": "o-1"},
        ],
        # Collected from two accounts of the organisation: each policy appears twice and counts once.
        policies=2 * [
            {"policyId": "p-FullAWSAccess", "policyType": SCP, "document": FULL,
             "targetIds": ["r-1", "ou-1-prod", "ou-1-deep", PROD, SANDBOX, MANAGEMENT]},
            {"policyId": "p-denys3", "arn": "arn:aws:organizations::111111111111:policy/o-1/scp/p-denys3",
             "policyType": SCP, "document": DENY_S3, "targetIds": ["ou-1-prod"]},
            {"policyId": "p-rcp", "policyType": RCP, "document": FULL, "targetIds": ["r-1"]},
        ],
    )


def test_levels_run_from_the_root_down_to_the_account():
    levels = organization().scps(PROD)
    assert [[p.name for p in level] for level in levels] == [
        ["p-FullAWSAccess"], ["p-FullAWSAccess", "arn:aws:organizations::111111111111:policy/o-1/scp/p-denys3"],
        ["p-FullAWSAccess"], ["p-FullAWSAccess"]]


def test_org_paths_name_the_ous_down_to_the_account():
    assert organization().org_paths(PROD) == ["o-1/r-1/ou-1-prod/ou-1-deep/"]
    assert organization().org_paths(OUTSIDE) == []


def test_the_management_account_and_accounts_outside_are_not_governed():
    read = organization()
    assert read.scps(MANAGEMENT) == [] and read.is_management_account(MANAGEMENT)
    assert read.scps(OUTSIDE) == [] and not read.is_management_account(OUTSIDE)


def test_a_policy_type_not_enabled_in_the_root_governs_nothing():
    assert organization().rcps(PROD) == []
    assert len(organization(enabled=(SCP, RCP)).rcps(PROD)) == 4


def test_an_ou_level_deny_reaches_the_accounts_below_it_only():
    read = organization()
    s3 = dict(action="s3:GetObject", resource_arn="arn:aws:s3:::bucket/key")
    for account, expected in ((PROD, Result.EXPLICITLY_DENIED), (SANDBOX, Result.ALLOWED)):
        request = Request(principal_arn=f"arn:aws:iam::{account}:role/admin", resource_account=account, **s3)
        assert evaluate(request, PolicySet(identity=[ADMIN], scps=read.scps(account))).result is expected


def test_a_level_without_an_allow_denies_what_the_levels_above_allow():
    read = organization_policies(
        organizations=[{"organizationId": "o-1", "managementAccountId": MANAGEMENT}],
        roots=[{"rootId": "r-1", "enabledPolicyTypes": [SCP]}],
        units=[{"organizationalUnitId": "ou-1-prod", "parentId": "r-1"}],
        accounts=[{"memberAccountId": PROD, "parentId": "ou-1-prod", "organizationId": "o-1"}],
        policies=[{"policyId": "p-full", "policyType": SCP, "document": FULL, "targetIds": ["r-1", PROD]},
                  {"policyId": "p-ec2", "policyType": SCP, "document": ALLOW_EC2, "targetIds": ["ou-1-prod"]}],
    )
    principal = f"arn:aws:iam::{PROD}:role/admin"
    decide = [evaluate(Request(principal_arn=principal, action=action, resource_arn="*"),
                       PolicySet(identity=[ADMIN], scps=read.scps(PROD))).result
              for action in ("ec2:DescribeInstances", "iam:ListRoles")]
    assert decide == [Result.ALLOWED, Result.IMPLICITLY_DENIED]


def test_a_tree_with_a_parent_the_lake_lacks_is_an_error_naming_the_account():
    read = organization(extra_units=[{"organizationalUnitId": "ou-1-prod", "parentId": "ou-1-gone"}])
    with pytest.raises(OrganizationTreeError, match=PROD):
        read.scps(PROD)


def test_an_accounts_organisation_is_known_from_the_listing_or_its_own_description_else_unknown():
    read = organization()
    described = organization_policies(
        organizations=[{"accountId": OUTSIDE, "organizationId": "o-2", "managementAccountId": "888888888888"}],
        roots=[], units=[], accounts=[], policies=[])
    assert read.context(PROD) == ("o-1", ["o-1/r-1/ou-1-prod/ou-1-deep/"])
    # An account that listed its organisation whose management account the lake lacks: the ID, the paths unknown.
    assert described.context(OUTSIDE) == ("o-2", None)
    # Neither: a member refused the listing and an account in no organisation collect the same nothing.
    assert read.context(OUTSIDE) == (None, None)


def test_the_principal_and_resource_access_tables_read_an_accounts_organisation_alike():
    from aws_assets.analysis.policy_sets import PolicyIndex
    from aws_assets.analysis.resource_access import known_principals, policy_resources, request_for

    bucket = {"_key": "arn:aws:s3:::shared", "arn": "arn:aws:s3:::shared", "accountId": PROD, "region": "us-east-1",
              "policy": '{"Statement": []}'}
    tables = {
        "aws_organization": [{"accountId": PROD, "organizationId": "o-2", "managementAccountId": "888888888888"}],
        "aws_account": [{"accountId": PROD}, {"accountId": SANDBOX}],
        "aws_iam_user": [{"_key": f"arn:aws:iam::{SANDBOX}:user/ann", "arn": f"arn:aws:iam::{SANDBOX}:user/ann",
                          "accountId": SANDBOX, "username": "ann"}],
        "aws_s3_bucket": [bucket],
    }
    index = PolicyIndex(tables)
    assembled = index.assemble(f"arn:aws:iam::{SANDBOX}:user/ann", "s3:GetObject", "arn:aws:s3:::shared/k")
    [resource] = policy_resources(tables)
    request = request_for(resource, f"arn:aws:iam::{SANDBOX}:user/ann", "s3:GetObject", "arn:aws:s3:::shared/k",
                          known_principals(tables, {}))
    for made in (assembled.request, request):
        assert (made.principal_org_id, made.resource_org_id, made.resource_org_paths) == (None, "o-2", None)

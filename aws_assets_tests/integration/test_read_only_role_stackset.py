"""The README's StackSet steps on an organisation on moto: the role lands in every member the organisation entry
reaches, trusting the operator only with the external ID, and in the management account through the plain stack."""

import json

import pytest
from botocore.exceptions import ClientError

from aws_assets.analysis.trust import parse_trust_policy, trust_edges
from aws_assets.aws.session import assume_role_session
from aws_assets.inputs.instances import Instance, OrganizationScope
from aws_assets.inputs.organization import expand
from aws_assets_tests.conftest import ACCOUNT_ID
from aws_assets_tests.unit.test_read_only_role import (
    readme_member_role_name,
    readme_stackset_requests,
    stack_parameters,
)

# moto has no ActivateOrganizationsAccess; trusted access only gates the real service, not moto's StackSets.
NOT_ON_MOTO = {"activate_organizations_access"}


def role_in(instance: Instance) -> dict:
    """The role `instance` names, read through a session that assumed it, as a sync reaches the account."""
    iam = assume_role_session(instance).client("iam")
    return iam.get_role(RoleName=instance.role_arn.rsplit("/", 1)[1])["Role"]


@pytest.fixture
def deployed(org, account_session) -> dict:
    """The README's StackSet commands run in the management account, targeting Workloads and Sandbox instead of
    the root: moto follows targets one level deep (it would miss prod-app under Workloads > Prod) and, unlike AWS,
    would deploy into the management account under the root."""
    requests = readme_stackset_requests()
    region = requests["create_stack_instances"]["Regions"][0]
    cloudformation = account_session.client("cloudformation", region_name=region)
    requests["create_stack_instances"]["DeploymentTargets"] = {"OrganizationalUnitIds": [org["Workloads"],
                                                                                        org["Sandbox"]]}
    results = {method: getattr(cloudformation, method)(**parameters)
               for method, parameters in requests.items() if method not in NOT_ON_MOTO}
    return {"requests": requests, "results": results, "parameters": stack_parameters(requests["create_stack_set"])}


def test_the_stackset_puts_the_role_in_every_member_under_its_targets(org, deployed):
    instances = deployed["results"]["list_stack_instances"]["Summaries"]
    assert {(i["Account"], i["Region"], i["StackInstanceStatus"]["DetailedStatus"]) for i in instances} == {
        (org["prod-app"], "us-east-1", "SUCCEEDED"), (org["sandbox"], "us-east-1", "SUCCEEDED")}
    outside = Instance(f"arn:aws:iam::{org['legacy']}:role/{deployed['parameters']['RoleName']}", "x" * 8)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        role_in(outside)  # legacy sits in the root, outside the targets: nothing made the role there


def test_the_organisation_entry_reaches_every_account_through_the_role_the_readme_deploys(org, deployed):
    parameters = deployed["parameters"]
    entry = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/{parameters['RoleName']}", parameters["ExternalId"], "acme",
                     ("us-east-1",), OrganizationScope(readme_member_role_name(),
                                                       organizational_units=(org["Workloads"], org["Sandbox"])))
    membership = expand([entry])
    assert sorted(i.account_id for i in membership.instances) == sorted([ACCOUNT_ID, org["prod-app"],
                                                                        org["sandbox"]])
    for instance in membership.instances:
        role = role_in(instance)
        assert role["Arn"] == instance.role_arn
        assert role["RoleName"] == parameters["RoleName"]
        analysis = parse_trust_policy(role["AssumeRolePolicyDocument"])
        [edge] = trust_edges(role["Arn"], instance.account_id, analysis, ingested_accounts=())
        assert not analysis.problems
        assert (edge.to_key, edge.actions, edge.external_id_required) == (
            f"arn:aws:iam::{parameters['OperatorPrincipals']}:root", ("sts:AssumeRole",), True), instance.account_id
        assert edge.conditions == json.dumps([{"StringEquals": {"sts:ExternalId": instance.external_id}}],
                                             sort_keys=True), instance.account_id

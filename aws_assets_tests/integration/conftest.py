"""An AWS Organization on moto, for the tests of its collection and of onboarding it with one entry."""

import contextlib
import json

import boto3
import pytest

from aws_assets.sim.teach_moto import refusals_in_process

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"


def document(effect: str, action: str, **extra) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*",
                                                                **extra}]})


@pytest.fixture
def org(account_session) -> dict[str, str]:
    """An organisation managed by ACCOUNT_ID: Root > Workloads > Prod, Root > Sandbox; accounts prod-app in Prod,
    sandbox in Sandbox, legacy and the management account in the root; two SCPs and, with RCPs enabled, one RCP,
    attached at the root, an OU and an account. Gives the organisation's and the root's IDs and ARNs, and the ID of
    each OU (by its capitalised name), account and policy (by theirs)."""
    client = account_session.client("organizations")
    organization = client.create_organization(FeatureSet="ALL")["Organization"]
    [root] = client.list_roots()["Roots"]

    def unit(name: str, parent: str) -> str:
        return client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    workloads = unit("Workloads", root["Id"])
    prod = unit("Prod", workloads)
    sandbox = unit("Sandbox", root["Id"])

    def member(name: str, parent: str | None) -> str:
        account_id = client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
            "AccountId"]
        if parent:
            client.move_account(AccountId=account_id, SourceParentId=root["Id"], DestinationParentId=parent)
        return account_id

    accounts = {"prod-app": member("prod-app", prod), "sandbox": member("sandbox", sandbox),
                "legacy": member("legacy", None)}

    def policy(name: str, policy_type: str, content: str, *targets: str) -> str:
        policy_id = client.create_policy(Name=name, Description=f"{name} guardrail", Type=policy_type,
                                         Content=content)["Policy"]["PolicySummary"]["Id"]
        for target in targets:
            client.attach_policy(PolicyId=policy_id, TargetId=target)
        return policy_id

    client.enable_policy_type(RootId=root["Id"], PolicyType=RCP)
    return {
        "id": organization["Id"], "arn": organization["Arn"], "root": root["Id"], "root_arn": root["Arn"],
        "Workloads": workloads, "Prod": prod, "Sandbox": sandbox, **accounts,
        "deny-leave": policy("deny-leave", SCP, document("Deny", "organizations:LeaveOrganization"), root["Id"]),
        "deny-s3-delete": policy("deny-s3-delete", SCP, document("Deny", "s3:DeleteBucket"), workloads,
                                 accounts["sandbox"]),
        "deny-outside-reads": policy("deny-outside-reads", RCP, document("Deny", "s3:GetObject", Principal="*"),
                                     prod),
    }


@pytest.fixture
def refusing_aws(moto):
    """AWS's refusals that moto lacks, in process (aws_assets.sim.teach_moto): AssumeRole of a role that does not
    exist or expects another ExternalId is AccessDenied, and so is a member account's listing of its organisation.
    Gives `refuse(roles)`: creates each role ARN of `roles` with a trust policy requiring its external ID, then
    turns the refusals on until the test ends."""
    with contextlib.ExitStack() as stack:

        def refuse(roles: dict[str, str]) -> None:
            for role_arn, external_id in roles.items():
                account_id, role_name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
                iam = boto3.client("iam")
                # moto acts in the account this header names: the role is created there whether or not the
                # refusals are on yet (a test may call refuse again for an account that joins later).
                iam.meta.events.register("before-sign.iam.*", lambda request, account=account_id, **_: (
                    request.headers.__setitem__("x-moto-account-id", account)))
                iam.create_role(
                    RoleName=role_name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}))
            stack.enter_context(refusals_in_process())

        yield refuse

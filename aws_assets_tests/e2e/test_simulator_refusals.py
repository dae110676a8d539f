"""The simulator's server refuses what AWS refuses and moto allows (aws_assets.sim.teach_moto): AssumeRole of a role
that does not exist or expects another ExternalId, and a plain member account's listing of its organisation."""

import json
from functools import partial

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from aws_assets.sim.organisation import start_moto_server

# Accounts of their own: moto servers in one process share their backends with the synced organisation's.
MANAGEMENT, MEMBER, ADMIN = "444400000001", "444400000002", "444400000003"


@pytest.fixture(scope="module")
def endpoint():
    server, url = start_moto_server()
    yield url
    server.stop()


def client(endpoint: str, service: str, account_id: str | None = None):
    """A client of the server; with `account_id`, acting in that account through moto's header, as the seeder does."""
    made = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")
    if account_id:
        made.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
            "x-moto-account-id", account_id))
    return made


def error_of(call) -> dict:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["Error"]


def test_assume_role_is_refused_unless_the_role_exists_and_its_external_id_matches(endpoint):
    sts = client(endpoint, "sts")
    missing = f"arn:aws:iam::{MEMBER}:role/missing"
    refusal = error_of(lambda: sts.assume_role(RoleArn=missing, RoleSessionName="test"))
    assert refusal["Code"] == "AccessDenied"
    assert refusal["Message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {missing}")

    client(endpoint, "iam", MEMBER).create_role(RoleName="reader", Path="/audit/", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                 "Action": "sts:AssumeRole",
                                                 "Condition": {"StringEquals": {"sts:ExternalId": "right"}}}]}))
    reader = f"arn:aws:iam::{MEMBER}:role/audit/reader"
    for wrong in ({}, {"ExternalId": "wrong"}):
        assert error_of(partial(sts.assume_role, RoleArn=reader, RoleSessionName="test", **wrong))[
            "Code"] == "AccessDenied"
    assumed = sts.assume_role(RoleArn=reader, RoleSessionName="test", ExternalId="right")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/reader/test"


def test_only_the_management_account_and_delegated_administrators_list_the_organisation(endpoint):
    management = client(endpoint, "organizations", MANAGEMENT)
    management.create_organization(FeatureSet="ALL")
    accounts = {name: management.create_account(AccountName=name, Email=f"{name}@example.com")[
        "CreateAccountStatus"]["AccountId"] for name in ("member", "admin")}
    management.register_delegated_administrator(AccountId=accounts["admin"],
                                                ServicePrincipal="access-analyzer.amazonaws.com")
    member = client(endpoint, "organizations", accounts["member"])
    assert member.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT
    for call in (member.list_roots, member.list_accounts, partial(member.list_policies,
                                                                  Filter="SERVICE_CONTROL_POLICY")):
        assert error_of(call) == {"Code": "AccessDeniedException",
                                  "Message": "You don't have permissions to access this resource."}
    assert len(management.list_roots()["Roots"]) == 1
    assert len(client(endpoint, "organizations", accounts["admin"]).list_roots()["Roots"]) == 1


def test_another_moto_server_keeps_moto_behaviour(endpoint):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        sts = client(f"http://{host}:{port}", "sts")
        assert sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/nowhere", RoleSessionName="test")
    finally:
        server.stop()

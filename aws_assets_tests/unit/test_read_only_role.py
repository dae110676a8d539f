"""The read-only role customers deploy (deploy/read-only-role.yaml), against what a full sync really calls.

Every operation of a full sync of the simulated organisation is recorded by the botocore `before-call.*.*` hook that
`CallCounter` puts on every client the collectors create (the sync report's calls by operation). The operations the
collectors name for calls the simulated organisation does not provoke (fallbacks such as GetLoginProfile when the
credential report lacks a user) are added from the collectors' source. Each must be a read that SecurityAudit (AWS's
document, as moto ships it) plus the template's extra policies allow; the extra policies must hold nothing else.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import ListShape, Shape, StructureShape

from aws_assets.analysis.permissions import (
    OPERATOR_OPERATIONS,
    Permission,
    allows,
    required_permission,
    write_reasons,
)
from aws_assets.analysis.trust import parse_trust_policy, trust_edges
from aws_assets.sim.organisation import OPERATOR_ACCOUNT_ID
from aws_assets_tests.conftest import ACCOUNT_ID, REPO

TEMPLATE_PATH = "deploy/read-only-role.yaml"
TEMPLATE = REPO / TEMPLATE_PATH
SERVICES_SOURCE = REPO / "aws_assets" / "services"
SECURITY_AUDIT_SUB = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/SecurityAudit"}
MANAGED_POLICY_CHARACTERS = 6144  # IAM's limit on a managed policy document, whitespace aside
OPERATION_NAME = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")
WHERE_TO_ADD = (
    "add a statement granting it to an AWS::IAM::ManagedPolicy in deploy/read-only-role.yaml that the role lists in "
    "ManagedPolicyArns (create one if there is none), and list it in the README's 'Using it on your AWS accounts'; "
    "if IAM names the action otherwise, declare it in ACTION_EXCEPTIONS in aws_assets/analysis/permissions.py"
)


# cfn-lint and moto's copy of the AWS managed policies are imported where they are used, not with the module: each
# xdist worker imports every test module to collect it, and they took most of a second of that.
@cache
def template() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return cfn_yaml.loads(TEMPLATE.read_text())


@cache
def security_audit() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)["SecurityAudit"]["Document"]


def the_role() -> dict[str, Any]:
    roles = [r for r in template()["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 1, f"{TEMPLATE_PATH} must create exactly one role"
    return roles[0]["Properties"]


def extra_policies() -> list[dict[str, Any]]:
    """The documents of the template's managed policies that the role lists besides SecurityAudit."""
    documents = []
    for arn in the_role()["ManagedPolicyArns"]:
        if arn == SECURITY_AUDIT_SUB:
            continue
        resource = template()["Resources"].get(arn.get("Ref") if isinstance(arn, dict) else None)
        assert resource and resource["Type"] == "AWS::IAM::ManagedPolicy", (
            f"{TEMPLATE_PATH}: the role may list only SecurityAudit and the template's own managed policies, not {arn}"
        )
        documents.append(resource["Properties"]["PolicyDocument"])
    return documents


@cache
def operations_named_in_collectors() -> frozenset[str]:
    """`<service>:<Operation>` strings in the collectors' source that name a real botocore operation."""
    session = botocore.session.get_session()
    services = set(session.get_available_services())
    named = set()
    for path in SERVICES_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and OPERATION_NAME.match(node.value):
                service, name = node.value.split(":")
                if service in services and name in session.get_service_model(service).operation_names:
                    named.add(node.value)
    return frozenset(named)


@pytest.fixture(scope="module")
def sync_operations(synced) -> dict[str, int]:
    report = synced["report"]
    assert report.ok, [failure.errors for failure in report.failures]
    return dict(report.calls_by_operation())


@pytest.fixture(scope="module")
def role_operations(sync_operations) -> set[str]:
    """What the role itself is asked to do: the sync's calls and the collectors' fallbacks, less AssumeRole."""
    return (set(sync_operations) | operations_named_in_collectors()) - OPERATOR_OPERATIONS


def test_the_template_is_valid_cloudformation():
    import cfnlint.api

    problems = cfnlint.api.lint(TEMPLATE.read_text())
    assert not problems, "\n".join(str(problem) for problem in problems)
    assert set(template()["Parameters"]) == {"OperatorPrincipals", "ExternalId", "RoleName"}
    assert template()["Parameters"]["ExternalId"]["NoEcho"] is True
    assert template()["Parameters"]["RoleName"]["Default"] == "aws-assets-readonly"
    assert template()["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": ["ReadOnlyRole", "Arn"]}
    assert SECURITY_AUDIT_SUB in the_role()["ManagedPolicyArns"]
    assert "Policies" not in the_role(), "extra reads belong in a managed policy (limits, reuse), not inline"
    assert {r["Type"] for r in template()["Resources"].values()} <= {"AWS::IAM::Role", "AWS::IAM::ManagedPolicy"}


def test_the_sync_makes_the_calls_of_every_service(sync_operations):
    # A collector whose client escaped the call counter would leave its service out of the recording.
    services = {operation.split(":")[0] for operation in sync_operations}
    assert services >= {"sts", "iam", "s3", "s3control", "ec2", "rds", "dynamodb", "kms", "lambda", "apigateway",
                        "config", "sqs", "sns", "secretsmanager", "ecr"}
    assert operations_named_in_collectors() >= {"iam:GetLoginProfile", "iam:GetPolicy", "iam:GetPolicyVersion",
                                                "s3:GetBucketPolicyStatus", "lambda:GetPolicy", "kms:GetKeyPolicy",
                                                "secretsmanager:GetResourcePolicy", "ecr:GetRepositoryPolicy",
                                                "lambda:GetFunctionUrlConfig"}


def test_every_operation_is_a_read(role_operations):
    writes = {operation: write_reasons(operation) for operation in sorted(role_operations)}
    writes = {operation: reasons for operation, reasons in writes.items() if reasons}
    assert not writes, "aws-assets only reads, but these look like writes (" + "; ".join(
        f"{operation}: {', '.join(reasons)}" for operation, reasons in writes.items()
    ) + "). If one is a read, declare it in READ_EXCEPTIONS in aws_assets/analysis/permissions.py with the reason."


def called(operation: str, sync_operations: dict[str, int]) -> str:
    if operation in sync_operations:
        return f"called {sync_operations[operation]} times by the full sync"
    return "named in aws_assets/services, not called by the full sync"


def test_the_role_allows_every_operation(role_operations, sync_operations):
    policies = [security_audit(), *extra_policies()]
    missing = {
        operation: required_permission(operation)
        for operation in sorted(role_operations)
        if not allows(policies, required_permission(operation))
    }
    assert not missing, "the read-only role does not allow:\n" + "\n".join(
        f"  {operation} ({called(operation, sync_operations)}) needs {permission.action} on {permission.resource}"
        for operation, permission in missing.items()
    ) + f"\nSecurityAudit does not grant these: {WHERE_TO_ADD}."


def test_the_extra_policies_hold_only_reads_security_audit_lacks(role_operations):
    lacking = [
        permission
        for permission in map(required_permission, sorted(role_operations))
        if not allows([security_audit()], permission)
    ]
    for document in extra_policies():
        statements = document["Statement"]
        for statement in [statements] if isinstance(statements, dict) else statements:
            assert statement["Effect"] == "Allow" and "Action" in statement and "Condition" not in statement
            for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
                needed = [p for p in lacking if allows([{"Statement": {**statement, "Action": action}}], p)]
                assert needed, (
                    f"{TEMPLATE_PATH}: {action} on {statement['Resource']} is not needed: no operation of the sync "
                    "needs it, or SecurityAudit already grants what it is needed for. Remove it."
                )
        size = len(json.dumps(document, separators=(",", ":")))
        assert size <= MANAGED_POLICY_CHARACTERS, f"{TEMPLATE_PATH}: an extra policy of {size} characters: split it"


@pytest.mark.parametrize(
    "principals, role_name, expected_targets",
    [
        (OPERATOR_ACCOUNT_ID, None, {f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root"}),
        (
            f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root,arn:aws:iam::444455556666:role/aws-assets",
            "audit-reader",
            {f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root", "arn:aws:iam::444455556666:role/aws-assets"},
        ),
    ],
    ids=["account-id", "root-and-role"],
)
def test_the_deployed_role_trusts_only_the_operator_and_requires_the_external_id(
    account_session, principals, role_name, expected_targets
):
    parameters = {"OperatorPrincipals": principals, "ExternalId": "a-long-random-string"}
    if role_name:
        parameters["RoleName"] = role_name
    cloudformation = account_session.client("cloudformation", region_name="eu-west-1")
    cloudformation.create_stack(
        StackName="aws-assets-readonly",
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName="aws-assets-readonly")["Stacks"][0]
    role = account_session.client("iam").get_role(RoleName=role_name or "aws-assets-readonly")["Role"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name or 'aws-assets-readonly'}"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"RoleArn": role["Arn"]}

    analysis = parse_trust_policy(role["AssumeRolePolicyDocument"])
    edges = trust_edges(role["Arn"], ACCOUNT_ID, analysis, ingested_accounts=())
    assert not analysis.problems
    assert {edge.to_key for edge in edges} == expected_targets
    assert all(
        edge.external_id_required and edge.trust_zone == "external_account" and edge.actions == ("sts:AssumeRole",)
        for edge in edges
    ), edges
    assert {edge.conditions for edge in edges} == {
        json.dumps([{"StringEquals": {"sts:ExternalId": "a-long-random-string"}}], sort_keys=True)
    }


def test_security_audit_grants_metadata_reads_not_data_or_writes():
    # The checks above lean on it: a truncated or renamed copy would make every operation look denied or allowed.
    document = security_audit()
    assert allows([document], Permission("iam:GetAccountAuthorizationDetails"))
    assert not allows([document], Permission("s3:GetObject"))
    assert not allows([document], Permission("s3:PutBucketPolicy"))


TRUST_POLICY_JSON = REPO / "deploy" / "read-only-role-trust-policy.json"


def test_the_plain_json_trust_policy_is_the_templates():
    """deploy/read-only-role-trust-policy.json, for those who create the role without CloudFormation, is the
    template's trust policy with its two parameters as placeholders."""
    shipped = json.loads(TRUST_POLICY_JSON.read_text())
    [statement] = the_role()["AssumeRolePolicyDocument"]["Statement"]
    assert shipped["Version"] == the_role()["AssumeRolePolicyDocument"]["Version"]
    [written] = shipped["Statement"]
    assert written["Principal"] == {"AWS": "arn:aws:iam::OPERATOR_ACCOUNT_ID:root"}
    assert statement["Principal"] == {"AWS": {"Ref": "OperatorPrincipals"}}
    assert written["Condition"] == {"StringEquals": {"sts:ExternalId": "EXTERNAL_ID"}}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert {k: v for k, v in written.items() if k not in ("Principal", "Condition")} == {
        k: v for k, v in statement.items() if k not in ("Principal", "Condition")}
    filled = TRUST_POLICY_JSON.read_text().replace("OPERATOR_ACCOUNT_ID", OPERATOR_ACCOUNT_ID)
    filled = filled.replace("EXTERNAL_ID", "a-long-random-string")
    [edge] = trust_edges(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", ACCOUNT_ID,
                         parse_trust_policy(filled), ingested_accounts=())
    assert (edge.to_key, edge.external_id_required, edge.trust_zone) == (
        f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root", True, "external_account")


README = REPO / "README.md"
STACKSET_STEPS = "**The role in every member: a StackSet.**"
ROOT_OR_OU_ID = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")


def readme_stackset_commands() -> list[list[str]]:
    """The `aws` commands of the README's StackSet steps, each split into words as a shell splits it."""
    section = README.read_text().split(STACKSET_STEPS, 1)[1].split("\n3. Run", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if words := shlex.split(line, comments=True):
                commands.append(words)
    return commands


def _cli_value(shape: Shape, words: list[str]) -> Any:
    """A CLI option's words as the request member of `shape`: lists by word, structures in shorthand (Key=Value,..),
    file:// read from the repository."""
    if isinstance(shape, ListShape):
        return [_cli_value(shape.member, [word]) for word in words]
    [word] = words
    if isinstance(shape, StructureShape):
        fields = dict(pair.split("=", 1) for pair in word.split(","))
        unknown = set(fields) - set(shape.members)
        assert not unknown, f"{shape.name} has no field {unknown}"
        return {key: _cli_value(shape.members[key], [value]) for key, value in fields.items()}
    if word.startswith("file://"):
        return (REPO / word.removeprefix("file://")).read_text()
    if shape.type_name == "boolean":
        return {"true": True, "false": False}[word]
    return int(word) if shape.type_name == "integer" else word


def cli_request(command: list[str]) -> tuple[str, str, dict[str, Any]]:
    """(service, boto3 method, parameters) of `aws <service> <operation> --option value ...`, by the operation's
    botocore model, so an option or field the operation does not have fails here rather than in a reader's shell."""
    assert command[0] == "aws", command
    service, operation, *options = command[1:]
    operation_model = botocore.session.get_session().get_service_model(service).operation_model(
        "".join(part.capitalize() for part in operation.split("-")))
    members = operation_model.input_shape.members if operation_model.input_shape else {}
    words: dict[str, list[str]] = {}
    for word in options:
        if word.startswith("--"):
            member = "".join(part.capitalize() for part in word[2:].split("-"))
            assert member in members, f"aws {service} {operation} has no option {word}"
            words[member] = []
        else:
            words[member].append(word)
    return service, xform_name(operation_model.name), {
        member: _cli_value(members[member], values) for member, values in words.items()}


def readme_stackset_requests() -> dict[str, dict[str, Any]]:
    """The README's StackSet commands as boto3 requests, by method."""
    requests = [cli_request(command) for command in readme_stackset_commands()]
    methods = [method for _, method, _ in requests]
    assert len(set(methods)) == len(methods), f"one command of each operation in the README: {methods}"
    return {method: parameters for _, method, parameters in requests}


def stack_parameters(request: dict[str, Any]) -> dict[str, str]:
    return {parameter["ParameterKey"]: parameter["ParameterValue"] for parameter in request["Parameters"]}


def readme_member_role_name() -> str:
    [name] = re.findall(r'"memberRoleName": "([^"]*)"', README.read_text().split(STACKSET_STEPS, 1)[0])
    return name


def test_the_readme_stackset_deploys_the_template_to_every_member_and_the_plain_stack_to_the_management_account():
    requests = readme_stackset_requests()
    assert set(requests) == {"activate_organizations_access", "create_stack_set", "create_stack_instances",
                             "list_stack_instances", "create_stack"}
    stack_set, instances, plain = requests["create_stack_set"], requests["create_stack_instances"], requests[
        "create_stack"]
    for request in (stack_set, plain):
        assert request["TemplateBody"] == TEMPLATE.read_text()
        assert "CAPABILITY_NAMED_IAM" in request["Capabilities"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert instances["StackSetName"] == requests["list_stack_instances"]["StackSetName"] == stack_set["StackSetName"]
    # IAM is global: a second region would create the same role twice and fail there.
    assert len(instances["Regions"]) == 1
    assert set(instances["DeploymentTargets"]) == {"OrganizationalUnitIds"}
    assert all(map(ROOT_OR_OU_ID.match, instances["DeploymentTargets"]["OrganizationalUnitIds"]))


def test_the_readme_stacks_have_exactly_the_templates_parameters_and_the_entrys_member_role_name():
    requests = readme_stackset_requests()
    members, management = stack_parameters(requests["create_stack_set"]), stack_parameters(requests["create_stack"])
    assert set(members) == set(template()["Parameters"])
    assert management == members, "the README says the management account's stack has the StackSet's parameters"
    assert members["RoleName"] == readme_member_role_name()
    for name, value in members.items():
        declared = template()["Parameters"][name]
        assert declared.get("MinLength", 0) <= len(value) <= declared.get("MaxLength", len(value)), name
        assert re.fullmatch(declared.get("AllowedPattern", ".*"), value), name

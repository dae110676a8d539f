"""A simulated AWS organisation on a moto server, for the demo, end-to-end tests and benchmarks.

The operator (the account that runs aws-assets) is moto's default account ``123456789012``. It
ingests three member accounts, each in ``us-east-1`` (home region), ``eu-west-1`` and
``ap-southeast-2``:

=============  ========  =============================================================
account id     name      role in the estate
=============  ========  =============================================================
111111111111   prod      customer-facing workloads, the largest account
222222222222   dev       a smaller copy of prod; Config is off in ap-southeast-2
333333333333   shared    shared services: the deployment pipeline, an auditors group
=============  ========  =============================================================

Every account holds every entity type of the integration spec. Counts below are for ``scale=1``;
``scale`` multiplies the bulk tiers (engineer users, web/worker instances, archive buckets,
event tables, job functions) and nothing else.

IAM (global)
    * Role ``aws-assets-readonly``: the integration role, trusting the operator account root with
      an ``sts:ExternalId`` condition (see :func:`external_id_for`), attached to the customer managed
      policy ``aws-assets-security-audit`` (moto cannot attach the AWS managed ``SecurityAudit``
      unless the server loads all AWS managed policies, which is slow).
    * Customer managed policies: ``aws-assets-security-audit`` (read-only), ``acme-admin-access``
      (``"Action": "*", "Resource": "*"``), ``acme-s3-read-artifacts`` (two versions, v2 default),
      ``acme-dynamodb-read-write``; prod also has ``acme-legacy-unused``, attached to nothing.
    * Users: ``alice`` (Email tag, console password, virtual MFA, one active access key, inline
      policy), ``bob.smith@example.com`` (the user name is an email; console, no MFA), ``dave``
      (malformed Email tag ``not-an-email``; console and MFA), ``ci-deploy`` (no console, one active
      and one inactive access key, inline policy), ``break-glass`` (console, no MFA,
      ``acme-admin-access`` attached directly) and bulk ``engineer-NN`` users (Email tag, console;
      odd ones hold an access key, even ones an MFA device): prod 3, dev 2, shared 1.
    * Groups: ``admins`` (alice; inline ``require-mfa``; ``acme-admin-access``) and ``developers``
      (bob, dave, the engineers; inline ``developer-console-access``; ``acme-s3-read-artifacts`` and
      ``acme-dynamodb-read-write``); shared also has an empty ``auditors`` group.
    * Roles in every account: ``aws-assets-readonly``; ``lambda-execution`` (trusts
      lambda.amazonaws.com); ``ec2-app`` (trusts ec2.amazonaws.com, with instance profile
      ``ec2-app``); ``aws-config-recorder`` (trusts config.amazonaws.com); ``admin-escalation``
      (trusts the user alice of the same account, MFA required); ``okta-engineer`` (trusts the SAML
      provider ``okta``). Only in prod and dev: ``cross-account-deploy``, trusted by the shared
      account's role ``deployment-pipeline`` (which exists only in shared and trusts
      codebuild.amazonaws.com). Only in prod: ``external-auditor``, trusted by the unseeded account
      999999999999 without an ExternalId. Only in prod and shared: ``org-readonly``, trusting
      ``{"AWS": "*"}`` under an ``aws:PrincipalOrgID`` condition.

EC2 (per region)
    moto's default VPC (with one default subnet per availability zone: 6 in us-east-1, 3 elsewhere)
    and its default security group, plus a VPC ``<env>-vpc`` with subnets ``<env>-public-a/-b`` and
    ``<env>-private-a/-b``, its default security group and the groups ``<env>-bastion-ssh`` (22
    from 0.0.0.0/0), ``<env>-web-https`` (443 from 0.0.0.0/0 and ::/0), ``<env>-app`` (8080 from the
    web group, 22 from the managed prefix list ``<env>-corp-vpn``; egress only 443 anywhere and
    5432 inside the VPC) and ``<env>-database`` (5432 from the app group; no egress). A registered
    AMI, the key pair ``<env>-ops`` (the home region also has the imported key ``<env>-ci``), a
    KMS key ``alias/<env>-data``. Instances: one ``<env>-bastion`` (public subnet, ops key, 10 GiB
    unencrypted extra volume), ``<env>-web-NN`` (public subnets, web+app groups, ec2-app profile,
    ops key) and ``<env>-worker-NN`` (private subnets, app group, ec2-app profile, encrypted root
    and an encrypted 100 GiB data volume; the first ones are stopped). prod us-east-1 also has an
    unattached unencrypted volume. Web/worker counts per region (see ``_ACCOUNT_PLANS``):
    prod 2+2 / 1+1 / 0+1, dev 1+1 / 0+1 / 0+0, shared 0+1 / 0+1 / 1+1.

S3 (buckets are global names, each created in one region)
    ``acme-<env>-access-logs`` (us-east-1, private, log-delivery ACL, AES256),
    ``acme-<env>-customer-data`` (us-east-1, SSE-KMS, public access block, versioning, access
    logging to the log bucket; prod's holds the only object, ``exports/customers.csv``),
    ``acme-<env>-website`` (eu-west-1, public through a ``"Principal": "*"`` bucket policy),
    ``acme-<env>-public-downloads`` (ap-southeast-2, ``public-read`` ACL) and bulk
    ``acme-<env>-archive-NN`` (AES256, public access block, round-robin over the regions):
    prod 3, dev 1, shared 2. Like S3, moto delivers server access logs: every request to a
    customer-data bucket, seeding's included, adds a log object under
    ``acme-<env>-access-logs/acme-<env>-customer-data/``.

RDS
    In prod us-east-1 and eu-west-1, dev us-east-1 and shared ap-southeast-2: an encrypted Aurora
    cluster ``<env>-orders`` (aurora-postgresql in prod, aurora-mysql elsewhere) with writer
    ``<env>-orders-1`` and reader ``<env>-orders-2``, a standalone encrypted postgres
    ``<env>-billing`` and an unencrypted, publicly accessible mysql ``<env>-legacy-reporting``.

DynamoDB
    ``<env>-orders`` (us-east-1, on-demand, SSE-KMS, point-in-time recovery; prod's holds the only
    item), ``<env>-sessions`` (us-east-1, provisioned, AWS owned key, no PITR) and bulk
    ``<env>-events-NN`` (on-demand, odd ones SSE-KMS, round-robin over the regions):
    prod 2, dev 1, shared 1.

Lambda
    ``<env>-orders-api`` (us-east-1; environment holds ``DB_PASSWORD=super-secret-value``, which
    the product must never store; resource policy letting API Gateway invoke it),
    ``<env>-orders-worker`` (us-east-1, in the private subnet with the app group) and bulk
    ``<env>-job-NN`` (round-robin over the regions): prod 2, dev 1, shared 1. All run as
    ``lambda-execution``.

API Gateway (us-east-1)
    ``<env>-orders-api`` (REGIONAL; GET and POST /items are AWS_PROXY integrations with
    ``<env>-orders-api``; GET /health is MOCK; stage ``v1``) and ``<env>-status-page`` (EDGE; GET /
    is MOCK).

Config
    A recorder and delivery channel per enabled region, the regional rules
    ``s3-bucket-public-read-prohibited``, ``restricted-incoming-traffic``, ``encrypted-volumes``,
    ``ec2-instance-no-public-ip`` everywhere Config is on, and in the home region also the global
    rules ``iam-user-mfa-enabled``, ``iam-group-has-users-check``, ``iam-role-managed-policy-check``
    and ``root-account-mfa-enabled``. Config is off in dev ap-southeast-2.
    ``restricted-incoming-traffic`` blocks TCP 20, 21, 22 and 3389 from the internet;
    ``iam-role-managed-policy-check`` requires ``acme-admin-access`` (so only
    ``admin-escalation`` complies). Each rule has evaluated the seeded resources of its region
    (the global rules: IAM and the account) and answers GetComplianceDetailsByConfigRule, which
    moto cannot on its own (see "Config compliance" below): NON_COMPLIANT are the website bucket
    (public policy) and the public-downloads bucket (public ACL), the ``<env>-bastion-ssh``
    groups, attached unencrypted volumes (the bastions' and webs' roots, the bastions' home
    volumes; unattached ones are NOT_APPLICABLE), instances with a public IP (bastions, webs),
    users without MFA, groups without users (shared's ``auditors``), roles without
    ``acme-admin-access`` and every account's root user (moto reports no root MFA).

Run ``python -m aws_assets.sim.organisation serve --port 5000 --instances-file instances.json`` to
keep a seeded server running for the demo.
"""

from __future__ import annotations

import os

# Must be set before moto is first imported: without it every region loads moto's AMI catalogue
# and seeding takes about three times longer.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import argparse
import base64
import contextlib
import hashlib
import io
import json
import logging
import signal
import socket
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

OPERATOR_ACCOUNT_ID = "123456789012"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME_REGION = "us-east-1"
INTEGRATION_ROLE_NAME = "aws-assets-readonly"
SEED_ROLE_NAME = "OrganizationAccountAccessRole"
EXTERNAL_AUDITOR_ACCOUNT_ID = "999999999999"
ORGANIZATION_ID = "o-acme2k9x7q"
LAMBDA_ENVIRONMENT_SECRET = "super-secret-value"

_DUMMY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
# Retries ride out the occasional HTTP 500 of a busy moto server.
_CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


# --------------------------------------------------------------------------------------------
# Public data model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedAccount:
    account_id: str
    name: str
    role_arn: str
    external_id: str


@dataclass(frozen=True)
class SimulatedOrg:
    accounts: tuple[SimulatedAccount, ...]
    regions: tuple[str, ...]
    operator_account_id: str

    def instances(self) -> list[dict[str, Any]]:
        """Integration-instance configurations, one per account, as the product reads them."""
        return [
            {
                "name": account.name,
                "roleArn": account.role_arn,
                "externalId": account.external_id,
                "regions": list(self.regions),
            }
            for account in self.accounts
        ]

    def write_instances_file(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`instances` as a JSON list, atomically so a reader never sees half a file."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        file_descriptor, temporary_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            # mkstemp creates the file owner-only; the demo's other processes must read it.
            os.chmod(temporary_name, 0o644)
            with os.fdopen(file_descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.instances(), handle, indent=2)
                handle.write("\n")
            os.replace(temporary_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary_name)
            raise
        return target


def external_id_for(account_id: str) -> str:
    """Deterministic, non-secret ExternalId of an account's integration role."""
    digest = hashlib.sha256(f"aws-assets-simulated-org:{account_id}".encode()).hexdigest()
    return f"aws-assets-{digest[:20]}"


# --------------------------------------------------------------------------------------------
# What each account contains
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RegionPlan:
    web_instances: int  # multiplied by scale
    worker_instances: int  # multiplied by scale
    stopped_workers: int  # multiplied by scale
    unattached_volumes: int = 0
    has_rds: bool = False
    config_enabled: bool = True


@dataclass(frozen=True)
class _AccountPlan:
    account_id: str
    name: str
    vpc_second_octet: int
    aurora_engine: str
    engineer_users: int  # bulk tiers, multiplied by scale
    archive_buckets: int
    event_tables: int
    job_functions: int
    regions: Mapping[str, _RegionPlan]
    extra_roles: tuple[str, ...] = ()
    has_auditors_group: bool = False
    has_unused_policy: bool = False
    holds_sample_data: bool = False  # the single S3 object and DynamoDB item of the organisation


_ACCOUNT_PLANS: tuple[_AccountPlan, ...] = (
    _AccountPlan(
        account_id="111111111111",
        name="prod",
        vpc_second_octet=10,
        aurora_engine="aurora-postgresql",
        engineer_users=3,
        archive_buckets=3,
        event_tables=2,
        job_functions=2,
        regions={
            "us-east-1": _RegionPlan(2, 2, 1, unattached_volumes=1, has_rds=True),
            "eu-west-1": _RegionPlan(1, 1, 0, has_rds=True),
            "ap-southeast-2": _RegionPlan(0, 1, 0),
        },
        extra_roles=("cross-account-deploy", "external-auditor", "org-readonly"),
        has_unused_policy=True,
        holds_sample_data=True,
    ),
    _AccountPlan(
        account_id="222222222222",
        name="dev",
        vpc_second_octet=20,
        aurora_engine="aurora-mysql",
        engineer_users=2,
        archive_buckets=1,
        event_tables=1,
        job_functions=1,
        regions={
            "us-east-1": _RegionPlan(1, 1, 1, has_rds=True),
            "eu-west-1": _RegionPlan(0, 1, 0),
            "ap-southeast-2": _RegionPlan(0, 0, 0, config_enabled=False),
        },
        extra_roles=("cross-account-deploy",),
    ),
    _AccountPlan(
        account_id="333333333333",
        name="shared",
        vpc_second_octet=30,
        aurora_engine="aurora-mysql",
        engineer_users=1,
        archive_buckets=2,
        event_tables=1,
        job_functions=1,
        regions={
            "us-east-1": _RegionPlan(0, 1, 0),
            "eu-west-1": _RegionPlan(0, 1, 0),
            "ap-southeast-2": _RegionPlan(1, 1, 0, has_rds=True),
        },
        extra_roles=("deployment-pipeline", "org-readonly"),
        has_auditors_group=True,
    ),
)

_PIPELINE_ACCOUNT_ID = "333333333333"  # the account whose deployment-pipeline role deploys to others


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


def start_moto_server(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Start a moto server on 127.0.0.1 and return it with its endpoint URL.

    ``port=0`` lets the operating system choose a free port while the server binds it, so there is
    no window in which another process can take the port between choosing and binding.
    """
    from moto.server import ThreadedMotoServer

    if port:
        # ThreadedMotoServer.start() waits forever if its thread cannot bind; fail loudly instead.
        _ensure_port_free(port)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _teach_moto_config_compliance()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    return server, f"http://{host}:{bound_port}"


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Same option as werkzeug's server, so a port in TIME_WAIT counts as free here as well.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(f"port {port} on 127.0.0.1 is not free: {error}") from error


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------


def seed(endpoint_url: str, *, scale: int = 1) -> SimulatedOrg:
    """Create the organisation described in the module docstring on the moto server at ``endpoint_url``.

    Seed a given server only once: names are fixed, so a second run fails on existing resources.
    Everything happens on the calling thread because moto's server can fail on concurrent writes.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    session = boto3.Session(region_name=HOME_REGION, **_DUMMY_CREDENTIALS)
    accounts = []
    for plan in _ACCOUNT_PLANS:
        clients = _AccountClients.assume(session, endpoint_url, plan.account_id)
        _seed_account(clients, plan, scale)
        accounts.append(
            SimulatedAccount(
                account_id=plan.account_id,
                name=plan.name,
                role_arn=_role_arn(plan.account_id, INTEGRATION_ROLE_NAME),
                external_id=external_id_for(plan.account_id),
            )
        )
    return SimulatedOrg(
        accounts=tuple(accounts), regions=REGIONS, operator_account_id=OPERATOR_ACCOUNT_ID
    )


@dataclass
class _AccountClients:
    """boto3 clients acting inside one account, created once per (service, region)."""

    session: boto3.Session
    credentials: dict[str, str]
    endpoint_url: str
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def assume(
        cls, session: boto3.Session, endpoint_url: str, account_id: str
    ) -> _AccountClients:
        sts = session.client("sts", endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
        credentials = sts.assume_role(
            RoleArn=_role_arn(account_id, SEED_ROLE_NAME), RoleSessionName="seed"
        )["Credentials"]
        # Sharing one session across accounts reuses its loaded service models; a session per
        # account made seeding about a fifth slower.
        return cls(
            session=session,
            credentials={
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            },
            endpoint_url=endpoint_url,
        )

    def __call__(self, service: str, region: str = HOME_REGION) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=_CLIENT_CONFIG,
                **self.credentials,
            )
        return self._cache[key]


@dataclass(frozen=True)
class _RegionResources:
    """What the other services of one region build on: the network and the KMS key."""

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    app_security_group_id: str
    database_security_group_id: str
    kms_key_arn: str


def _seed_account(clients: _AccountClients, plan: _AccountPlan, scale: int) -> None:
    iam_arns = _seed_iam(clients, plan, scale)
    region_resources = {
        region: _seed_ec2(
            clients("ec2", region),
            plan,
            region,
            region_index,
            scale,
            iam_arns["instance_profile"],
            kms_key_arn=_seed_kms_key(clients("kms", region), plan.name, region),
        )
        for region_index, region in enumerate(REGIONS)
    }
    bucket_names = _seed_s3(clients, plan, region_resources, scale)
    for region, region_plan in plan.regions.items():
        if region_plan.has_rds:
            _seed_rds(clients, plan, region, region_resources[region])
    _seed_dynamodb(clients, plan, region_resources, scale)
    orders_function_arn = _seed_lambda(clients, plan, region_resources, scale, iam_arns["lambda_role"])
    _seed_api_gateway(clients, plan, orders_function_arn)
    bucket_regions = _bucket_regions(clients("s3"))
    for region, region_plan in plan.regions.items():
        if region_plan.config_enabled:
            _seed_config(
                clients, plan, region, iam_arns["config_role"], bucket_names["access_logs"],
                bucket_regions,
            )


# --------------------------------------------------------------------------------------------
# IAM
# --------------------------------------------------------------------------------------------


def _seed_iam(clients: _AccountClients, plan: _AccountPlan, scale: int) -> dict[str, str]:
    iam = clients("iam")
    account_id = plan.account_id
    policy_arns = _seed_managed_policies(iam, account_id, plan)
    _seed_users_and_groups(iam, plan, scale, policy_arns)
    return _seed_roles(iam, plan, policy_arns)


def _seed_managed_policies(iam: Any, account_id: str, plan: _AccountPlan) -> dict[str, str]:
    documents = {
        "aws-assets-security-audit": _policy_document(
            _statement(
                [
                    "apigateway:GET",
                    "config:Describe*",
                    "config:Get*",
                    "dynamodb:Describe*",
                    "dynamodb:List*",
                    "ec2:Describe*",
                    "iam:Get*",
                    "iam:List*",
                    "iam:GenerateCredentialReport",
                    "lambda:Get*",
                    "lambda:List*",
                    "rds:Describe*",
                    "s3:GetBucket*",
                    "s3:GetEncryptionConfiguration",
                    "s3:ListAllMyBuckets",
                    "sts:GetCallerIdentity",
                ],
                "*",
            )
        ),
        "acme-admin-access": _policy_document(_statement("*", "*")),
        "acme-s3-read-artifacts": _policy_document(
            _statement(["s3:GetObject"], "arn:aws:s3:::acme-artifacts/*")
        ),
        "acme-dynamodb-read-write": _policy_document(
            _statement(
                ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
                f"arn:aws:dynamodb:*:{account_id}:table/{plan.name}-*",
            )
        ),
    }
    if plan.has_unused_policy:
        documents["acme-legacy-unused"] = _policy_document(
            _statement(["sqs:SendMessage"], f"arn:aws:sqs:*:{account_id}:legacy-*")
        )
    arns = {
        name: iam.create_policy(
            PolicyName=name,
            PolicyDocument=document,
            Description=f"{name} (seeded by aws-assets simulated org)",
        )["Policy"]["Arn"]
        for name, document in documents.items()
    }
    # A second version as the default: collectors must read the default version, not v1.
    iam.create_policy_version(
        PolicyArn=arns["acme-s3-read-artifacts"],
        PolicyDocument=_policy_document(
            _statement(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::acme-artifacts", "arn:aws:s3:::acme-artifacts/*"],
            )
        ),
        SetAsDefault=True,
    )
    return arns


def _seed_users_and_groups(
    iam: Any, plan: _AccountPlan, scale: int, policy_arns: dict[str, str]
) -> None:
    account_id = plan.account_id
    iam.create_group(GroupName="admins")
    iam.put_group_policy(
        GroupName="admins",
        PolicyName="require-mfa",
        PolicyDocument=_policy_document(
            _statement(
                "*",
                "*",
                effect="Deny",
                condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            )
        ),
    )
    iam.attach_group_policy(GroupName="admins", PolicyArn=policy_arns["acme-admin-access"])

    iam.create_group(GroupName="developers")
    iam.put_group_policy(
        GroupName="developers",
        PolicyName="developer-console-access",
        PolicyDocument=_policy_document(
            _statement(["cloudwatch:Get*", "logs:Get*", "logs:FilterLogEvents"], "*")
        ),
    )
    for policy_name in ("acme-s3-read-artifacts", "acme-dynamodb-read-write"):
        iam.attach_group_policy(GroupName="developers", PolicyArn=policy_arns[policy_name])

    if plan.has_auditors_group:
        iam.create_group(GroupName="auditors")
        iam.attach_group_policy(
            GroupName="auditors", PolicyArn=policy_arns["aws-assets-security-audit"]
        )

    _create_user(iam, "alice", tags={"Email": "alice@example.com", "Team": "platform"},
                 console=True, mfa=True, access_keys=("Active",), groups=("admins",))
    iam.put_user_policy(
        UserName="alice",
        PolicyName="manage-own-credentials",
        PolicyDocument=_policy_document(
            _statement(
                ["iam:ChangePassword", "iam:CreateAccessKey", "iam:DeleteAccessKey"],
                f"arn:aws:iam::{account_id}:user/alice",
            )
        ),
    )
    _create_user(iam, "bob.smith@example.com", tags={"Team": "payments"},
                 console=True, groups=("developers",))
    _create_user(iam, "dave", tags={"Email": "not-an-email", "Team": "payments"},
                 console=True, mfa=True, groups=("developers",))
    _create_user(iam, "ci-deploy", tags={"Purpose": "ci"}, access_keys=("Active", "Inactive"))
    iam.put_user_policy(
        UserName="ci-deploy",
        PolicyName="deploy-artifacts",
        PolicyDocument=_policy_document(
            _statement(["s3:PutObject"], "arn:aws:s3:::acme-artifacts/*"),
            _statement(["lambda:UpdateFunctionCode"], f"arn:aws:lambda:*:{account_id}:function:*"),
        ),
    )
    _create_user(iam, "break-glass", tags={"Purpose": "emergency"}, console=True)
    iam.attach_user_policy(UserName="break-glass", PolicyArn=policy_arns["acme-admin-access"])

    for number in range(1, plan.engineer_users * scale + 1):
        user_name = f"engineer-{number:02d}"
        _create_user(
            iam,
            user_name,
            tags={"Email": f"{user_name}@example.com", "Team": "engineering"},
            console=True,
            mfa=number % 2 == 0,
            access_keys=("Active",) if number % 2 == 1 else (),
            groups=("developers",),
        )


def _create_user(
    iam: Any,
    user_name: str,
    *,
    tags: dict[str, str],
    console: bool = False,
    mfa: bool = False,
    access_keys: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
) -> None:
    iam.create_user(UserName=user_name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    if console:
        iam.create_login_profile(UserName=user_name, Password="Correct-Horse-Battery-9")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user_name)[
            "VirtualMFADevice"
        ]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=user_name,
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    for status in access_keys:
        access_key_id = iam.create_access_key(UserName=user_name)["AccessKey"]["AccessKeyId"]
        if status != "Active":
            iam.update_access_key(UserName=user_name, AccessKeyId=access_key_id, Status=status)
    for group_name in groups:
        iam.add_user_to_group(GroupName=group_name, UserName=user_name)


def _seed_roles(iam: Any, plan: _AccountPlan, policy_arns: dict[str, str]) -> dict[str, str]:
    account_id = plan.account_id
    saml_provider_arn = iam.create_saml_provider(
        Name="okta", SAMLMetadataDocument=_saml_metadata(account_id)
    )["SAMLProviderArn"]

    roles: dict[str, tuple[str, dict[str, Any]]] = {
        INTEGRATION_ROLE_NAME: (
            "Read-only security audit access for aws-assets",
            _trust(
                {"AWS": f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root"},
                condition={"StringEquals": {"sts:ExternalId": external_id_for(account_id)}},
            ),
        ),
        "lambda-execution": (
            "Execution role of the Lambda functions",
            _trust({"Service": "lambda.amazonaws.com"}),
        ),
        "ec2-app": ("Instance role of the web and worker hosts", _trust({"Service": "ec2.amazonaws.com"})),
        "aws-config-recorder": (
            "Role AWS Config records resources with",
            _trust({"Service": "config.amazonaws.com"}),
        ),
        "admin-escalation": (
            "alice may escalate to admin with MFA",
            _trust(
                {"AWS": f"arn:aws:iam::{account_id}:user/alice"},
                condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
        ),
        "okta-engineer": (
            "Engineers signing in through Okta",
            _trust(
                {"Federated": saml_provider_arn},
                action="sts:AssumeRoleWithSAML",
                condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            ),
        ),
    }
    extra_roles: dict[str, tuple[str, dict[str, Any]]] = {
        "cross-account-deploy": (
            "Assumed by the shared account's deployment pipeline",
            _trust({"AWS": _role_arn(_PIPELINE_ACCOUNT_ID, "deployment-pipeline")}),
        ),
        "deployment-pipeline": (
            "CodeBuild deploys to the workload accounts with this role",
            _trust({"Service": "codebuild.amazonaws.com"}),
        ),
        "external-auditor": (
            "Third-party auditor; trusts a whole foreign account without an ExternalId",
            _trust({"AWS": f"arn:aws:iam::{EXTERNAL_AUDITOR_ACCOUNT_ID}:root"}),
        ),
        "org-readonly": (
            "Read-only access for any principal of the organisation",
            _trust({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}),
        ),
    }
    roles.update({name: extra_roles[name] for name in plan.extra_roles})

    role_arns = {
        name: iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust_policy),
            Description=description,
            Tags=[{"Key": "ManagedBy", "Value": "terraform"}],
        )["Role"]["Arn"]
        for name, (description, trust_policy) in roles.items()
    }

    attached_policies = {
        INTEGRATION_ROLE_NAME: "aws-assets-security-audit",
        "lambda-execution": "acme-dynamodb-read-write",
        "ec2-app": "acme-s3-read-artifacts",
        "admin-escalation": "acme-admin-access",
        "okta-engineer": "acme-s3-read-artifacts",
        "external-auditor": "aws-assets-security-audit",
        "org-readonly": "aws-assets-security-audit",
    }
    for role_name, policy_name in attached_policies.items():
        if role_name in role_arns:
            iam.attach_role_policy(RoleName=role_name, PolicyArn=policy_arns[policy_name])

    inline_policies = {
        "lambda-execution": (
            "write-logs",
            _statement(
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                f"arn:aws:logs:*:{account_id}:*",
            ),
        ),
        "ec2-app": (
            "read-ssm-parameters",
            _statement(["ssm:GetParameter*"], f"arn:aws:ssm:*:{account_id}:parameter/{plan.name}/*"),
        ),
        "aws-config-recorder": (
            "deliver-config-snapshots",
            _statement(["s3:PutObject"], f"arn:aws:s3:::acme-{plan.name}-access-logs/AWSLogs/*"),
        ),
        "cross-account-deploy": (
            "deploy-workloads",
            _statement(["lambda:UpdateFunctionCode", "ecs:UpdateService"], "*"),
        ),
        "deployment-pipeline": (
            "assume-deploy-roles",
            _statement(["sts:AssumeRole"], "arn:aws:iam::*:role/cross-account-deploy"),
        ),
    }
    for role_name, (policy_name, statement) in inline_policies.items():
        if role_name in role_arns:
            iam.put_role_policy(
                RoleName=role_name, PolicyName=policy_name, PolicyDocument=_policy_document(statement)
            )

    instance_profile_arn = iam.create_instance_profile(InstanceProfileName="ec2-app")[
        "InstanceProfile"
    ]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="ec2-app", RoleName="ec2-app")
    return {
        "lambda_role": role_arns["lambda-execution"],
        "config_role": role_arns["aws-config-recorder"],
        "instance_profile": instance_profile_arn,
    }


def _saml_metadata(account_id: str) -> str:
    # IAM requires at least 1000 characters; a signing certificate makes the document realistic.
    # The certificate bytes are a deterministic stand-in, not a parseable X.509 certificate.
    certificate = base64.b64encode(
        b"".join(hashlib.sha256(f"okta-{account_id}-{n}".encode()).digest() for n in range(24))
    ).decode()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="http://www.okta.com/acme-{account_id}">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing">'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{certificate}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://acme.okta.com/app/amazon_aws/sso/saml"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


# --------------------------------------------------------------------------------------------
# EC2
# --------------------------------------------------------------------------------------------


def _seed_kms_key(kms: Any, env: str, region: str) -> str:
    key_arn = kms.create_key(Description=f"{env} data at rest in {region}")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{env}-data", TargetKeyId=key_arn)
    return key_arn


def _seed_ec2(
    ec2: Any,
    plan: _AccountPlan,
    region: str,
    region_index: int,
    scale: int,
    instance_profile_arn: str,
    kms_key_arn: str,
) -> _RegionResources:
    env = plan.name
    vpc_cidr = f"10.{plan.vpc_second_octet + region_index}.0.0/16"
    vpc_id, public_subnets, private_subnets = _seed_vpc(ec2, env, region, vpc_cidr)
    groups = _seed_security_groups(ec2, env, vpc_id, vpc_cidr)

    image_id = ec2.register_image(
        Name=f"acme-{env}-base-al2023",
        Description="Hardened Amazon Linux 2023 base image",
        Architecture="x86_64",
        VirtualizationType="hvm",
        RootDeviceName="/dev/sda1",
    )["ImageId"]
    ops_key = f"{env}-ops"
    ec2.create_key_pair(KeyName=ops_key, TagSpecifications=[_name_tags("key-pair", ops_key)])
    if region == HOME_REGION:
        ec2.import_key_pair(
            KeyName=f"{env}-ci",
            PublicKeyMaterial=(
                b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ3FrFhWj4+4pZV0b6/gK9mQ9bU2Eoe5YkP1ZyJq8kD "
                b"ci@acme"
            ),
        )

    bastion_id, bastion_zone = _run_instance(
        ec2,
        image_id,
        name=f"{env}-bastion",
        instance_type="t3.micro",
        subnet_id=public_subnets[0],
        security_group_ids=[groups["bastion-ssh"]],
        key_name=ops_key,
    )
    _attach_new_volume(
        ec2, bastion_id, bastion_zone, name=f"{env}-bastion-home", size=10, device="/dev/sdg"
    )

    region_plan = plan.regions[region]
    for number in range(1, region_plan.web_instances * scale + 1):
        _run_instance(
            ec2,
            image_id,
            name=f"{env}-web-{number:02d}",
            instance_type="t3.small",
            subnet_id=public_subnets[(number - 1) % 2],
            security_group_ids=[groups["web-https"], groups["app"]],
            key_name=ops_key,
            instance_profile_arn=instance_profile_arn,
        )

    worker_ids = []
    for number in range(1, region_plan.worker_instances * scale + 1):
        worker_id, worker_zone = _run_instance(
            ec2,
            image_id,
            name=f"{env}-worker-{number:02d}",
            instance_type="m5.large",
            subnet_id=private_subnets[(number - 1) % 2],
            security_group_ids=[groups["app"]],
            instance_profile_arn=instance_profile_arn,
            encrypted_root_kms_key=kms_key_arn,
        )
        _attach_new_volume(
            ec2,
            worker_id,
            worker_zone,
            name=f"{env}-worker-{number:02d}-data",
            size=100,
            device="/dev/sdf",
            kms_key_arn=kms_key_arn,
        )
        worker_ids.append(worker_id)
    stopped = worker_ids[: region_plan.stopped_workers * scale]
    if stopped:
        ec2.stop_instances(InstanceIds=stopped)

    for number in range(1, region_plan.unattached_volumes + 1):
        ec2.create_volume(
            AvailabilityZone=f"{region}a",
            Size=50,
            VolumeType="gp2",
            TagSpecifications=[_name_tags("volume", f"{env}-restored-snapshot-{number:02d}")],
        )

    return _RegionResources(
        vpc_id=vpc_id,
        public_subnet_ids=public_subnets,
        private_subnet_ids=private_subnets,
        app_security_group_id=groups["app"],
        database_security_group_id=groups["database"],
        kms_key_arn=kms_key_arn,
    )


def _seed_vpc(
    ec2: Any, env: str, region: str, vpc_cidr: str
) -> tuple[str, tuple[str, str], tuple[str, str]]:
    """Create the VPC and return its id, public subnet ids and private subnet ids."""
    vpc_id = ec2.create_vpc(
        CidrBlock=vpc_cidr,
        TagSpecifications=[_name_tags("vpc", f"{env}-vpc", Environment=env)],
    )["Vpc"]["VpcId"]
    cidr_prefix = vpc_cidr.rsplit(".", 2)[0]  # "10.10.0.0/16" -> "10.10"
    subnet_ids: dict[tuple[str, str], str] = {}
    for third_octet, tier, zone_letter in (
        (0, "public", "a"),
        (1, "public", "b"),
        (10, "private", "a"),
        (11, "private", "b"),
    ):
        subnet_ids[(tier, zone_letter)] = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"{cidr_prefix}.{third_octet}.0/24",
            AvailabilityZone=f"{region}{zone_letter}",
            TagSpecifications=[_name_tags("subnet", f"{env}-{tier}-{zone_letter}", Tier=tier)],
        )["Subnet"]["SubnetId"]
    public = (subnet_ids[("public", "a")], subnet_ids[("public", "b")])
    private = (subnet_ids[("private", "a")], subnet_ids[("private", "b")])
    for subnet_id in public:
        ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return vpc_id, public, private


def _seed_security_groups(ec2: Any, env: str, vpc_id: str, vpc_cidr: str) -> dict[str, str]:
    def create(short_name: str, description: str) -> str:
        group_name = f"{env}-{short_name}"
        return ec2.create_security_group(
            GroupName=group_name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=[_name_tags("security-group", group_name)],
        )["GroupId"]

    groups = {
        "bastion-ssh": create("bastion-ssh", "SSH to the bastion from anywhere"),
        "web-https": create("web-https", "HTTPS from the internet, IPv4 and IPv6"),
        "app": create("app", "Application tier"),
        "database": create("database", "Databases, reachable from the application tier"),
    }
    corp_vpn_prefix_list = ec2.create_managed_prefix_list(
        PrefixListName=f"{env}-corp-vpn",
        AddressFamily="IPv4",
        MaxEntries=5,
        Entries=[
            {"Cidr": "198.51.100.0/24", "Description": "office"},
            {"Cidr": "203.0.113.0/24", "Description": "vpn"},
        ],
    )["PrefixList"]["PrefixListId"]

    ec2.authorize_security_group_ingress(
        GroupId=groups["bastion-ssh"],
        IpPermissions=[_tcp(22, IpRanges=[{"CidrIp": "0.0.0.0/0", "Description": "ssh from anywhere"}])],
    )
    ec2.authorize_security_group_ingress(
        GroupId=groups["web-https"],
        IpPermissions=[
            _tcp(443, IpRanges=[{"CidrIp": "0.0.0.0/0"}], Ipv6Ranges=[{"CidrIpv6": "::/0"}])
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=groups["app"],
        IpPermissions=[
            _tcp(8080, UserIdGroupPairs=[{"GroupId": groups["web-https"], "Description": "from web"}]),
            _tcp(22, PrefixListIds=[{"PrefixListId": corp_vpn_prefix_list, "Description": "corp vpn"}]),
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=groups["database"],
        IpPermissions=[_tcp(5432, UserIdGroupPairs=[{"GroupId": groups["app"]}])],
    )
    allow_all_egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    for name in ("app", "database"):
        ec2.revoke_security_group_egress(GroupId=groups[name], IpPermissions=allow_all_egress)
    ec2.authorize_security_group_egress(
        GroupId=groups["app"],
        IpPermissions=[
            _tcp(443, IpRanges=[{"CidrIp": "0.0.0.0/0"}]),
            _tcp(5432, IpRanges=[{"CidrIp": vpc_cidr}]),
        ],
    )
    return groups


def _run_instance(
    ec2: Any,
    image_id: str,
    *,
    name: str,
    instance_type: str,
    subnet_id: str,
    security_group_ids: list[str],
    key_name: str | None = None,
    instance_profile_arn: str | None = None,
    encrypted_root_kms_key: str | None = None,
) -> tuple[str, str]:
    arguments: dict[str, Any] = {
        "ImageId": image_id,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": instance_type,
        "SubnetId": subnet_id,
        "SecurityGroupIds": security_group_ids,
        "TagSpecifications": [_name_tags("instance", name)],
    }
    if key_name:
        arguments["KeyName"] = key_name
    if instance_profile_arn:
        arguments["IamInstanceProfile"] = {"Arn": instance_profile_arn}
    if encrypted_root_kms_key:
        # moto's registered images always use /dev/sda1 as the root device; replace that volume.
        arguments["BlockDeviceMappings"] = [
            {
                "DeviceName": "/dev/sda1",
                "Ebs": {
                    "VolumeSize": 30,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "KmsKeyId": encrypted_root_kms_key,
                },
            }
        ]
    instance = ec2.run_instances(**arguments)["Instances"][0]
    return instance["InstanceId"], instance["Placement"]["AvailabilityZone"]


def _attach_new_volume(
    ec2: Any,
    instance_id: str,
    availability_zone: str,
    *,
    name: str,
    size: int,
    device: str,
    kms_key_arn: str | None = None,
) -> None:
    arguments: dict[str, Any] = {
        "AvailabilityZone": availability_zone,
        "Size": size,
        "VolumeType": "gp3",
        "TagSpecifications": [_name_tags("volume", name)],
    }
    if kms_key_arn:
        arguments.update(Encrypted=True, KmsKeyId=kms_key_arn)
    volume_id = ec2.create_volume(**arguments)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=device)


# --------------------------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------------------------


def _seed_s3(
    clients: _AccountClients,
    plan: _AccountPlan,
    region_resources: Mapping[str, _RegionResources],
    scale: int,
) -> dict[str, str]:
    env = plan.name
    access_logs = f"acme-{env}-access-logs"
    customer_data = f"acme-{env}-customer-data"
    website = f"acme-{env}-website"
    public_downloads = f"acme-{env}-public-downloads"

    # The log bucket stays private: besides being right, moto's put_bucket_logging crashes when
    # the target bucket's policy has "Principal": "*".
    s3 = _create_bucket(clients, access_logs, HOME_REGION)
    s3.put_bucket_acl(Bucket=access_logs, ACL="log-delivery-write")
    _encrypt_bucket(s3, access_logs)
    _block_public_access(s3, access_logs)

    s3 = _create_bucket(clients, customer_data, HOME_REGION)
    _encrypt_bucket(s3, customer_data, kms_key_arn=region_resources[HOME_REGION].kms_key_arn)
    _block_public_access(s3, customer_data)
    s3.put_bucket_versioning(Bucket=customer_data, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket=customer_data,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": access_logs, "TargetPrefix": f"{customer_data}/"}
        },
    )
    s3.put_bucket_tagging(
        Bucket=customer_data,
        Tagging={"TagSet": [{"Key": "DataClassification", "Value": "confidential"}]},
    )
    if plan.holds_sample_data:
        # The only object of the organisation: it lets tests prove the product never reads objects.
        s3.put_object(
            Bucket=customer_data,
            Key="exports/customers.csv",
            Body=b"id,email\n1,alice@example.com\n",
        )

    s3 = _create_bucket(clients, website, "eu-west-1")
    s3.put_bucket_policy(
        Bucket=website,
        Policy=_policy_document(
            {
                "Sid": "PublicReadGetObject",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{website}/*",
            }
        ),
    )

    _create_bucket(clients, public_downloads, "ap-southeast-2", ACL="public-read")

    for number in range(1, plan.archive_buckets * scale + 1):
        archive = f"acme-{env}-archive-{number:02d}"
        s3 = _create_bucket(clients, archive, REGIONS[(number - 1) % len(REGIONS)])
        _encrypt_bucket(s3, archive)
        _block_public_access(s3, archive)
    return {"access_logs": access_logs}


def _create_bucket(clients: _AccountClients, bucket: str, region: str, **extra: Any) -> Any:
    s3 = clients("s3", region)
    if region != "us-east-1":
        extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(Bucket=bucket, **extra)
    return s3


def _encrypt_bucket(s3: Any, bucket: str, *, kms_key_arn: str | None = None) -> None:
    default = (
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key_arn}
        if kms_key_arn
        else {"SSEAlgorithm": "AES256"}
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(kms_key_arn)}
            ]
        },
    )


def _block_public_access(s3: Any, bucket: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


# --------------------------------------------------------------------------------------------
# RDS
# --------------------------------------------------------------------------------------------


def _seed_rds(
    clients: _AccountClients, plan: _AccountPlan, region: str, resources: _RegionResources
) -> None:
    rds = clients("rds", region)
    env = plan.name
    subnet_group = f"{env}-private-db"
    rds.create_db_subnet_group(
        DBSubnetGroupName=subnet_group,
        DBSubnetGroupDescription="Private subnets for databases",
        SubnetIds=list(resources.private_subnet_ids),
    )
    common_network = {
        "DBSubnetGroupName": subnet_group,
        "VpcSecurityGroupIds": [resources.database_security_group_id],
    }

    cluster = f"{env}-orders"
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine=plan.aurora_engine,
        MasterUsername="orders_admin",
        MasterUserPassword="Not-A-Real-Password-1",
        DatabaseName="orders",
        StorageEncrypted=True,
        KmsKeyId=resources.kms_key_arn,
        Tags=[{"Key": "Environment", "Value": env}],
        **common_network,
    )
    for member in (1, 2):
        # moto omits PubliclyAccessible on instances created without it, so always pass it.
        rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster}-{member}",
            DBClusterIdentifier=cluster,
            Engine=plan.aurora_engine,
            DBInstanceClass="db.r6g.large",
            PubliclyAccessible=False,
            DBSubnetGroupName=subnet_group,
        )

    rds.create_db_instance(
        DBInstanceIdentifier=f"{env}-billing",
        Engine="postgres",
        DBInstanceClass="db.t3.medium",
        AllocatedStorage=50,
        MasterUsername="billing_admin",
        MasterUserPassword="Not-A-Real-Password-2",
        StorageEncrypted=True,
        KmsKeyId=resources.kms_key_arn,
        PubliclyAccessible=False,
        MultiAZ=True,
        **common_network,
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{env}-legacy-reporting",
        Engine="mysql",
        DBInstanceClass="db.t3.small",
        AllocatedStorage=20,
        MasterUsername="report",
        MasterUserPassword="Not-A-Real-Password-3",
        StorageEncrypted=False,
        PubliclyAccessible=True,
        **common_network,
    )


# --------------------------------------------------------------------------------------------
# DynamoDB
# --------------------------------------------------------------------------------------------


def _seed_dynamodb(
    clients: _AccountClients,
    plan: _AccountPlan,
    region_resources: Mapping[str, _RegionResources],
    scale: int,
) -> None:
    env = plan.name
    dynamodb = clients("dynamodb", HOME_REGION)
    orders = f"{env}-orders"
    _create_table(
        dynamodb, orders, on_demand=True, kms_key_arn=region_resources[HOME_REGION].kms_key_arn
    )
    dynamodb.update_continuous_backups(
        TableName=orders, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    if plan.holds_sample_data:
        # The only item of the organisation: it lets tests prove the product never reads items.
        dynamodb.put_item(
            TableName=orders, Item={"pk": {"S": "order#1"}, "total_cents": {"N": "4200"}}
        )
    _create_table(dynamodb, f"{env}-sessions", on_demand=False)

    for number in range(1, plan.event_tables * scale + 1):
        region = REGIONS[(number - 1) % len(REGIONS)]
        _create_table(
            clients("dynamodb", region),
            f"{env}-events-{number:02d}",
            on_demand=True,
            kms_key_arn=region_resources[region].kms_key_arn if number % 2 == 1 else None,
        )


def _create_table(
    dynamodb: Any, table_name: str, *, on_demand: bool, kms_key_arn: str | None = None
) -> None:
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "Tags": [{"Key": "Table", "Value": table_name}],
    }
    if on_demand:
        arguments["BillingMode"] = "PAY_PER_REQUEST"
    else:
        arguments["BillingMode"] = "PROVISIONED"
        arguments["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if kms_key_arn:
        arguments["SSESpecification"] = {
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": kms_key_arn,
        }
    dynamodb.create_table(**arguments)


# --------------------------------------------------------------------------------------------
# Lambda
# --------------------------------------------------------------------------------------------


def _seed_lambda(
    clients: _AccountClients,
    plan: _AccountPlan,
    region_resources: Mapping[str, _RegionResources],
    scale: int,
    role_arn: str,
) -> str:
    """Create the functions and return the ARN of the one the orders API invokes."""
    env = plan.name
    code = {"ZipFile": _handler_zip()}
    common = {"Runtime": "python3.12", "Role": role_arn, "Handler": "handler.handler", "Code": code}
    awslambda = clients("lambda", HOME_REGION)

    orders_api = f"{env}-orders-api"
    orders_api_arn = awslambda.create_function(
        FunctionName=orders_api,
        Description="Backs the orders REST API",
        Environment={
            "Variables": {"STAGE": env, "DB_PASSWORD": LAMBDA_ENVIRONMENT_SECRET}
        },
        Tags={"Service": "orders"},
        **common,
    )["FunctionArn"]
    awslambda.add_permission(
        FunctionName=orders_api,
        StatementId="apigateway-invoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{HOME_REGION}:{plan.account_id}:*/*/*/items",
    )

    home_resources = region_resources[HOME_REGION]
    awslambda.create_function(
        FunctionName=f"{env}-orders-worker",
        Description="Processes orders inside the VPC",
        Environment={"Variables": {"STAGE": env, "API_TOKEN": LAMBDA_ENVIRONMENT_SECRET}},
        # moto answers this VpcConfig with the placeholder VpcId "vpc-123abc", whatever the subnet.
        VpcConfig={
            "SubnetIds": [home_resources.private_subnet_ids[0]],
            "SecurityGroupIds": [home_resources.app_security_group_id],
        },
        Timeout=60,
        **common,
    )

    for number in range(1, plan.job_functions * scale + 1):
        clients("lambda", REGIONS[(number - 1) % len(REGIONS)]).create_function(
            FunctionName=f"{env}-job-{number:02d}",
            Description="Scheduled batch job",
            Environment={"Variables": {"LOG_LEVEL": "INFO"}},
            **common,
        )
    return orders_api_arn


def _handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "handler.py",
            "def handler(event, context):\n    return {'statusCode': 200, 'body': '[]'}\n",
        )
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# API Gateway
# --------------------------------------------------------------------------------------------


def _seed_api_gateway(clients: _AccountClients, plan: _AccountPlan, function_arn: str) -> None:
    apigateway = clients("apigateway", HOME_REGION)
    env = plan.name
    lambda_uri = (
        f"arn:aws:apigateway:{HOME_REGION}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )

    orders_api = apigateway.create_rest_api(
        name=f"{env}-orders-api",
        description="Orders service",
        endpointConfiguration={"types": ["REGIONAL"]},
    )["id"]
    root = _root_resource_id(apigateway, orders_api)
    items = apigateway.create_resource(restApiId=orders_api, parentId=root, pathPart="items")["id"]
    for method in ("GET", "POST"):
        apigateway.put_method(
            restApiId=orders_api, resourceId=items, httpMethod=method, authorizationType="NONE"
        )
        apigateway.put_integration(
            restApiId=orders_api,
            resourceId=items,
            httpMethod=method,
            type="AWS_PROXY",
            integrationHttpMethod="POST",  # Lambda is always invoked with POST
            uri=lambda_uri,
        )
    health = apigateway.create_resource(restApiId=orders_api, parentId=root, pathPart="health")["id"]
    _mock_get(apigateway, orders_api, health)
    apigateway.create_deployment(restApiId=orders_api, stageName="v1")

    status_page = apigateway.create_rest_api(
        name=f"{env}-status-page",
        description="Static status page",
        endpointConfiguration={"types": ["EDGE"]},
    )["id"]
    _mock_get(apigateway, status_page, _root_resource_id(apigateway, status_page))


def _root_resource_id(apigateway: Any, rest_api_id: str) -> str:
    resources = apigateway.get_resources(restApiId=rest_api_id)["items"]
    return next(resource["id"] for resource in resources if resource["path"] == "/")


def _mock_get(apigateway: Any, rest_api_id: str, resource_id: str) -> None:
    apigateway.put_method(
        restApiId=rest_api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE"
    )
    apigateway.put_integration(
        restApiId=rest_api_id,
        resourceId=resource_id,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------

_REGIONAL_CONFIG_RULES = (
    ("s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED", ["AWS::S3::Bucket"]),
    ("restricted-incoming-traffic", "RESTRICTED_INCOMING_TRAFFIC", ["AWS::EC2::SecurityGroup"]),
    ("encrypted-volumes", "ENCRYPTED_VOLUMES", ["AWS::EC2::Volume"]),
    ("ec2-instance-no-public-ip", "EC2_INSTANCE_NO_PUBLIC_IP", ["AWS::EC2::Instance"]),
)
# IAM and account rules evaluate global resources, so they live in the home region only.
_GLOBAL_CONFIG_RULES = (
    ("iam-user-mfa-enabled", "IAM_USER_MFA_ENABLED", None),
    ("iam-group-has-users-check", "IAM_GROUP_HAS_USERS_CHECK", ["AWS::IAM::Group"]),
    ("iam-role-managed-policy-check", "IAM_ROLE_MANAGED_POLICY_CHECK", ["AWS::IAM::Role"]),
    ("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED", None),
)
# AWS's defaults block 20, 21, 3389, 3306 and 4333; SSH is blocked here too, so that the bastion
# groups (22 from anywhere) fail the rule.
_BLOCKED_PORTS = {"blockedPort1": "20", "blockedPort2": "21", "blockedPort3": "22", "blockedPort4": "3389"}


def _seed_config(
    clients: _AccountClients,
    plan: _AccountPlan,
    region: str,
    role_arn: str,
    bucket: str,
    bucket_regions: Mapping[str, str],
) -> None:
    config = clients("config", region)
    # moto accepts rules without a recorder; real AWS does not, so mirror a real setup.
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": role_arn,
            "recordingGroup": {
                "allSupported": True,
                "includeGlobalResourceTypes": region == HOME_REGION,
            },
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": bucket, "s3KeyPrefix": region}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")

    rules = _REGIONAL_CONFIG_RULES + (_GLOBAL_CONFIG_RULES if region == HOME_REGION else ())
    for rule_name, identifier, resource_types in rules:
        rule: dict[str, Any] = {
            "ConfigRuleName": rule_name,
            "Description": f"AWS managed rule {identifier}",
            "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
        }
        if resource_types:
            rule["Scope"] = {"ComplianceResourceTypes": resource_types}
        else:
            rule["MaximumExecutionFrequency"] = "TwentyFour_Hours"
        parameters: dict[str, str] = {}
        if identifier == "RESTRICTED_INCOMING_TRAFFIC":
            parameters = _BLOCKED_PORTS
        if identifier == "IAM_ROLE_MANAGED_POLICY_CHECK":
            parameters = {
                "managedPolicyArns": f"arn:aws:iam::{plan.account_id}:policy/acme-admin-access"
            }
        if parameters:
            rule["InputParameters"] = json.dumps(parameters)
        config.put_config_rule(ConfigRule=rule)
        scope = _RuleScope(clients, plan.account_id, region, parameters, bucket_regions)
        _report_evaluations(config, rule_name, _RULE_CHECKS[identifier](scope))


# --------------------------------------------------------------------------------------------
# Config compliance: the simulator's stand-in for AWS Config's rule engine
# --------------------------------------------------------------------------------------------
#
# moto 5.2 stores Config rules but never evaluates them: it implements neither
# GetComplianceDetailsByConfigRule nor DescribeComplianceByConfigRule (its server answers HTTP 500,
# which the collector's botocore retries for 20 to 35 seconds per call), and accepts PutEvaluations
# only in test mode. So the simulator plays AWS Config's part itself, for the one read call the
# product makes:
#
# 1. The seeder evaluates each rule it creates on the seeded resources, read back through the API
#    like the managed rule would read the recorded configuration (the _RULE_CHECKS below; each
#    regional rule sees the resources of its region, as Config records them).
# 2. It reports the results as a custom rule's Lambda function does, with PutEvaluations. AWS hands
#    that function an opaque ResultToken naming the rule; here the token is the rule's name.
# 3. The moto server, taught by _teach_moto_config_compliance, keeps the results per rule and
#    answers GetComplianceDetailsByConfigRule from them.
#
# The product knows nothing of this: it calls the real API, as it would on AWS.


@dataclass(frozen=True)
class _Evaluation:
    """One rule's result for one resource, named the way AWS Config names resources."""

    resource_type: str  # e.g. AWS::EC2::Instance
    resource_id: str  # Config's identifier: instance ID, bucket name, IAM unique ID (AIDA...), ...
    compliance_type: str  # COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE
    annotation: str | None = None


@dataclass(frozen=True)
class _RuleScope:
    """What a rule check reads: the account's resources in the rule's region, and its parameters."""

    clients: _AccountClients
    account_id: str
    region: str
    parameters: Mapping[str, str]
    bucket_regions: Mapping[str, str]  # S3 is listed account-wide: the buckets' regions, read once


def _judged(resource_type: str, resource_id: str, problem: str | None) -> _Evaluation:
    """COMPLIANT, or NON_COMPLIANT with the problem as the annotation."""
    if problem:
        return _Evaluation(resource_type, resource_id, "NON_COMPLIANT", problem)
    return _Evaluation(resource_type, resource_id, "COMPLIANT")


def _all_items(client: Any, operation: str, key: str, **parameters: Any) -> list[Any]:
    pages = client.get_paginator(operation).paginate(**parameters)
    return [item for page in pages for item in page.get(key, [])]


def _bucket_regions(s3: Any) -> dict[str, str]:
    return {
        bucket["Name"]: s3.get_bucket_location(Bucket=bucket["Name"])["LocationConstraint"] or "us-east-1"
        for bucket in _all_items(s3, "list_buckets", "Buckets")
    }


def _check_bucket_public_read(scope: _RuleScope) -> list[_Evaluation]:
    """S3_BUCKET_PUBLIC_READ_PROHIBITED: neither the ACL nor the bucket policy lets anyone read.
    (The real rule also weighs Block Public Access, which no public bucket of the estate has.)"""
    s3 = scope.clients("s3")
    evaluations = []
    for name in (name for name, region in scope.bucket_regions.items() if region == scope.region):
        public_grants = [
            grant["Permission"]
            for grant in s3.get_bucket_acl(Bucket=name)["Grants"]
            if grant["Grantee"].get("URI", "").endswith(("/global/AllUsers", "/global/AuthenticatedUsers"))
            and grant["Permission"] in ("READ", "FULL_CONTROL")
        ]
        try:
            public_policy = s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"]
        except s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
            public_policy = False
        problem = (
            "The bucket ACL grants public read access" if public_grants
            else "The bucket policy allows public read access" if public_policy
            else None
        )
        evaluations.append(_judged("AWS::S3::Bucket", name, problem))
    return evaluations


def _check_restricted_incoming_traffic(scope: _RuleScope) -> list[_Evaluation]:
    """RESTRICTED_INCOMING_TRAFFIC: no blocked TCP port is open to 0.0.0.0/0 or ::/0."""
    blocked = sorted(int(port) for name, port in scope.parameters.items() if name.startswith("blockedPort"))
    evaluations = []
    for group in _all_items(scope.clients("ec2", scope.region), "describe_security_groups", "SecurityGroups"):
        open_ports = sorted({
            port
            for permission in group["IpPermissions"]
            if permission["IpProtocol"] in ("tcp", "-1")
            and (
                any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", []))
                or any(r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", []))
            )
            for port in blocked
            if permission["IpProtocol"] == "-1" or permission["FromPort"] <= port <= permission["ToPort"]
        })
        problem = f"TCP port {', '.join(map(str, open_ports))} open to the internet" if open_ports else None
        evaluations.append(_judged("AWS::EC2::SecurityGroup", group["GroupId"], problem))
    return evaluations


def _check_encrypted_volumes(scope: _RuleScope) -> list[_Evaluation]:
    """ENCRYPTED_VOLUMES: attached volumes are encrypted; unattached ones are not applicable."""
    evaluations = []
    for volume in _all_items(scope.clients("ec2", scope.region), "describe_volumes", "Volumes"):
        if not volume["Attachments"]:
            evaluations.append(_Evaluation("AWS::EC2::Volume", volume["VolumeId"], "NOT_APPLICABLE"))
        else:
            problem = None if volume["Encrypted"] else "The attached volume is not encrypted"
            evaluations.append(_judged("AWS::EC2::Volume", volume["VolumeId"], problem))
    return evaluations


def _check_instance_no_public_ip(scope: _RuleScope) -> list[_Evaluation]:
    """EC2_INSTANCE_NO_PUBLIC_IP: the instance has no public IPv4 address."""
    reservations = _all_items(scope.clients("ec2", scope.region), "describe_instances", "Reservations")
    return [
        _judged(
            "AWS::EC2::Instance",
            instance["InstanceId"],
            f"The instance has the public IP address {instance['PublicIpAddress']}"
            if instance.get("PublicIpAddress") else None,
        )
        for reservation in reservations
        for instance in reservation["Instances"]
    ]


def _check_user_mfa(scope: _RuleScope) -> list[_Evaluation]:
    """IAM_USER_MFA_ENABLED: the user has an MFA device."""
    iam = scope.clients("iam")
    return [
        _judged(
            "AWS::IAM::User",
            user["UserId"],
            None if iam.list_mfa_devices(UserName=user["UserName"])["MFADevices"] else "MFA is not enabled",
        )
        for user in _all_items(iam, "list_users", "Users")
    ]


def _check_group_has_users(scope: _RuleScope) -> list[_Evaluation]:
    """IAM_GROUP_HAS_USERS_CHECK: the group has at least one member."""
    iam = scope.clients("iam")
    return [
        _judged(
            "AWS::IAM::Group",
            group["GroupId"],
            None if iam.get_group(GroupName=group["GroupName"])["Users"] else "The group has no users",
        )
        for group in _all_items(iam, "list_groups", "Groups")
    ]


def _check_role_managed_policies(scope: _RuleScope) -> list[_Evaluation]:
    """IAM_ROLE_MANAGED_POLICY_CHECK: every policy of `managedPolicyArns` is attached to the role."""
    iam = scope.clients("iam")
    required = scope.parameters["managedPolicyArns"].split(",")
    evaluations = []
    for role in _all_items(iam, "list_roles", "Roles"):
        attached = {
            policy["PolicyArn"]
            for policy in _all_items(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role["RoleName"]
            )
        }
        missing = [arn for arn in required if arn not in attached]
        problem = f"Not attached: {', '.join(missing)}" if missing else None
        evaluations.append(_judged("AWS::IAM::Role", role["RoleId"], problem))
    return evaluations


def _check_root_mfa(scope: _RuleScope) -> list[_Evaluation]:
    """ROOT_ACCOUNT_MFA_ENABLED: the account's root user has MFA."""
    summary = scope.clients("iam").get_account_summary()["SummaryMap"]
    problem = None if summary.get("AccountMFAEnabled") else "The root user has no MFA device"
    return [_judged("AWS::::Account", scope.account_id, problem)]


_RULE_CHECKS = {
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": _check_bucket_public_read,
    "RESTRICTED_INCOMING_TRAFFIC": _check_restricted_incoming_traffic,
    "ENCRYPTED_VOLUMES": _check_encrypted_volumes,
    "EC2_INSTANCE_NO_PUBLIC_IP": _check_instance_no_public_ip,
    "IAM_USER_MFA_ENABLED": _check_user_mfa,
    "IAM_GROUP_HAS_USERS_CHECK": _check_group_has_users,
    "IAM_ROLE_MANAGED_POLICY_CHECK": _check_role_managed_policies,
    "ROOT_ACCOUNT_MFA_ENABLED": _check_root_mfa,
}
_PUT_EVALUATIONS_LIMIT = 100  # evaluations per PutEvaluations call, in AWS as here


def _report_evaluations(config: Any, rule_name: str, evaluations: list[_Evaluation]) -> None:
    evaluated_at = datetime.now(UTC)
    for start in range(0, len(evaluations), _PUT_EVALUATIONS_LIMIT):
        config.put_evaluations(
            ResultToken=rule_name,  # see step 2 above
            Evaluations=[
                {
                    "ComplianceResourceType": evaluation.resource_type,
                    "ComplianceResourceId": evaluation.resource_id,
                    "ComplianceType": evaluation.compliance_type,
                    "OrderingTimestamp": evaluated_at,
                    **({"Annotation": evaluation.annotation} if evaluation.annotation else {}),
                }
                for evaluation in evaluations[start : start + _PUT_EVALUATIONS_LIMIT]
            ],
        )


# Reported results by rule ARN, then by (resource type, resource ID): a later result for a resource
# replaces the earlier one, as in AWS Config. The ARN names the account, region and rule; a rule
# created again (after a moto reset) gets a new ARN, so results never outlive their rule.
_CONFIG_RESULTS: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
_CONFIG_RESULTS_LOCK = threading.Lock()  # the server answers each request on its own thread
_DEFAULT_EVALUATION_PAGE = 10  # AWS's page size when GetComplianceDetailsByConfigRule has no Limit


def _teach_moto_config_compliance() -> None:
    """Add the calls of steps 2 and 3 to moto's Config service, which dispatches an action to the
    ConfigResponse method of its snake_case name. Idempotent."""
    from moto.config.responses import ConfigResponse

    if getattr(ConfigResponse, "get_compliance_details_by_config_rule", None) is _get_compliance_details:
        return
    moto_put_evaluations = ConfigResponse.put_evaluations

    def put_evaluations(response: ConfigResponse) -> str:
        # moto's own implementation keeps serving test mode, which validates without storing.
        if response._get_param("TestMode"):
            return moto_put_evaluations(response)
        return _put_evaluations(response)

    ConfigResponse.put_evaluations = put_evaluations
    ConfigResponse.get_compliance_details_by_config_rule = _get_compliance_details


def _put_evaluations(response: Any) -> str:
    from moto.config.exceptions import InvalidResultTokenException

    rule = response.config_backend.config_rules.get(response._get_param("ResultToken"))
    if rule is None:
        raise InvalidResultTokenException()
    recorded_at = time.time()  # the JSON protocol's timestamps are epoch seconds
    with _CONFIG_RESULTS_LOCK:
        results = _CONFIG_RESULTS.setdefault(rule.config_rule_arn, {})
        for evaluation in response._get_param("Evaluations") or []:
            resource = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
            results[resource] = {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule.config_rule_name,
                        "ResourceType": resource[0],
                        "ResourceId": resource[1],
                        "EvaluationMode": "DETECTIVE",
                    },
                    "OrderingTimestamp": evaluation["OrderingTimestamp"],
                },
                "ComplianceType": evaluation["ComplianceType"],
                "ResultRecordedTime": recorded_at,
                "ConfigRuleInvokedTime": evaluation["OrderingTimestamp"],
                **({"Annotation": evaluation["Annotation"]} if evaluation.get("Annotation") else {}),
            }
    return json.dumps({"FailedEvaluations": []})


def _get_compliance_details(response: Any) -> str:
    """GetComplianceDetailsByConfigRule: the rule's results, filtered by ComplianceTypes (all when
    none is given) and paged with Limit and NextToken (here an offset)."""
    from moto.config.exceptions import NoSuchConfigRuleException

    name = response._get_param("ConfigRuleName")
    rule = response.config_backend.config_rules.get(name)
    if rule is None:
        raise NoSuchConfigRuleException(name)
    wanted = set(response._get_param("ComplianceTypes") or ())
    with _CONFIG_RESULTS_LOCK:
        stored = _CONFIG_RESULTS.get(rule.config_rule_arn, {})
        results = [stored[resource] for resource in sorted(stored)]
    results = [result for result in results if not wanted or result["ComplianceType"] in wanted]
    limit = response._get_param("Limit") or _DEFAULT_EVALUATION_PAGE
    start = int(response._get_param("NextToken") or 0)
    page: dict[str, Any] = {"EvaluationResults": results[start : start + limit]}
    if start + limit < len(results):
        page["NextToken"] = str(start + limit)
    return json.dumps(page)


# --------------------------------------------------------------------------------------------
# Small document builders
# --------------------------------------------------------------------------------------------


def _role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def _statement(
    action: str | list[str],
    resource: str | list[str],
    *,
    effect: str = "Allow",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(
    principal: dict[str, Any],
    *,
    action: str = "sts:AssumeRole",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _name_tags(resource_type: str, name: str, **more: str) -> dict[str, Any]:
    tags = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in more.items()]
    return {"ResourceType": resource_type, "Tags": tags}


def _tcp(port: int, **sources: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **sources}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aws_assets.sim.organisation",
        description="Run a moto server holding the simulated AWS organisation.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start, seed and keep serving until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    serve.add_argument("--instances-file", required=True, type=Path,
                       help="where to write the integration instances JSON")
    serve.add_argument("--pid-file", type=Path, help="write this process id here while serving")
    serve.add_argument("--scale", type=int, default=1, help="multiplier of the bulk resources")
    arguments = parser.parse_args(argv)
    return _serve(arguments.port, arguments.instances_file, arguments.pid_file, arguments.scale)


def _serve(port: int, instances_file: Path, pid_file: Path | None, scale: int) -> int:
    stop_requested = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop_requested.set())

    server, endpoint_url = start_moto_server(port)
    try:
        organisation = seed(endpoint_url, scale=scale)
        organisation.write_instances_file(instances_file)
        if pid_file is not None:
            pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
        print(endpoint_url, flush=True)
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop_requested.wait(timeout=1.0):
            pass
    finally:
        server.stop()
        if pid_file is not None:
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

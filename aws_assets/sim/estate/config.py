"""Config: a recording recorder (every supported type; global resources in us-east-1 only) and a delivery channel
(to the ``acme-<env>-access-logs`` bucket) per region where Config is on (everywhere but dev ap-southeast-2), with
AWS managed rules that have evaluated the seeded resources.

The regional rules ``s3-bucket-public-read-prohibited``, ``restricted-incoming-traffic``, ``encrypted-volumes`` and
``ec2-instance-no-public-ip`` are in every region where Config is on, and in the home region also the global rules
``iam-user-mfa-enabled``, ``iam-group-has-users-check``, ``iam-role-managed-policy-check`` and
``root-account-mfa-enabled``. ``restricted-incoming-traffic`` blocks TCP 20, 21, 22 and 3389 from the internet;
``iam-role-managed-policy-check`` requires ``acme-admin-access`` (so only ``admin-escalation`` complies). Each rule
has evaluated the seeded resources of its region (the global rules: IAM and the account) and answers
GetComplianceDetailsByConfigRule, which moto cannot on its own (see :mod:`aws_assets.sim.teach_moto`):
NON_COMPLIANT are the website bucket (public policy) and the public-downloads bucket (public ACL), the
``<env>-bastion-ssh`` groups, attached unencrypted volumes (the bastions' and webs' roots, the bastions' home
volumes; unattached ones are NOT_APPLICABLE), instances with a public IP (bastions, webs), users without MFA,
groups without users (shared's ``auditors``), roles without ``acme-admin-access`` and every account's root user
(moto reports no root MFA).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_assets.sim.accounts import DEV, HOME_REGION, REGIONS
from aws_assets.sim.config_rule_engine import RULE_CHECKS, RuleScope, bucket_regions, report_evaluations
from aws_assets.sim.estate import ec2, iam, s3
from aws_assets.sim.seeder import AccountContext, Seeder

REGIONS_WITHOUT_CONFIG = {(DEV, "ap-southeast-2")}

# (rule name, AWS managed rule identifier, the resource types it evaluates on change; None: it runs periodically)
_REGIONAL_RULES = (
    ("s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED", ["AWS::S3::Bucket"]),
    ("restricted-incoming-traffic", "RESTRICTED_INCOMING_TRAFFIC", ["AWS::EC2::SecurityGroup"]),
    ("encrypted-volumes", "ENCRYPTED_VOLUMES", ["AWS::EC2::Volume"]),
    ("ec2-instance-no-public-ip", "EC2_INSTANCE_NO_PUBLIC_IP", ["AWS::EC2::Instance"]),
)
# IAM and account rules evaluate global resources, so they live in the home region only.
_GLOBAL_RULES = (
    ("iam-user-mfa-enabled", "IAM_USER_MFA_ENABLED", None),
    ("iam-group-has-users-check", "IAM_GROUP_HAS_USERS_CHECK", ["AWS::IAM::Group"]),
    ("iam-role-managed-policy-check", "IAM_ROLE_MANAGED_POLICY_CHECK", ["AWS::IAM::Role"]),
    ("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED", None),
)
# AWS's defaults block 20, 21, 3389, 3306 and 4333; SSH is blocked here too, so that the bastion
# groups (22 from anywhere) fail the rule.
_BLOCKED_PORTS = {"blockedPort1": "20", "blockedPort2": "21", "blockedPort3": "22", "blockedPort4": "3389"}


def _config_regions(account_id: str) -> list[str]:
    return [region for region in REGIONS if (account_id, region) not in REGIONS_WITHOUT_CONFIG]


def _rules(region: str) -> tuple[tuple[str, str, list[str] | None], ...]:
    return _REGIONAL_RULES + (_GLOBAL_RULES if region == HOME_REGION else ())


def _seed(account: AccountContext) -> None:
    regions = _config_regions(account.account_id)
    if regions:
        buckets = bucket_regions(account.clients("s3"))  # S3 lists buckets account-wide: read them once
        for region in regions:
            _seed_region(account, region, buckets)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_config": 1,  # aws-assets models each service of an account as one entity
        "aws_config_rule": sum(len(_rules(region)) for region in _config_regions(account_id)),
        "aws_config_recorder": len(REGIONS),  # a region without a recorder is a row too
        "aws_config_delivery_channel": len(_config_regions(account_id)),
    }


# The rules evaluate the resources of IAM, S3 and EC2, so those are seeded first.
SEEDER = Seeder(seed=_seed, counts=_counts, after=(iam.SEEDER, s3.SEEDER, ec2.SEEDER))


def _seed_region(account: AccountContext, region: str, buckets: Mapping[str, str]) -> None:
    config = account.clients("config", region)
    # moto accepts rules without a recorder; real AWS does not, so mirror a real setup.
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": account[iam.CONFIG_ROLE_ARN],
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": region == HOME_REGION},
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": account[s3.ACCESS_LOG_BUCKET], "s3KeyPrefix": region}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")

    for rule_name, identifier, resource_types in _rules(region):
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
            parameters = {"managedPolicyArns": f"arn:aws:iam::{account.account_id}:policy/acme-admin-access"}
        if parameters:
            rule["InputParameters"] = json.dumps(parameters)
        config.put_config_rule(ConfigRule=rule)
        scope = RuleScope(account.clients, account.account_id, region, parameters, buckets)
        report_evaluations(config, rule_name, RULE_CHECKS[identifier](scope))

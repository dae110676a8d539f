"""Seconds and peak memory of the `findings` and `compliance` assets' computation over a generated lake of many
accounts (200 by default, 4 regions each), as the assets run it: the tables the rules read loaded through the lake
snapshot, every rule evaluated, the findings table written; then compliance read from the findings and the rules'
subject tables for both CIS frameworks, and its table written.

Each account of the estate holds what a real account of a mid-sized organisation does, in shares that make every
rule fire somewhere and hold elsewhere: 30 IAM users (console users, keys of every age, some with policies of their
own), 120 roles (service roles with and without `aws:SourceAccount`, cross-account and vendor roles), 40 customer
managed policies (admin, admin under MFA, kms:*, scoped) and inline policies, the root user and password policy
(every fourth account weak), 30 S3 buckets (a TLS-only policy on half), and per region 25 EC2 instances (a third
IMDSv1), 12 security groups (the VPCs' default groups, SSH open on some), 6 subnets, 10 volumes, 5 RDS instances,
5 DynamoDB tables, 10 Lambda functions (secret-named variables, deprecated runtimes), 3 REST APIs, 5 KMS keys, and
the logging and detection settings: the Config recorder, GuardDuty, Security Hub and EBS default encryption, 2 VPCs
(flow logs on one), 3 network ACLs and 6 RDS snapshots; in the first region a trail (multi-region in two accounts of
three), with the 15 CIS metric filters on its log group, alarms on all but one notifying a subscribed topic in two
accounts of three. The `resource_access` table (its own asset's computation) is left empty.

On this project's 2-core machine (load average about 5, shared), 200 accounts x 4 regions (127,000 rows): 74,268
findings and 51,200 control statuses; the first run (the snapshot cache filled) findings 6.6 s and compliance
1.8 s, later runs 2.5 s and 1.9 s; 651 MiB peak RSS.

    .venv/bin/python benchmarks/findings.py [--accounts 200] [--regions 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from memory import peak_rss_mib  # noqa: E402 - beside this file

from aws_assets.analysis.cis import FRAMEWORKS
from aws_assets.analysis.compliance import COMPLIANCE_TABLE, compliance_table
from aws_assets.analysis.findings import FINDINGS_TABLE, RULES, count_by_severity, evaluate, findings_table, tables_read
from aws_assets.analysis.rules.monitoring import MONITORING_CONTROLS
from aws_assets.defs.assets.findings import read_tables
from aws_assets.graph.compliance import compliance_reads, lake_compliance
from aws_assets.graph.tables import load_tables
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.storage import Lake
from aws_assets.services.catalog import ENTITY_TYPES

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
SUPPORT = "arn:aws:iam::aws:policy/AWSSupportAccess"


def account_id(index: int) -> str:
    return f"{410_000_000_000 + 7919 * index:012d}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def iam_rows(account: str, n: int) -> dict[str, list[dict[str, Any]]]:
    arn = f"arn:aws:iam::{account}"
    policies = []
    for p in range(40):
        statement = (
            {"Effect": "Allow", "Action": "*", "Resource": "*"} if p == 0 else
            {"Effect": "Allow", "Action": "*", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}} if p == 1 else
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"} if p == 2 else
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::data-{p}/*"})
        policies.append({"_key": f"{arn}:policy/p{p}", "name": f"p{p}", "arn": f"{arn}:policy/p{p}",
                         "policyName": f"p{p}", "document": doc(statement), "awsManaged": False,
                         "attachmentCount": 0 if p % 7 == 6 else 2})
    users, keys = [], []
    for u in range(30):
        created = NOW - (400 if u % 3 else 20) * DAY
        users.append({"_key": f"{arn}:user/u{u}", "name": f"u{u}", "username": f"u{u}", "createdOn": created,
                      "passwordEnabled": u % 2 == 0, "mfaEnabled": u % 4 != 0, "passwordLastUsed": NOW - u * 3 * DAY,
                      "activeAccessKeyCount": 2 if u % 10 == 0 else 1, "accessKeyCount": 2,
                      "attachedPolicyArns": [f"{arn}:policy/p{u % 40}"] if u % 5 == 0 else [],
                      "inlinePolicyNames": []})
        for k in range(2):
            keys.append({"_key": f"AKIA{n:04d}{u:03d}{k}", "name": f"AKIA{n:04d}{u:03d}{k}",
                         "accessKeyId": f"AKIA{n:04d}{u:03d}{k}", "userName": f"u{u}", "userArn": f"{arn}:user/u{u}",
                         "active": k == 0 or u % 10 == 0, "createdOn": created + timedelta(seconds=5 + k * 86400),
                         "lastUsedDate": None if u % 6 == 0 else NOW - (u * 5) * DAY})
    roles = []
    for r in range(120):
        if r % 3 == 0:
            trust = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        elif r % 3 == 1:
            trust = {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"aws:SourceAccount": account}}}
        else:
            trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id(n + 1)}:root"},
                     "Action": "sts:AssumeRole"}
        roles.append({"_key": f"{arn}:role/r{r}", "name": f"r{r}", "roleName": f"r{r}", "path": "/",
                      "serviceLinked": False, "trustPolicy": doc(trust),
                      "attachedPolicyArns": [f"{arn}:policy/p{r % 40}",
                                             *([SUPPORT] if r == 5 and n % 2 else [])]})
    inline = [{"_key": f"{arn}:role/r{r}|inline", "name": "inline", "policyName": "inline",
               "roleName": f"r{r}", "roleArn": f"{arn}:role/r{r}",
               "document": doc({"Effect": "Allow", "Action": "cloudtrail:*" if r == 0 else "sqs:SendMessage",
                                "Resource": "*"})} for r in range(30)]
    weak = n % 4 == 0
    return {
        "aws_account": [{"_key": f"{arn}:root", "name": account, "rootMfaEnabled": n % 10 != 0,
                         "rootAccessKeysPresent": n % 25 == 0, "passwordPolicyPresent": True,
                         "passwordMinimumLength": 8 if weak else 14, "passwordReusePrevention": 5 if weak else 24,
                         "passwordRequireSymbols": True, "passwordRequireNumbers": True,
                         "passwordRequireUppercase": True, "passwordRequireLowercase": True,
                         "passwordMaxAgeDays": 90}],
        "aws_iam_user": users, "aws_iam_access_key": keys, "aws_iam_role": roles, "aws_iam_policy": policies,
        "aws_iam_role_policy": inline,
        "aws_s3_bucket": [{
            "_key": f"arn:aws:s3:::b-{account}-{b}", "name": f"b-{account}-{b}", "bucketName": f"b-{account}-{b}",
            "region": REGIONS[b % len(REGIONS)], "blockPublicAcls": b % 5 != 0, "ignorePublicAcls": True,
            "blockPublicPolicy": True, "restrictPublicBuckets": True, "accountBlockPublicAccess": n % 2 == 0,
            "public": False, "policyPublic": False, "aclPublic": False, "aclGrants": "[]",
            "policy": doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}) if b % 2 else None,
            "versioningStatus": "Enabled" if b % 3 else "Disabled", "mfaDelete": False, "loggingEnabled": b % 4 != 0,
            "objectOwnership": "BucketOwnerEnforced" if b % 2 else "ObjectWriter", "collectionErrors": [],
        } for b in range(30)],
    }


def regional_rows(account: str, region: str) -> dict[str, list[dict[str, Any]]]:
    base = f"arn:aws:ec2:{region}:{account}"
    groups = []
    for g in range(12):
        open_ssh = g % 6 == 1
        groups.append({
            "_key": f"{base}:security-group/sg-{g}", "name": f"sg-{g}", "groupId": f"sg-{g}", "groupName": f"g{g}",
            "vpcId": f"vpc-{g % 2}", "isDefault": g < 2,
            "ingressRules": [{"ipProtocol": "tcp", "fromPort": 22 if open_ssh else 443,
                              "toPort": 22 if open_ssh else 443, "cidrIpv4": "0.0.0.0/0"}],
            "egressRules": [{"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}] if g != 0 else [],
        })
    return {
        "aws_instance": [{"_key": f"{base}:instance/i-{i}", "name": f"i-{i}", "instanceId": f"i-{i}",
                          "state": "running", "metadataHttpTokens": "optional" if i % 3 == 0 else "required",
                          "metadataHttpEndpoint": "enabled", "publicIpAddress": "203.0.113.1" if i % 5 == 0 else None,
                          "instanceProfileArn": None if i % 4 == 0 else f"arn:aws:iam::{account}:instance-profile/a",
                          "securityGroupIds": [f"sg-{i % 12}"]} for i in range(25)],
        "aws_security_group": groups,
        "aws_subnet": [{"_key": f"{base}:subnet/s-{s}", "name": f"s-{s}", "subnetId": f"s-{s}", "vpcId": "vpc-0",
                        "mapPublicIpOnLaunch": s < 2, "defaultForAz": s < 2} for s in range(6)],
        "aws_ebs_volume": [{"_key": f"{base}:volume/v-{v}", "name": f"v-{v}", "volumeId": f"v-{v}",
                            "encrypted": v % 4 != 0, "state": "in-use", "size": 8, "attachedInstanceIds": []}
                           for v in range(10)],
        "aws_db_instance": [{"_key": f"arn:aws:rds:{region}:{account}:db:d{d}", "name": f"d{d}",
                             "dbInstanceIdentifier": f"d{d}", "engine": "postgres", "encrypted": d != 0,
                             "publiclyAccessible": d == 1, "deletionProtection": d != 2, "multiAz": d != 3,
                             "iamDatabaseAuthenticationEnabled": d != 4, "autoMinorVersionUpgrade": True,
                             "vpcSecurityGroupIds": ["sg-3"]} for d in range(5)],
        "aws_dynamodb_table": [{"_key": f"arn:aws:dynamodb:{region}:{account}:table/t{t}", "name": f"t{t}",
                                "tableName": f"t{t}", "encrypted": True, "sseType": "AES256",
                                "pointInTimeRecoveryEnabled": t % 2 == 0} for t in range(5)],
        "aws_lambda_function": [{"_key": f"arn:aws:lambda:{region}:{account}:function:f{f}", "name": f"f{f}",
                                 "functionName": f"f{f}", "runtime": "python3.8" if f == 0 else "python3.13",
                                 "environmentVariableNames": ["TABLE_NAME", *(["DB_PASSWORD"] if f == 1 else [])]}
                                for f in range(10)],
        "aws_api_gateway_rest_api": [{
            "_key": f"arn:aws:apigateway:{region}::/restapis/a{a}", "name": f"a{a}", "restApiId": f"a{a}",
            "public": a != 2, "endpointTypes": ["REGIONAL"],
            "integrations": [{"resourcePath": "/", "httpMethod": "GET",
                              "authorizationType": "NONE" if a == 0 else "AWS_IAM", "apiKeyRequired": False}],
        } for a in range(3)],
        "aws_kms_key": [{"_key": f"arn:aws:kms:{region}:{account}:key/k{k}", "name": f"k{k}", "keyId": f"k{k}",
                         "keyManager": "CUSTOMER", "keySpec": "SYMMETRIC_DEFAULT", "keyState": "Enabled",
                         "rotationEnabled": k != 0, "aliases": []} for k in range(5)],
    }


def acl_entry(number: int, action: str, ports: tuple[int, int] | None) -> dict[str, Any]:
    return {"ruleNumber": number, "egress": False, "ruleAction": action, "protocol": "6" if ports else "-1",
            "cidrIpv4": "0.0.0.0/0", "fromPort": ports[0] if ports else None, "toPort": ports[1] if ports else None}


def logging_rows(account: str, region: str, n: int, home: bool) -> dict[str, list[dict[str, Any]]]:
    """The region's logging and detection settings; in the home region the trail and its monitoring chain."""
    base = f"arn:aws:ec2:{region}:{account}"
    on = n % 3 != 0
    rows: dict[str, list[dict[str, Any]]] = {
        "aws_config_recorder": [{"_key": f"arn:aws:config:{region}:{account}:recorder/default", "name": "default",
                                 "present": on, "recording": on, "lastStatus": "SUCCESS", "allSupported": on,
                                 "includeGlobalResourceTypes": home, "recordingStrategy": None}],
        "aws_config_delivery_channel": [{"_key": f"arn:aws:config:{region}:{account}:channel/default",
                                         "name": "default"}] if on else [],
        "aws_guardduty_detector": [{"_key": f"arn:aws:guardduty:{region}:{account}:detector/d", "name": "d",
                                    "enabled": on}],
        "aws_securityhub_hub": [{"_key": f"arn:aws:securityhub:{region}:{account}:hub/default", "name": "default",
                                 "enabled": n % 2 == 0}],
        "aws_ec2_regional_settings": [{"_key": f"{base}:settings", "name": region, "ebsEncryptionByDefault": on}],
        "aws_vpc": [{"_key": f"{base}:vpc/vpc-{v}", "name": f"vpc-{v}", "vpcId": f"vpc-{v}", "ownerId": account,
                     "isDefault": v == 0} for v in range(2)],
        "aws_vpc_flow_log": [{"_key": f"{base}:vpc-flow-log/fl-1", "name": "fl-1", "resourceId": "vpc-1",
                              "resourceType": "VPC", "flowLogStatus": "ACTIVE"}],
        "aws_network_acl": [{"_key": f"{base}:network-acl/acl-{a}", "name": f"acl-{a}", "networkAclId": f"acl-{a}",
                             "vpcId": f"vpc-{a % 2}", "ownerId": account, "isDefault": a < 2, "subnetIds": [],
                             "ingressEntries": [acl_entry(100, "allow", None if a == 0 else (443, 443)),
                                                acl_entry(110, "allow", (22, 22) if a == 1 else (80, 80)),
                                                acl_entry(32767, "deny", None)]} for a in range(3)],
        "aws_db_snapshot": [{"_key": f"arn:aws:rds:{region}:{account}:snapshot:s{s}", "name": f"s{s}",
                             "snapshotIdentifier": f"s{s}", "sourceIdentifier": f"d{s % 5}",
                             "snapshotType": "automated" if s < 4 else "manual", "encrypted": s != 4,
                             "public": s == 5 and n % 10 == 0, "sharedWithAccounts": [account_id(n + 1)] if s == 5
                             else []} for s in range(6)],
    }
    if not home:
        return rows
    group = f"arn:aws:logs:{region}:{account}:log-group:trail"
    topic = f"arn:aws:sns:{region}:{account}:alerts"
    rows["aws_cloudtrail"] = [{
        "_key": f"arn:aws:cloudtrail:{region}:{account}:trail/audit", "name": "audit", "trailName": "audit",
        "homeRegion": region, "isMultiRegionTrail": on, "isOrganizationTrail": False, "isLogging": True,
        "logFileValidationEnabled": on, "kmsKeyId": f"arn:aws:kms:{region}:{account}:key/k1" if on else None,
        "s3BucketName": f"b-{account}-0", "cloudWatchLogsLogGroupArn": f"{group}:*", "managementReadEvents": True,
        "managementWriteEvents": True, "allS3ObjectReadEvents": on, "allS3ObjectWriteEvents": on}]
    patterns = [pattern for control in MONITORING_CONTROLS for pattern in control.patterns[:1]]
    rows["aws_cloudwatch_log_metric_filter"] = [{
        "_key": f"{group}:metric-filter:m{m}", "name": f"m{m}", "filterName": f"m{m}", "logGroupArn": group,
        "filterPattern": pattern,
        "metricTransformations": [{"metricName": f"m{m}", "metricNamespace": "CIS", "metricValue": "1"}],
    } for m, pattern in enumerate(patterns)]
    rows["aws_cloudwatch_metric_alarm"] = [{
        "_key": f"arn:aws:cloudwatch:{region}:{account}:alarm:m{m}", "name": f"m{m}", "alarmName": f"m{m}",
        "watchedMetrics": [{"metricName": f"m{m}", "namespace": "CIS"}], "actionsEnabled": True,
        "alarmActions": [topic]} for m in range(len(patterns) - 1)]
    rows["aws_sns_topic"] = [{"_key": topic, "name": "alerts", "subscriptionsConfirmed": 1 if on else 0}]
    return rows


def write_estate(lake: Lake, accounts: int, regions: int) -> int:
    rows = 0
    for n in range(accounts):
        account = account_id(n)
        for table, table_rows in iam_rows(account, n).items():
            lake.write_partition(table, account, None, ENTITY_TYPES[table].to_table(table_rows, account, "global"))
            rows += len(table_rows)
        for region in REGIONS[:regions]:
            tables = {**regional_rows(account, region), **logging_rows(account, region, n, region == REGIONS[0])}
            for table, table_rows in tables.items():
                lake.write_partition(table, account, region, ENTITY_TYPES[table].to_table(table_rows, account, region))
                rows += len(table_rows)
    return rows


def time_findings(lake: Lake, snapshot: LakeSnapshot) -> tuple[float, list]:
    """What the findings asset computes: the rules' columns loaded, every rule, the table written."""
    started = time.monotonic()
    reads = tables_read()
    found = evaluate(read_tables(load_tables(snapshot, reads), reads), NOW)
    lake.write_table(FINDINGS_TABLE, findings_table(found, NOW))
    return time.monotonic() - started, found


def time_compliance(lake: Lake, snapshot: LakeSnapshot) -> tuple[float, list]:
    """What the compliance asset computes: both frameworks from the findings and the subject tables, written."""
    started = time.monotonic()
    con = load_tables(snapshot, compliance_reads(RULES))
    statuses = lake_compliance(con, RULES, FRAMEWORKS)
    lake.write_table(COMPLIANCE_TABLE, compliance_table(statuses))
    return time.monotonic() - started, statuses


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--accounts", type=int, default=200)
    arguments.add_argument("--regions", type=int, default=4, choices=range(1, len(REGIONS) + 1))
    options = arguments.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(f"{folder}/lake")
        started = time.monotonic()
        rows = write_estate(lake, options.accounts, options.regions)
        print(f"estate: {options.accounts} accounts x {options.regions} regions, {rows:,} rows written in "
              f"{time.monotonic() - started:.1f} s")
        snapshot = LakeSnapshot(lake, f"{folder}/cache")

        for run in ("cold", "warm"):  # the first run fills the snapshot cache; every later run reads it
            findings_seconds, found = time_findings(lake, snapshot)
            compliance_seconds, statuses = time_compliance(lake, snapshot)
            print(f"{run} snapshot: findings {findings_seconds:.1f} s, compliance {compliance_seconds:.1f} s, "
                  f"together {findings_seconds + compliance_seconds:.1f} s")
        by_rule: dict[str, int] = defaultdict(int)
        for finding in found:
            by_rule[finding.rule_id] += 1
        silent = [rule.id for rule in RULES if not by_rule[rule.id]]
        print(f"{len(found):,} findings from {len(RULES)} rules ({count_by_severity(found)}); rules that found "
              f"nothing in this estate: {', '.join(silent) or 'none'}; {len(statuses):,} control statuses")
        print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()

"""CloudWatch Logs: the log groups the trails and flow logs write to, and the CIS metric filters.

prod: in us-east-1 the group ``aws-cloudtrail-logs-prod-audit`` (the ``prod-audit`` trail's; 365 days, encrypted
with ``alias/prod-data``) with one metric filter per CIS monitoring control (``CIS_FILTERS``, metrics in the
``CISBenchmark`` namespace), and in every region ``prod-vpc-flow-logs`` (90 days), the VPC flow logs' group. dev: in
us-east-1 ``dev-app-logs`` (never expires, no trail writes to it) with a root-usage filter: a filter on a group no
trail feeds, which watches nothing CloudTrail records. shared: none.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import DEV, HOME_REGION, PROD, REGIONS
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Seeder

CIS_NAMESPACE = "CISBenchmark"


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName={name})" for name in names)


# The CIS AWS Foundations Benchmark's filter patterns (v4.0, section 4), by the metric each filter publishes.
CIS_FILTERS: Mapping[str, str] = {
    "UnauthorizedAPICalls": '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    "ConsoleSigninWithoutMFA": '{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes")}',
    "RootAccountUsage": '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
                        '$.eventType !="AwsServiceEvent"}',
    "IAMPolicyChanges": "{" + _any_event(
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy") + "}",
    "CloudTrailConfigChanges": "{" + _any_event(
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging") + "}",
    "ConsoleAuthenticationFailures": '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    "DisableOrDeleteCMK": "{($.eventSource=kms.amazonaws.com) && (" + _any_event(
        "DisableKey", "ScheduleKeyDeletion") + ")}",
    "S3BucketPolicyChanges": "{($.eventSource=s3.amazonaws.com) && (" + _any_event(
        "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
        "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication") + ")}",
    "AWSConfigChanges": "{($.eventSource=config.amazonaws.com) && (" + _any_event(
        "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
        "PutConfigurationRecorder") + ")}",
    "SecurityGroupChanges": "{" + _any_event(
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup") + "}",
    "NACLChanges": "{" + _any_event(
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation") + "}",
    "NetworkGatewayChanges": "{" + _any_event(
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway") + "}",
    "RouteTableChanges": "{($.eventSource=ec2.amazonaws.com) && (" + _any_event(
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable") + ")}",
    "VPCChanges": "{" + _any_event(
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink") + "}",
    "OrganizationsChanges": "{($.eventSource=organizations.amazonaws.com) && (" + _any_event(
        "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
        "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
        "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
        "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit") + ")}",
}
_DEV_NEAR_MISS_GROUP = "dev-app-logs"


def trail_log_group(env: str) -> str:
    return f"aws-cloudtrail-logs-{env}-audit"


def flow_log_group(env: str) -> str:
    return f"{env}-vpc-flow-logs"


def _seed(account: AccountContext) -> None:
    if account.account_id == PROD:
        logs = account.clients("logs", HOME_REGION)
        group = trail_log_group(account.name)
        logs.create_log_group(logGroupName=group, kmsKeyId=account[kms.DATA_KEY_ARNS][HOME_REGION])
        logs.put_retention_policy(logGroupName=group, retentionInDays=365)
        for metric, pattern in CIS_FILTERS.items():
            logs.put_metric_filter(logGroupName=group, filterName=metric, filterPattern=pattern,
                                   metricTransformations=[{"metricName": metric, "metricNamespace": CIS_NAMESPACE,
                                                           "metricValue": "1"}])
        for region in REGIONS:
            regional = account.clients("logs", region)
            regional.create_log_group(logGroupName=flow_log_group(account.name))
            regional.put_retention_policy(logGroupName=flow_log_group(account.name), retentionInDays=90)
    if account.account_id == DEV:
        logs = account.clients("logs", HOME_REGION)
        logs.create_log_group(logGroupName=_DEV_NEAR_MISS_GROUP)
        logs.put_metric_filter(logGroupName=_DEV_NEAR_MISS_GROUP, filterName="RootAccountUsage",
                               filterPattern=CIS_FILTERS["RootAccountUsage"],
                               metricTransformations=[{"metricName": "RootAccountUsage",
                                                       "metricNamespace": CIS_NAMESPACE, "metricValue": "1"}])


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    groups = {PROD: 1 + len(REGIONS), DEV: 1}.get(account_id, 0)
    filters = {PROD: len(CIS_FILTERS), DEV: 1}.get(account_id, 0)
    # aws-assets models each service of an account as one entity
    return {"aws_cloudwatch_logs": 1, "aws_cloudwatch_log_group": groups, "aws_cloudwatch_log_metric_filter": filters}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))

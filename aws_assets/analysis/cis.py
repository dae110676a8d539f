"""The CIS Amazon Web Services Foundations Benchmark v4.0 (v4.0.1), every control with its ID, title, section,
whether CIS assesses it automatically or manually, its number in v3.0 where it differs (None: new in v4.0), and,
for a control no rule checks, why. The rules name the controls they check (`Rule.cis`): the two together say, for
each control, the rule that checks it or why none does; a test keeps them consistent, and the README's table is
rendered from them (`control_table`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_assets.analysis.rules.model import Rule

FRAMEWORK_V4 = "cis-aws-4.0"
FRAMEWORK_V3 = "cis-aws-3.0"
FRAMEWORKS = (FRAMEWORK_V4, FRAMEWORK_V3)
SAME = ""  # the v3.0 number is the v4.0 one


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    automated: bool
    v3: str | None = SAME  # its v3.0 ID; SAME when unchanged, None when v4.0 added it
    unchecked_because: str | None = None  # None: a rule checks it

    @property
    def section(self) -> str:
        return SECTIONS[self.id.split(".")[0]]

    def id_in(self, framework: str) -> str | None:
        if framework == FRAMEWORK_V3:
            return self.id if self.v3 == SAME else self.v3
        return self.id


SECTIONS = {"1": "Identity and Access Management", "2": "Storage", "3": "Logging", "4": "Monitoring",
            "5": "Networking"}
MANUAL_ONLY = "manual: no read API answers it; CIS has a person check it"


def _c(id: str, title: str, automated: bool, v3: str | None = SAME, why: str | None = None) -> Control:
    return Control(id, title, automated, v3, why)


A, M = True, False  # automated, manual

CONTROLS: tuple[Control, ...] = (
    _c("1.1", "Maintain current contact details", M, why=MANUAL_ONLY),
    _c("1.2", "Ensure security contact information is registered", M,
       why="needs the account's alternate contacts (account:GetAlternateContact) collected"),
    _c("1.3", "Ensure security questions are registered in the AWS account", M, why=MANUAL_ONLY),
    _c("1.4", "Ensure no 'root' user account access key exists", A),
    _c("1.5", "Ensure MFA is enabled for the 'root' user account", A),
    _c("1.6", "Ensure hardware MFA is enabled for the 'root' user account", M),
    _c("1.7", "Eliminate use of the 'root' user for administrative and daily tasks", M),
    _c("1.8", "Ensure IAM password policy requires minimum length of 14 or greater", A),
    _c("1.9", "Ensure IAM password policy prevents password reuse", A),
    _c("1.10", "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console "
       "password", A),
    _c("1.11", "Do not create access keys during initial setup for IAM users with a console password", M),
    _c("1.12", "Ensure credentials unused for 45 days or more are disabled", A),
    _c("1.13", "Ensure there is only one active access key for any single IAM user", A),
    _c("1.14", "Ensure access keys are rotated every 90 days or less", A),
    _c("1.15", "Ensure IAM users receive permissions only through groups", A),
    _c("1.16", "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached", A),
    _c("1.17", "Ensure a support role has been created to manage incidents with AWS Support", A),
    _c("1.18", "Ensure IAM instance roles are used for AWS resource access from instances", A),
    _c("1.19", "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", A),
    _c("1.20", "Ensure that IAM Access Analyzer is enabled for all regions", A),
    _c("1.21", "Ensure IAM users are managed centrally via identity federation or AWS Organizations for "
       "multi-account environments", M, why=MANUAL_ONLY),
    _c("1.22", "Ensure access to AWSCloudShellFullAccess is restricted", M),
    _c("2.1.1", "Ensure S3 Bucket Policy is set to deny HTTP requests", A),
    _c("2.1.2", "Ensure MFA Delete is enabled on S3 buckets", M),
    _c("2.1.3", "Ensure all data in Amazon S3 has been discovered, classified, and secured when necessary", M,
       why="needs Amazon Macie status (macie2:GetMacieSession) collected per region"),
    _c("2.1.4", "Ensure that S3 is configured with 'Block Public Access' enabled", A),
    _c("2.2.1", "Ensure that encryption-at-rest is enabled for RDS instances", A, v3="2.3.1"),
    _c("2.2.2", "Ensure the Auto Minor Version Upgrade feature is enabled for RDS instances", A, v3="2.3.2"),
    _c("2.2.3", "Ensure that RDS instances are not publicly accessible", A, v3="2.3.3"),
    _c("2.2.4", "Ensure Multi-AZ deployments are used for enhanced availability in Amazon RDS", M, v3=None),
    _c("2.3.1", "Ensure that encryption is enabled for EFS file systems", A, v3="2.4.1"),
    _c("3.1", "Ensure CloudTrail is enabled in all regions", A),
    _c("3.2", "Ensure CloudTrail log file validation is enabled", A),
    _c("3.3", "Ensure AWS Config is enabled in all regions", A),
    _c("3.4", "Ensure that server access logging is enabled on the CloudTrail S3 bucket", A),
    _c("3.5", "Ensure CloudTrail logs are encrypted at rest using KMS CMKs", A),
    _c("3.6", "Ensure rotation for customer-created symmetric CMKs is enabled", A),
    _c("3.7", "Ensure VPC flow logging is enabled in all VPCs", A),
    _c("3.8", "Ensure that object-level logging for write events is enabled for S3 buckets", A),
    _c("3.9", "Ensure that object-level logging for read events is enabled for S3 buckets", A),
    _c("4.1", "Ensure unauthorized API calls are monitored", A),
    _c("4.2", "Ensure management console sign-in without MFA is monitored", M),
    _c("4.3", "Ensure usage of the 'root' account is monitored", M),
    _c("4.4", "Ensure IAM policy changes are monitored", M),
    _c("4.5", "Ensure CloudTrail configuration changes are monitored", M),
    _c("4.6", "Ensure AWS Management Console authentication failures are monitored", M),
    _c("4.7", "Ensure disabling or scheduled deletion of customer created CMKs is monitored", M),
    _c("4.8", "Ensure S3 bucket policy changes are monitored", M),
    _c("4.9", "Ensure AWS Config configuration changes are monitored", M),
    _c("4.10", "Ensure security group changes are monitored", M),
    _c("4.11", "Ensure Network Access Control List (NACL) changes are monitored", M),
    _c("4.12", "Ensure changes to network gateways are monitored", M),
    _c("4.13", "Ensure route table changes are monitored", M),
    _c("4.14", "Ensure VPC changes are monitored", M),
    _c("4.15", "Ensure AWS Organizations changes are monitored", M),
    _c("4.16", "Ensure AWS Security Hub is enabled", A),
    _c("5.1.1", "Ensure EBS volume encryption is enabled in all regions", A, v3="2.2.1"),
    _c("5.1.2", "Ensure CIFS access is restricted to trusted networks to prevent unauthorized access", M, v3=None),
    _c("5.2", "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports", A,
       v3="5.1"),
    _c("5.3", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports", A,
       v3="5.2"),
    _c("5.4", "Ensure no security groups allow ingress from ::/0 to remote server administration ports", A,
       v3="5.3"),
    _c("5.5", "Ensure the default security group of every VPC restricts all traffic", A, v3="5.4"),
    _c("5.6", "Ensure routing tables for VPC peering are \"least access\"", M, v3="5.5",
       why="needs route tables and VPC peering connections collected; CIS has a person judge \"least access\""),
    _c("5.7", "Ensure that the EC2 Metadata Service only allows IMDSv2", A, v3="5.6"),
)
CONTROLS_BY_ID = {control.id: control for control in CONTROLS}


def rules_by_control(rules: Sequence[Rule]) -> dict[str, list[Rule]]:
    """v4.0 control ID -> the rules that check it, every control listed."""
    checked: dict[str, list[Rule]] = {control.id: [] for control in CONTROLS}
    for rule in rules:
        for control in rule.cis:
            checked[control].append(rule)
    return checked


def coverage(rules: Sequence[Rule]) -> dict[str, int]:
    """How many controls there are, automated, and checked by a rule (of all and of the automated ones)."""
    checked = rules_by_control(rules)
    return {
        "controls": len(CONTROLS),
        "automated": sum(c.automated for c in CONTROLS),
        "checked": sum(bool(checked[c.id]) for c in CONTROLS),
        "automatedChecked": sum(bool(checked[c.id]) for c in CONTROLS if c.automated),
    }


def control_table(rules: Sequence[Rule]) -> list[str]:
    """The README's table: every v4.0 control with its v3.0 number, how CIS assesses it, and its rules or why none."""
    checked = rules_by_control(rules)
    lines = ["| CIS v4.0 | v3.0 | control | assessed | checked by |", "|---|---|---|---|---|"]
    for control in CONTROLS:
        v3 = control.id_in(FRAMEWORK_V3) or "new"
        how = "automated" if control.automated else "manual"
        by = ", ".join(f"`{rule.id}`" for rule in checked[control.id]) or control.unchecked_because or ""
        lines.append(f"| {control.id} | {v3} | {control.title} | {how} | {by} |")
    return lines


def rule_table(rules: Sequence[Rule]) -> list[str]:
    """The README's table of rules: ID, severity, title and the CIS v4.0 controls each checks."""
    lines = ["| rule | severity | title | CIS v4.0 |", "|---|---|---|---|"]
    for rule in rules:
        lines.append(f"| `{rule.id}` | {rule.severity} | {rule.title} | {', '.join(rule.cis)} |")
    return lines

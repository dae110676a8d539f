"""EC2 and VPC posture rules: the instance metadata service, default security groups, public addresses and
instance roles. Terminated instances are gone and are not judged."""

from __future__ import annotations

from collections.abc import Iterator

from aws_assets.analysis.rules.model import PLACE, Detection, Row, Rule, RuleInputs

_GONE = frozenset({"terminated", "shutting-down"})
_INSTANCE_READS = {"aws_instance": (
    *PLACE, "instanceId", "state", "metadataHttpTokens", "metadataHttpEndpoint", "publicIpAddress",
    "publicDnsName", "subnetId", "instanceProfileArn",
)}


def _instances(inputs: RuleInputs) -> Iterator[Row]:
    return (row for row in inputs.rows("aws_instance") if row["state"] not in _GONE)


def _instance(row: Row, evidence: dict) -> Detection:
    return Detection("aws_instance", row["accountId"], row["region"], row["_key"],
                     {"instanceId": row["instanceId"], "state": row["state"], **evidence})


def detect_imdsv1(inputs: RuleInputs) -> Iterator[Detection]:
    """The metadata service is on and accepts IMDSv1 (tokens optional); a service turned off is not exposed."""
    for row in _instances(inputs):
        if row["metadataHttpTokens"] == "optional" and row["metadataHttpEndpoint"] != "disabled":
            yield _instance(row, {"metadataHttpTokens": "optional",
                                  "metadataHttpEndpoint": row["metadataHttpEndpoint"]})


def detect_public_instance(inputs: RuleInputs) -> Iterator[Detection]:
    for row in _instances(inputs):
        if row["publicIpAddress"]:
            yield _instance(row, {"publicIpAddress": row["publicIpAddress"], "publicDnsName": row["publicDnsName"],
                                  "subnetId": row["subnetId"]})


def detect_instance_without_profile(inputs: RuleInputs) -> Iterator[Detection]:
    for row in _instances(inputs):
        if not row["instanceProfileArn"]:
            yield _instance(row, {"instanceProfileArn": None})


def detect_open_default_group(inputs: RuleInputs) -> Iterator[Detection]:
    """A VPC's default security group with any inbound or outbound rule (CIS: it must restrict all traffic, so
    that a resource launched without a group gets no access)."""
    for group in inputs.rows("aws_security_group"):
        ingress, egress = list(group["ingressRules"] or ()), list(group["egressRules"] or ())
        if group["isDefault"] is True and (ingress or egress):
            yield Detection("aws_security_group", group["accountId"], group["region"], group["_key"], {
                "groupId": group["groupId"], "vpcId": group["vpcId"], "ingressRules": ingress,
                "egressRules": egress,
            })


def detect_subnet_assigning_public_ips(inputs: RuleInputs) -> Iterator[Detection]:
    for subnet in inputs.rows("aws_subnet"):
        if subnet["mapPublicIpOnLaunch"] is True:
            yield Detection("aws_subnet", subnet["accountId"], subnet["region"], subnet["_key"], {
                "subnetId": subnet["subnetId"], "vpcId": subnet["vpcId"], "defaultForAz": subnet["defaultForAz"],
                "mapPublicIpOnLaunch": True,
            })


NETWORK_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-EC2-004", "medium", "EC2 instance accepts IMDSv1",
        "The instance's metadata service is on and does not require session tokens (`metadataHttpTokens` "
        "optional): a server-side request forgery can read the instance role's credentials. A metadata service "
        "turned off is not flagged.",
        _INSTANCE_READS, detect_imdsv1,
        remediation="`aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required` (and set "
        "IMDSv2 as the account default, `aws ec2 modify-instance-metadata-defaults --http-tokens required`).",
        cis=("5.7",),
    ),
    Rule(
        "AWS-EC2-005", "medium", "Default security group does not restrict all traffic",
        "A VPC's default security group has inbound or outbound rules (AWS creates it with both): anything "
        "launched without naming a group gets them.",
        {"aws_security_group": (*PLACE, "groupId", "vpcId", "isDefault", "ingressRules", "egressRules")},
        detect_open_default_group,
        remediation="Remove every inbound and outbound rule of the default group "
        "(`aws ec2 revoke-security-group-ingress` / `-egress`) and give resources groups of their own.",
        cis=("5.5",),
    ),
    Rule(
        "AWS-EC2-006", "low", "EC2 instance with a public IP address",
        "A running or stopped instance has a public IPv4 address: it is reachable from the internet wherever "
        "its security groups and network ACLs let traffic in.",
        _INSTANCE_READS, detect_public_instance,
        remediation="Launch it in a private subnet behind a load balancer or NAT, or release the address; reach it "
        "with Systems Manager Session Manager rather than a public SSH or RDP port.",
    ),
    Rule(
        "AWS-EC2-007", "low", "Subnet assigns public IP addresses at launch",
        "Instances launched in the subnet get a public IPv4 address by default (`mapPublicIpOnLaunch`), as every "
        "default subnet does.",
        {"aws_subnet": (*PLACE, "subnetId", "vpcId", "defaultForAz", "mapPublicIpOnLaunch")},
        detect_subnet_assigning_public_ips,
        remediation="`aws ec2 modify-subnet-attribute --subnet-id <id> --no-map-public-ip-on-launch`; give a "
        "public address only to the instances that need one.",
    ),
    Rule(
        "AWS-EC2-009", "low", "EC2 instance without an IAM role",
        "The instance has no instance profile: code on it that calls AWS must hold long-term keys instead of the "
        "role's temporary credentials.",
        _INSTANCE_READS, detect_instance_without_profile,
        remediation="Attach an instance profile with the role the workload needs "
        "(`aws ec2 associate-iam-instance-profile`) and remove any access keys from the instance.",
        cis=("1.18",),
    ),
)

"""EC2 and VPC posture rules: the instance metadata service, default security groups, public addresses, instance
roles, network ACLs and EBS encryption by default. Terminated instances are gone and are not judged."""

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


def detect_region_without_ebs_encryption(inputs: RuleInputs) -> Iterator[Detection]:
    for settings in inputs.rows("aws_ec2_regional_settings"):
        if settings["ebsEncryptionByDefault"] is False:
            yield Detection("aws_ec2_regional_settings", settings["accountId"], settings["region"], settings["_key"],
                            {"ebsEncryptionByDefault": False})


ADMIN_PORTS = (22, 3389)  # CIS 5.2: SSH and RDP
_TCP_OR_ALL = ("6", "-1", "tcp", "all")
_ANYWHERE = {"cidrIpv4": "0.0.0.0/0", "cidrIpv6": "::/0"}


def _entry_covers(entry: Row, port: int) -> bool:
    """Whether the entry matches TCP packets to the port (an entry for all protocols, or without a port range,
    matches every port)."""
    protocol = str(entry["protocol"]).lower()
    if protocol not in _TCP_OR_ALL:
        return False
    first, last = entry["fromPort"], entry["toPort"]
    if protocol in ("-1", "all") or first is None:
        return True
    return bool(first <= port <= (last if last is not None else first))


def open_admin_entries(entries: list[Row]) -> dict[str, list[int]]:
    """Family (cidrIpv4 or cidrIpv6) -> the admin ports a packet from anywhere reaches. ACL entries are read in
    rule-number order and the first that matches decides: an entry for all of the internet decides the port
    (an allow opens it, a deny closes it); one for a narrower range decides only for that range, and the port
    stays open to the rest of the internet if a later entry allows it."""
    opened: dict[str, list[int]] = {}
    ordered = sorted(entries, key=lambda e: e["ruleNumber"] if e["ruleNumber"] is not None else 0)
    for family, anywhere in _ANYWHERE.items():
        for port in ADMIN_PORTS:
            decider = next((e for e in ordered if e[family] == anywhere and _entry_covers(e, port)), None)
            if decider is not None and decider["ruleAction"] == "allow":
                opened.setdefault(family, []).append(port)
    return opened


def detect_acl_open_on_admin_ports(inputs: RuleInputs) -> Iterator[Detection]:
    for acl in inputs.rows("aws_network_acl"):
        if acl["ownerId"] not in (None, acl["accountId"]):
            continue  # a shared VPC's ACL is its owner's to fix
        opened = open_admin_entries(list(acl["ingressEntries"] or ()))
        if opened:
            yield Detection("aws_network_acl", acl["accountId"], acl["region"], acl["_key"], {
                "networkAclId": acl["networkAclId"], "vpcId": acl["vpcId"], "isDefault": acl["isDefault"],
                "subnetIds": list(acl["subnetIds"] or ()),
                "openPorts": {_ANYWHERE[family]: ports for family, ports in opened.items()},
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
    Rule(
        "AWS-EC2-011", "medium", "EBS encryption by default off in the region",
        "New EBS volumes (and snapshot copies) of the region are not encrypted unless whoever makes them asks. "
        "Existing unencrypted volumes are AWS-EC2-003.",
        {"aws_ec2_regional_settings": (*PLACE, "ebsEncryptionByDefault")}, detect_region_without_ebs_encryption,
        remediation="`aws ec2 enable-ebs-encryption-by-default --region <region>` (and "
        "`modify-ebs-default-kms-key-id` for a customer managed key).",
        cis=("5.1.1",),
    ),
    Rule(
        "AWS-EC2-012", "high", "Network ACL open to the internet on SSH or RDP",
        "The network ACL lets packets from 0.0.0.0/0 or ::/0 reach TCP 22 or 3389: read in rule-number order, the "
        "first entry for the whole internet that covers the port (TCP or all protocols) allows it. A deny for the "
        "whole internet before it closes the port; entries for narrower ranges do not decide it. Every subnet "
        "associated with the ACL is exposed wherever its security groups also allow the port.",
        {"aws_network_acl": (*PLACE, "networkAclId", "vpcId", "ownerId", "isDefault", "subnetIds",
                             "ingressEntries")},
        detect_acl_open_on_admin_ports,
        remediation="`aws ec2 create-network-acl-entry --ingress --rule-action deny --protocol tcp --port-range "
        "From=22,To=22 --cidr-block 0.0.0.0/0` (and 3389, and `--ipv6-cidr-block ::/0`) with a rule number below "
        "the allow, or replace the allow with one for the administrators' ranges.",
        cis=("5.2",),
    ),
)

"""EC2 of one region: instances, key pairs, EBS volumes, security groups, VPCs, subnets, network ACLs, flow logs
and the region's EBS encryption default.

Calls per account and region, one per entity type plus two for network reachability (a paginated call is one
call per page of PAGE_SIZES items):
- ec2:DescribeInstances (paginated) -> aws_instance
- ec2:DescribeKeyPairs (AWS does not paginate it) -> aws_key_pair
- ec2:DescribeVolumes (paginated) -> aws_ebs_volume
- ec2:DescribeSecurityGroups (paginated) -> aws_security_group, every rule of every group
- ec2:DescribeVpcs and ec2:DescribeInternetGateways (both paginated) -> aws_vpc
- ec2:DescribeSubnets and ec2:DescribeRouteTables (both paginated) -> aws_subnet
- ec2:DescribeNetworkAcls (paginated) -> aws_network_acl, every entry of every ACL
- ec2:DescribeFlowLogs (paginated) -> aws_vpc_flow_log
- ec2:GetEbsEncryptionByDefault -> aws_ec2_regional_settings, one row per region
Nothing is fetched per resource. Instance user data and key material are never requested.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.conventions import INTERNET_CIDRS
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import classification, console_link, tags_from_list

# The largest page each operation accepts, so that big accounts take the fewest calls.
PAGE_SIZES: dict[str, int] = {
    "describe_instances": 1000,
    "describe_volumes": 1000,
    "describe_security_groups": 1000,
    "describe_vpcs": 1000,
    "describe_internet_gateways": 1000,
    "describe_subnets": 1000,
    "describe_route_tables": 100,
    "describe_network_acls": 1000,
    "describe_flow_logs": 1000,
}
# What a flow log's resource ID starts with, by the kind of resource it watches.
FLOW_LOG_RESOURCE_TYPES = {"vpc-": "VPC", "subnet-": "Subnet", "eni-": "NetworkInterface",
                           "tgw-attach-": "TransitGatewayAttachment", "tgw-": "TransitGateway"}

# An internet gateway's attachment is "available" once attached; "attached" is what egress-only gateways say.
ATTACHED_GATEWAY_STATES = frozenset({"available", "attached"})

BLOCK_DEVICE_MAPPING = pa.struct(
    [
        ("deviceName", pa.string()),
        ("volumeId", pa.string()),
        ("deleteOnTermination", pa.bool_()),
        ("attachTime", pa.timestamp("us", tz="UTC")),
    ]
)
VOLUME_ATTACHMENT = pa.struct(
    [
        ("instanceId", pa.string()),
        ("device", pa.string()),
        ("deleteOnTermination", pa.bool_()),
        ("state", pa.string()),
    ]
)
SECURITY_GROUP_RULE = pa.struct(
    [
        ("ipProtocol", pa.string()),
        ("fromPort", pa.int64()),
        ("toPort", pa.int64()),
        ("cidrIpv4", pa.string()),
        ("cidrIpv6", pa.string()),
        ("prefixListId", pa.string()),
        ("referencedGroupId", pa.string()),
        ("referencedGroupAccountId", pa.string()),
        ("description", pa.string()),
    ]
)

NETWORK_ACL_ENTRY = pa.struct(
    [
        ("ruleNumber", pa.int64()),
        ("egress", pa.bool_()),
        ("ruleAction", pa.string()),
        ("protocol", pa.string()),
        ("cidrIpv4", pa.string()),
        ("cidrIpv6", pa.string()),
        ("fromPort", pa.int64()),
        ("toPort", pa.int64()),
        ("icmpType", pa.int64()),
        ("icmpCode", pa.int64()),
    ]
)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def ec2_arn(region: str, account_id: str, resource: str) -> str:
    return f"arn:aws:ec2:{region}:{account_id}:{resource}"


def _resource_row(arn: str, name: str, web_path: str, region: str, resource: dict[str, Any]) -> dict[str, Any]:
    """The columns every EC2 entity fills the same way."""
    return {
        "_key": arn,
        "name": name,
        "arn": arn,
        "webLink": console_link(web_path, region),
        "tags": tags_from_list(resource.get("Tags")),
    }


def _unique(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def block_device_mappings(instance: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "deviceName": mapping.get("DeviceName"),
            "volumeId": mapping.get("Ebs", {}).get("VolumeId"),
            "deleteOnTermination": mapping.get("Ebs", {}).get("DeleteOnTermination"),
            "attachTime": mapping.get("Ebs", {}).get("AttachTime"),
        }
        for mapping in instance.get("BlockDeviceMappings", [])
    ]


def instance_security_group_ids(instance: dict[str, Any]) -> list[str]:
    # Groups belong to network interfaces: an instance with several interfaces is protected by all their groups.
    groups = [*instance.get("SecurityGroups", [])]
    for interface in instance.get("NetworkInterfaces", []):
        groups.extend(interface.get("Groups", []))
    return _unique(group.get("GroupId") for group in groups)


def instance_has_public_ip(instance: dict[str, Any]) -> bool:
    interface_ips = (
        interface.get("Association", {}).get("PublicIp") for interface in instance.get("NetworkInterfaces", [])
    )
    return bool(instance.get("PublicIpAddress")) or any(interface_ips)


def instance_row(instance: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    instance_id = instance["InstanceId"]
    # AWS answers "" rather than nothing for missing DNS names.
    public_dns = instance.get("PublicDnsName") or None
    private_dns = instance.get("PrivateDnsName") or None
    metadata_options = instance.get("MetadataOptions", {})
    devices = block_device_mappings(instance)
    return {
        **_resource_row(
            ec2_arn(region, account_id, f"instance/{instance_id}"),
            instance_id,
            f"ec2/home#InstanceDetails:instanceId={instance_id}",
            region,
            instance,
        ),
        "createdOn": instance.get("LaunchTime"),
        "hostname": public_dns or private_dns or instance.get("PrivateIpAddress"),
        "instanceId": instance_id,
        "instanceType": instance.get("InstanceType"),
        "state": instance.get("State", {}).get("Name"),
        "imageId": instance.get("ImageId"),
        "launchTime": instance.get("LaunchTime"),
        "availabilityZone": instance.get("Placement", {}).get("AvailabilityZone"),
        "privateIpAddress": instance.get("PrivateIpAddress"),
        "publicIpAddress": instance.get("PublicIpAddress"),
        "privateDnsName": private_dns,
        "publicDnsName": public_dns,
        "public": instance_has_public_ip(instance),
        "vpcId": instance.get("VpcId"),
        "subnetId": instance.get("SubnetId"),
        "securityGroupIds": instance_security_group_ids(instance),
        "keyName": instance.get("KeyName"),
        "instanceProfileArn": instance.get("IamInstanceProfile", {}).get("Arn"),
        "platform": instance.get("Platform"),
        "platformDetails": instance.get("PlatformDetails"),
        "architecture": instance.get("Architecture"),
        "monitoringState": instance.get("Monitoring", {}).get("State"),
        "metadataHttpEndpoint": metadata_options.get("HttpEndpoint"),
        "metadataHttpTokens": metadata_options.get("HttpTokens"),
        "rootDeviceName": instance.get("RootDeviceName"),
        "ebsVolumeIds": _unique(device["volumeId"] for device in devices),
        "blockDeviceMappings": devices,
    }


def instance_rows(reservations: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    return [
        instance_row(instance, account_id, region)
        for reservation in reservations
        for instance in reservation.get("Instances", [])
    ]


def key_pair_rows(key_pairs: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    return [
        {
            **_resource_row(
                ec2_arn(region, account_id, f"key-pair/{key_pair['KeyName']}"),
                key_pair["KeyName"],
                f"ec2/home#KeyPairs:search={key_pair['KeyName']}",
                region,
                key_pair,
            ),
            "createdOn": key_pair.get("CreateTime"),
            "active": True,
            "keyName": key_pair["KeyName"],
            "keyPairId": key_pair.get("KeyPairId"),
            "keyFingerprint": key_pair.get("KeyFingerprint"),
            "keyType": key_pair.get("KeyType"),
        }
        for key_pair in key_pairs
    ]


def volume_row(volume: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    volume_id = volume["VolumeId"]
    tags = tags_from_list(volume.get("Tags"))
    attachments = [
        {
            "instanceId": attachment.get("InstanceId"),
            "device": attachment.get("Device"),
            "deleteOnTermination": attachment.get("DeleteOnTermination"),
            "state": attachment.get("State"),
        }
        for attachment in volume.get("Attachments", [])
    ]
    return {
        **_resource_row(
            ec2_arn(region, account_id, f"volume/{volume_id}"),
            volume_id,
            f"ec2/home#VolumeDetails:volumeId={volume_id}",
            region,
            volume,
        ),
        "createdOn": volume.get("CreateTime"),
        "encrypted": bool(volume.get("Encrypted")),
        "classification": classification(tags),
        "volumeId": volume_id,
        "kmsKeyId": volume.get("KmsKeyId"),
        "size": volume.get("Size"),
        "volumeType": volume.get("VolumeType"),
        "iops": volume.get("Iops"),
        "throughput": volume.get("Throughput"),
        "state": volume.get("State"),
        "snapshotId": volume.get("SnapshotId") or None,
        "availabilityZone": volume.get("AvailabilityZone"),
        "multiAttachEnabled": volume.get("MultiAttachEnabled"),
        "attachedInstanceIds": _unique(attachment["instanceId"] for attachment in attachments),
        "attachments": attachments,
    }


def volume_rows(volumes: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    return [volume_row(volume, account_id, region) for volume in volumes]


def permission_rules(permission: dict[str, Any]) -> list[dict[str, Any]]:
    """One rule per source of an IP permission: its IPv4 ranges, IPv6 ranges, prefix lists and groups."""
    sources = [
        *(
            {"cidrIpv4": r.get("CidrIp"), "description": r.get("Description")}
            for r in permission.get("IpRanges", [])
        ),
        *(
            {"cidrIpv6": r.get("CidrIpv6"), "description": r.get("Description")}
            for r in permission.get("Ipv6Ranges", [])
        ),
        *(
            {"prefixListId": p.get("PrefixListId"), "description": p.get("Description")}
            for p in permission.get("PrefixListIds", [])
        ),
        *(
            {
                "referencedGroupId": pair.get("GroupId"),
                "referencedGroupAccountId": pair.get("UserId"),
                "description": pair.get("Description"),
            }
            for pair in permission.get("UserIdGroupPairs", [])
        ),
    ]
    traffic = {
        "ipProtocol": permission.get("IpProtocol"),
        "fromPort": permission.get("FromPort"),
        "toPort": permission.get("ToPort"),
    }
    return [{**traffic, **source} for source in sources]


def security_group_rules(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for permission in permissions for rule in permission_rules(permission)]


def security_group_row(group: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    group_id = group["GroupId"]
    ingress = security_group_rules(group.get("IpPermissions", []))
    owner = group.get("OwnerId") or account_id
    arn = group.get("SecurityGroupArn") or ec2_arn(region, owner, f"security-group/{group_id}")
    return {
        **_resource_row(arn, group["GroupName"], f"ec2/home#SecurityGroup:groupId={group_id}", region, group),
        "category": ["network"],
        "groupId": group_id,
        "groupName": group["GroupName"],
        "description": group.get("Description"),
        "vpcId": group.get("VpcId"),
        "ownerId": group.get("OwnerId"),
        # Every VPC has exactly one group named "default", and AWS reserves the name.
        "isDefault": group["GroupName"] == "default",
        "openToInternet": any(
            rule.get("cidrIpv4") in INTERNET_CIDRS or rule.get("cidrIpv6") in INTERNET_CIDRS for rule in ingress
        ),
        "ingressRules": ingress,
        "egressRules": security_group_rules(group.get("IpPermissionsEgress", [])),
    }


def security_group_rows(groups: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    return [security_group_row(group, account_id, region) for group in groups]


def attached_internet_gateways(internet_gateways: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Internet gateway IDs by the VPC they are attached to."""
    by_vpc: dict[str, list[str]] = {}
    for gateway in internet_gateways:
        for attachment in gateway.get("Attachments", []):
            if attachment.get("State") in ATTACHED_GATEWAY_STATES:
                by_vpc.setdefault(attachment["VpcId"], []).append(gateway["InternetGatewayId"])
    return by_vpc


def _associated_blocks(associations: list[dict[str, Any]], block_key: str, state_key: str) -> list[str]:
    return [a[block_key] for a in associations if a.get(state_key, {}).get("State") == "associated"]


def vpc_rows(
    vpcs: list[dict[str, Any]], internet_gateways: list[dict[str, Any]], account_id: str, region: str
) -> list[dict[str, Any]]:
    gateways_by_vpc = attached_internet_gateways(internet_gateways)
    rows = []
    for vpc in vpcs:
        vpc_id = vpc["VpcId"]
        gateways = gateways_by_vpc.get(vpc_id, [])
        # A VPC shared through AWS RAM is described in the participant's account too; its ARN names the owner.
        arn = ec2_arn(region, vpc.get("OwnerId") or account_id, f"vpc/{vpc_id}")
        rows.append(
            {
                **_resource_row(arn, vpc_id, f"vpcconsole/home#VpcDetails:VpcId={vpc_id}", region, vpc),
                "CIDR": vpc.get("CidrBlock"),
                "public": bool(gateways),
                "internal": not gateways,
                "vpcId": vpc_id,
                "ownerId": vpc.get("OwnerId"),
                "isDefault": vpc.get("IsDefault"),
                "state": vpc.get("State"),
                "cidrBlocks": _associated_blocks(vpc.get("CidrBlockAssociationSet", []), "CidrBlock", "CidrBlockState"),
                "ipv6CidrBlocks": _associated_blocks(
                    vpc.get("Ipv6CidrBlockAssociationSet", []), "Ipv6CidrBlock", "Ipv6CidrBlockState"
                ),
                "instanceTenancy": vpc.get("InstanceTenancy"),
                "dhcpOptionsId": vpc.get("DhcpOptionsId"),
                "internetGatewayIds": gateways,
            }
        )
    return rows


def effective_route_tables(route_tables: list[dict[str, Any]]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Route tables by explicitly associated subnet, and each VPC's main route table (for the other subnets)."""
    by_subnet: dict[str, dict] = {}
    main_by_vpc: dict[str, dict] = {}
    for table in route_tables:
        for association in table.get("Associations", []):
            if association.get("AssociationState", {}).get("State", "associated") != "associated":
                continue
            if association.get("Main"):
                main_by_vpc[table["VpcId"]] = table
            elif association.get("SubnetId"):
                by_subnet[association["SubnetId"]] = table
    return by_subnet, main_by_vpc


def routes_to_internet_gateway(route_table: dict[str, Any] | None) -> bool:
    # A route to a detached gateway stays in the table as a blackhole.
    return any(
        route.get("GatewayId", "").startswith("igw-") and route.get("State") != "blackhole"
        for route in (route_table or {}).get("Routes", [])
    )


def subnet_rows(
    subnets: list[dict[str, Any]], route_tables: list[dict[str, Any]], account_id: str, region: str
) -> list[dict[str, Any]]:
    by_subnet, main_by_vpc = effective_route_tables(route_tables)
    rows = []
    for subnet in subnets:
        subnet_id = subnet["SubnetId"]
        route_table = by_subnet.get(subnet_id) or main_by_vpc.get(subnet.get("VpcId", ""))
        public = routes_to_internet_gateway(route_table)
        owner = subnet.get("OwnerId") or account_id
        arn = subnet.get("SubnetArn") or ec2_arn(region, owner, f"subnet/{subnet_id}")
        web_path = f"vpcconsole/home#SubnetDetails:subnetId={subnet_id}"
        rows.append(
            {
                **_resource_row(arn, subnet_id, web_path, region, subnet),
                "CIDR": subnet.get("CidrBlock"),
                "public": public,
                "internal": not public,
                "subnetId": subnet_id,
                "vpcId": subnet.get("VpcId"),
                "ownerId": subnet.get("OwnerId"),
                "state": subnet.get("State"),
                "availabilityZone": subnet.get("AvailabilityZone"),
                "ipv6CidrBlocks": _associated_blocks(
                    subnet.get("Ipv6CidrBlockAssociationSet", []), "Ipv6CidrBlock", "Ipv6CidrBlockState"
                ),
                "availableIpAddressCount": subnet.get("AvailableIpAddressCount"),
                "mapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch"),
                "defaultForAz": subnet.get("DefaultForAz"),
                "routeTableId": (route_table or {}).get("RouteTableId"),
            }
        )
    return rows


def network_acl_entry(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    icmp = entry.get("IcmpTypeCode") or {}
    return {
        "ruleNumber": entry.get("RuleNumber"),
        "egress": entry.get("Egress"),
        "ruleAction": entry.get("RuleAction"),
        "protocol": entry.get("Protocol"),
        "cidrIpv4": entry.get("CidrBlock"),
        "cidrIpv6": entry.get("Ipv6CidrBlock"),
        "fromPort": ports.get("From"),
        "toPort": ports.get("To"),
        "icmpType": icmp.get("Type"),
        "icmpCode": icmp.get("Code"),
    }


def network_acl_rows(acls: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    rows = []
    for acl in acls:
        acl_id = acl["NetworkAclId"]
        # AWS evaluates the rules lowest number first, until one matches.
        entries = sorted((network_acl_entry(e) for e in acl.get("Entries", [])),
                         key=lambda e: (e["egress"], e["ruleNumber"]))
        owner = acl.get("OwnerId") or account_id
        rows.append(
            {
                **_resource_row(ec2_arn(region, owner, f"network-acl/{acl_id}"), acl_id,
                                f"vpcconsole/home#NetworkAclDetails:networkAclId={acl_id}", region, acl),
                "category": ["network"],
                "networkAclId": acl_id,
                "vpcId": acl.get("VpcId"),
                "ownerId": acl.get("OwnerId"),
                "isDefault": acl.get("IsDefault"),
                "subnetIds": _unique(a.get("SubnetId") for a in acl.get("Associations", [])),
                "ingressEntries": [e for e in entries if not e["egress"]],
                "egressEntries": [e for e in entries if e["egress"]],
            }
        )
    return rows


def flow_log_resource_type(resource_id: str) -> str | None:
    return next((kind for prefix, kind in FLOW_LOG_RESOURCE_TYPES.items() if resource_id.startswith(prefix)), None)


def flow_log_destination(flow_log: dict[str, Any], account_id: str, region: str) -> str | None:
    """The ARN the flow log delivers to; a CloudWatch Logs destination may be named by its group's name only."""
    destination = flow_log.get("LogDestination")
    if destination:
        return destination.removesuffix(":*")
    group = flow_log.get("LogGroupName")
    return f"arn:aws:logs:{region}:{account_id}:log-group:{group}" if group else None


def flow_log_rows(flow_logs: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    rows = []
    for flow_log in flow_logs:
        flow_log_id = flow_log["FlowLogId"]
        resource_id = flow_log.get("ResourceId", "")
        rows.append(
            {
                **_resource_row(ec2_arn(region, account_id, f"vpc-flow-log/{flow_log_id}"), flow_log_id,
                                f"vpcconsole/home#FlowLogs:flowLogId={flow_log_id}", region, flow_log),
                "createdOn": flow_log.get("CreationTime"),
                "flowLogId": flow_log_id,
                "resourceId": resource_id,
                "resourceType": flow_log_resource_type(resource_id),
                "flowLogStatus": flow_log.get("FlowLogStatus"),
                "deliverLogsStatus": flow_log.get("DeliverLogsStatus"),
                "deliverLogsErrorMessage": flow_log.get("DeliverLogsErrorMessage"),
                "trafficType": flow_log.get("TrafficType"),
                "logDestinationType": flow_log.get("LogDestinationType") or "cloud-watch-logs",
                "logDestination": flow_log_destination(flow_log, account_id, region),
                "logGroupName": flow_log.get("LogGroupName"),
                "deliverLogsPermissionArn": flow_log.get("DeliverLogsPermissionArn"),
                "maxAggregationInterval": flow_log.get("MaxAggregationInterval"),
                "logFormat": flow_log.get("LogFormat"),
            }
        )
    return rows


def regional_settings_key(account_id: str, region: str) -> str:
    return f"aws_ec2_regional_settings:{account_id}:{region}"


def regional_settings_rows(ebs_encryption: dict[str, Any], account_id: str, region: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": regional_settings_key(account_id, region),
            "name": f"EC2 settings of {region}",
            "webLink": console_link("ec2/home#Settings:tab=ebsEncryption", region),
            "tags": {},
            "ebsEncryptionByDefault": bool(ebs_encryption.get("EbsEncryptionByDefault")),
            "ebsEncryptionSseType": ebs_encryption.get("SseType"),
        }
    ]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def describe(aws: PartitionCollection, operation: str, result_key: str) -> list[dict[str, Any]]:
    return aws.paginate("ec2", operation, result_key, PaginationConfig={"PageSize": PAGE_SIZES[operation]})


def collect_instances(aws: PartitionCollection) -> list[dict[str, Any]]:
    return instance_rows(describe(aws, "describe_instances", "Reservations"), aws.account_id, aws.region)


def collect_key_pairs(aws: PartitionCollection) -> list[dict[str, Any]]:
    key_pairs = aws.client("ec2").describe_key_pairs()["KeyPairs"]
    return key_pair_rows(key_pairs, aws.account_id, aws.region)


def collect_volumes(aws: PartitionCollection) -> list[dict[str, Any]]:
    return volume_rows(describe(aws, "describe_volumes", "Volumes"), aws.account_id, aws.region)


def collect_security_groups(aws: PartitionCollection) -> list[dict[str, Any]]:
    groups = describe(aws, "describe_security_groups", "SecurityGroups")
    return security_group_rows(groups, aws.account_id, aws.region)


def collect_vpcs(aws: PartitionCollection) -> list[dict[str, Any]]:
    vpcs = describe(aws, "describe_vpcs", "Vpcs")
    internet_gateways = describe(aws, "describe_internet_gateways", "InternetGateways")
    return vpc_rows(vpcs, internet_gateways, aws.account_id, aws.region)


def collect_subnets(aws: PartitionCollection) -> list[dict[str, Any]]:
    subnets = describe(aws, "describe_subnets", "Subnets")
    route_tables = describe(aws, "describe_route_tables", "RouteTables")
    return subnet_rows(subnets, route_tables, aws.account_id, aws.region)


def collect_network_acls(aws: PartitionCollection) -> list[dict[str, Any]]:
    return network_acl_rows(describe(aws, "describe_network_acls", "NetworkAcls"), aws.account_id, aws.region)


def collect_flow_logs(aws: PartitionCollection) -> list[dict[str, Any]]:
    return flow_log_rows(describe(aws, "describe_flow_logs", "FlowLogs"), aws.account_id, aws.region)


def collect_regional_settings(aws: PartitionCollection) -> list[dict[str, Any]]:
    ebs_encryption = aws.client("ec2").get_ebs_encryption_by_default()
    return regional_settings_rows(ebs_encryption, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

OWNER_ID = string(
    "ownerId", "Account that owns the resource; differs from accountId when it is shared with this account"
)

AWS_INSTANCE = EntityType(
    type="aws_instance",
    classes=("Host",),
    description="An EC2 instance: what it runs, where it sits on the network, who can reach it and with what key.",
    console="EC2 Instances",
    columns=(
        string("instanceId", "Instance ID, e.g. i-0abc..."),
        string("instanceType", "Instance type, e.g. t3.micro"),
        string("state", "Instance state: pending, running, stopping, stopped, shutting-down or terminated"),
        string("imageId", "ID of the AMI the instance was launched from"),
        timestamp("launchTime", "When the instance was last launched (started); also createdOn"),
        string("availabilityZone", "Availability zone of the instance"),
        string("privateIpAddress", "Primary private IPv4 address"),
        string("publicIpAddress", "Public IPv4 address of the primary network interface, if any"),
        string("privateDnsName", "Private DNS name"),
        string("publicDnsName", "Public DNS name, if any"),
        boolean("public", "Whether any network interface of the instance has a public IPv4 address"),
        string("vpcId", "VPC the instance runs in"),
        string("subnetId", "Subnet of the primary network interface"),
        strings("securityGroupIds", "Security groups of all the instance's network interfaces"),
        string("keyName", "Name of the EC2 key pair whose public key was installed at launch"),
        string("instanceProfileArn", "ARN of the IAM instance profile: its role's permissions are the instance's"),
        string("platform", "`windows` for Windows instances, empty otherwise"),
        string("platformDetails", "Operating system and billing platform, e.g. Linux/UNIX"),
        string("architecture", "CPU architecture, e.g. x86_64 or arm64"),
        string("monitoringState", "Detailed CloudWatch monitoring: enabled or disabled"),
        string("metadataHttpEndpoint", "Instance metadata service: enabled or disabled"),
        string(
            "metadataHttpTokens",
            "`required` when the metadata service accepts only IMDSv2 (session tokens); `optional` allows IMDSv1, "
            "which SSRF attacks can use to steal the role's credentials",
        ),
        string("rootDeviceName", "Device name of the root volume, e.g. /dev/xvda"),
        strings("ebsVolumeIds", "IDs of the attached EBS volumes"),
        Column(
            "blockDeviceMappings",
            pa.list_(BLOCK_DEVICE_MAPPING),
            "Attached EBS volumes: deviceName, volumeId, deleteOnTermination (whether the volume is deleted with "
            "the instance), attachTime",
        ),
    ),
    collect=collect_instances,
)

AWS_KEY_PAIR = EntityType(
    type="aws_key_pair",
    classes=("AccessKey",),
    description="An EC2 key pair registered in the region (its public half; AWS never returns the private key).",
    console="EC2 Key Pairs",
    columns=(
        string("keyName", "Key pair name; instances name their key pair by it"),
        string("keyPairId", "Key pair ID, e.g. key-0abc..."),
        string("keyFingerprint", "Fingerprint of the key"),
        string("keyType", "Key type: rsa or ed25519"),
    ),
    collect=collect_key_pairs,
)

AWS_EBS_VOLUME = EntityType(
    type="aws_ebs_volume",
    classes=("DataStore", "Disk"),
    description="An EBS volume: its encryption, size, source snapshot and the instances it is attached to.",
    console="EC2 Volumes",
    columns=(
        string("volumeId", "Volume ID, e.g. vol-0abc..."),
        string("kmsKeyId", "ARN of the KMS key that encrypts the volume"),
        integer("size", "Size in GiB"),
        string("volumeType", "Volume type, e.g. gp3, io2, st1"),
        integer("iops", "Provisioned IOPS"),
        integer("throughput", "Provisioned throughput in MiB/s (gp3)"),
        string("state", "Volume state: creating, available, in-use, deleting, deleted or error"),
        string("snapshotId", "Snapshot the volume was created from, if any"),
        string("availabilityZone", "Availability zone of the volume"),
        boolean("multiAttachEnabled", "Whether several instances can attach the volume at once"),
        strings("attachedInstanceIds", "Instances the volume is attached to"),
        Column(
            "attachments",
            pa.list_(VOLUME_ATTACHMENT),
            "Attachments: instanceId, device, deleteOnTermination (whether the volume is deleted with the "
            "instance), state",
        ),
    ),
    collect=collect_volumes,
)

SECURITY_GROUP_RULE_DESCRIPTION = (
    "one per source: ipProtocol (tcp, udp, icmp, a protocol number, or -1 for all), fromPort and toPort (the port "
    "range, or ICMP type and code; empty or -1 for all), and exactly one source or destination among cidrIpv4, "
    "cidrIpv6, prefixListId and referencedGroupId (with referencedGroupAccountId, the group's account); description"
)

AWS_SECURITY_GROUP = EntityType(
    type="aws_security_group",
    classes=("Firewall",),
    description="A VPC security group with every ingress and egress rule, one rule per source.",
    console="EC2 Security Groups",
    columns=(
        string("groupId", "Security group ID, e.g. sg-0abc..."),
        string("groupName", "Security group name"),
        string("description", "Description given at creation"),
        string("vpcId", "VPC of the group"),
        OWNER_ID,
        boolean("isDefault", "Whether this is the VPC's default group (used when a resource names no group)"),
        boolean("openToInternet", "Whether any ingress rule allows traffic from 0.0.0.0/0 or ::/0"),
        Column("ingressRules", pa.list_(SECURITY_GROUP_RULE), "Inbound rules, " + SECURITY_GROUP_RULE_DESCRIPTION),
        Column("egressRules", pa.list_(SECURITY_GROUP_RULE), "Outbound rules, " + SECURITY_GROUP_RULE_DESCRIPTION),
    ),
    collect=collect_security_groups,
)

AWS_VPC = EntityType(
    type="aws_vpc",
    classes=("Network",),
    description="A VPC; public when an internet gateway is attached to it.",
    console="VPC Your VPCs",
    columns=(
        string("vpcId", "VPC ID, e.g. vpc-0abc..."),
        OWNER_ID,
        boolean("isDefault", "Whether this is the region's default VPC"),
        string("state", "VPC state: pending or available"),
        strings("cidrBlocks", "Every associated IPv4 CIDR block, the primary one first"),
        strings("ipv6CidrBlocks", "Every associated IPv6 CIDR block"),
        string("instanceTenancy", "Tenancy of instances launched in the VPC: default, dedicated or host"),
        string("dhcpOptionsId", "DHCP options set of the VPC"),
        strings("internetGatewayIds", "Internet gateways attached to the VPC"),
    ),
    collect=collect_vpcs,
)

AWS_SUBNET = EntityType(
    type="aws_subnet",
    volatile=("availableIpAddressCount",),  # moves with every interface created or deleted
    classes=("Network",),
    description="A VPC subnet; public when its route table routes to an internet gateway.",
    console="VPC Subnets",
    columns=(
        string("subnetId", "Subnet ID, e.g. subnet-0abc..."),
        string("vpcId", "VPC of the subnet"),
        OWNER_ID,
        string("state", "Subnet state: pending or available"),
        string("availabilityZone", "Availability zone of the subnet"),
        strings("ipv6CidrBlocks", "Every associated IPv6 CIDR block"),
        integer("availableIpAddressCount", "Number of unused private IPv4 addresses"),
        boolean("mapPublicIpOnLaunch", "Whether instances launched in the subnet get a public IPv4 address"),
        boolean("defaultForAz", "Whether this is the default subnet of its availability zone"),
        string(
            "routeTableId",
            "Route table the subnet uses: its explicitly associated table, otherwise the VPC's main table",
        ),
    ),
    collect=collect_subnets,
)

NETWORK_ACL_ENTRY_DESCRIPTION = (
    "in rule-number order (the first that matches decides): ruleNumber, ruleAction (allow or deny), protocol (a "
    "protocol number, e.g. 6 for TCP, or -1 for all), cidrIpv4 or cidrIpv6, fromPort and toPort (TCP and UDP; empty "
    "for all ports), icmpType and icmpCode (ICMP); the last rule (32767, `*` in the console) denies what no other "
    "rule matched"
)

AWS_NETWORK_ACL = EntityType(
    type="aws_network_acl",
    classes=("Firewall",),
    description="A VPC network ACL: the stateless rules of the subnets associated with it, inbound and outbound.",
    console="VPC Network ACLs",
    columns=(
        string("networkAclId", "Network ACL ID, e.g. acl-0abc..."),
        string("vpcId", "VPC of the ACL"),
        OWNER_ID,
        boolean("isDefault", "Whether this is the VPC's default ACL (a subnet associated with no other gets it)"),
        strings("subnetIds", "Subnets associated with the ACL"),
        Column("ingressEntries", pa.list_(NETWORK_ACL_ENTRY), "Inbound rules, " + NETWORK_ACL_ENTRY_DESCRIPTION),
        Column("egressEntries", pa.list_(NETWORK_ACL_ENTRY), "Outbound rules, " + NETWORK_ACL_ENTRY_DESCRIPTION),
    ),
    collect=collect_network_acls,
)

AWS_VPC_FLOW_LOG = EntityType(
    type="aws_vpc_flow_log",
    classes=("Configuration",),
    description="A flow log: the IP traffic of a VPC, subnet or network interface recorded to CloudWatch Logs, S3 or "
    "Firehose.",
    console="VPC Flow logs",
    columns=(
        string("flowLogId", "Flow log ID, e.g. fl-0abc..."),
        string("resourceId", "ID of the VPC, subnet or network interface whose traffic is recorded"),
        string("resourceType", "VPC, Subnet, NetworkInterface, TransitGateway or TransitGatewayAttachment"),
        string("flowLogStatus", "ACTIVE when the flow log is set up"),
        string("deliverLogsStatus", "SUCCESS, FAILED (e.g. the role is refused) or empty"),
        string("deliverLogsErrorMessage", "Why delivery fails, e.g. Access error"),
        string("trafficType", "Traffic recorded: ACCEPT, REJECT or ALL"),
        string("logDestinationType", "cloud-watch-logs, s3 or kinesis-data-firehose"),
        string("logDestination", "ARN of the log group (without `:*`), bucket (with its prefix) or stream"),
        string("logGroupName", "Log group name, for a CloudWatch Logs destination"),
        string("deliverLogsPermissionArn", "Role the flow log assumes to write to CloudWatch Logs"),
        integer("maxAggregationInterval", "Seconds over which packets are aggregated into a record: 60 or 600"),
        string("logFormat", "Fields of each record, e.g. ${version} ${account-id} ..."),
    ),
    collect=collect_flow_logs,
)

AWS_EC2_REGIONAL_SETTINGS = EntityType(
    type="aws_ec2_regional_settings",
    classes=("Configuration",),
    description="The account's EC2 settings of one region, one row per region: whether new EBS volumes are "
    "encrypted by default.",
    console="EC2 Settings > Data protection and security",
    columns=(
        boolean("ebsEncryptionByDefault", "Whether every new EBS volume and snapshot copy is encrypted"),
        string("ebsEncryptionSseType", "The default encryption type, where AWS says it: sse-ebs or sse-kms"),
    ),
    collect=collect_regional_settings,
)

SERVICE = Service(
    name="ec2",
    title="EC2",
    scope=Scope.REGION,
    entity_types=(
        AWS_INSTANCE, AWS_KEY_PAIR, AWS_EBS_VOLUME, AWS_SECURITY_GROUP, AWS_VPC, AWS_SUBNET, AWS_NETWORK_ACL,
        AWS_VPC_FLOW_LOG, AWS_EC2_REGIONAL_SETTINGS,
    ),
    entity=ServiceEntity(
        "aws_ec2", "EC2", "compute", "ec2/home",
        members=(AWS_INSTANCE, AWS_SECURITY_GROUP, AWS_SUBNET, AWS_EBS_VOLUME, AWS_VPC),
        # JupiterOne's live graph has `aws_ec2 HAS aws_network_acl`.
        members_beyond_spec=(AWS_KEY_PAIR, AWS_NETWORK_ACL, AWS_VPC_FLOW_LOG, AWS_EC2_REGIONAL_SETTINGS),
    ),
    kind="ec2",
)

"""EC2, per region: a VPC with its security groups, key pairs, a registered AMI, and the bastion, web and worker hosts.

moto's default VPC (with one default subnet per availability zone: 6 in us-east-1, 3 elsewhere) and its default
security group, plus a VPC ``<env>-vpc`` with subnets ``<env>-public-a/-b`` and ``<env>-private-a/-b``, its default
security group and the groups ``<env>-bastion-ssh`` (22 from 0.0.0.0/0), ``<env>-web-https`` (443 from 0.0.0.0/0 and
::/0), ``<env>-app`` (8080 from the web group, 22 from the managed prefix list ``<env>-corp-vpn``; egress only 443
anywhere and 5432 inside the VPC) and ``<env>-database`` (5432 from the app group; no egress); in us-east-1 also dev's
``dev-reporting-postgres`` (5432 from 0.0.0.0/0), shared's ``shared-file-share`` (445 from 0.0.0.0/0) and prod's
``prod-file-share`` (445 from its VPC), attached to nothing. A registered AMI, the key pair ``<env>-ops`` (the home
region also has the imported key ``<env>-ci``). Instances: one ``<env>-bastion`` (public subnet, ops key, 10 GiB
unencrypted extra volume), ``<env>-web-NN`` (public subnets, web+app groups, ec2-app profile, ops key) and
``<env>-worker-NN`` (private subnets, app group, ec2-app profile, IMDSv2 only, root and a 100 GiB data volume encrypted
with the region's KMS key ``alias/<env>-data``; the first ones are stopped). prod us-east-1 also has an unattached
unencrypted volume. Web/worker counts per region (see ``_FLEETS``): prod 2+2 / 1+1 / 0+1, dev 1+1 / 0+1 / 0+0, shared
0+1 / 0+1 / 1+1.

Network ACLs: each VPC's default ACL (allowing everything), and in us-east-1 the public subnets of prod and shared
are associated with ``<env>-public-subnets``: prod's allows 443, 22 (SSH, an admin port) and the return ports
32768-65535 from anywhere; shared's only 443 and the return ports. Flow logs: prod records all traffic of
``prod-vpc`` in every region to the group ``prod-vpc-flow-logs`` (the default VPCs have none); shared records the
rejected traffic of ``shared-vpc`` in us-east-1 to its access-logs bucket; dev has none. EBS encryption by default:
on in every prod region and in shared us-east-1, set after the estate's volumes (so the unencrypted ones stay so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_assets.sim.accounts import ACCOUNTS, DEV, HOME_REGION, PROD, REGIONS, SHARED
from aws_assets.sim.estate import iam, kms, logs, s3
from aws_assets.sim.seeder import AccountContext, Output, Seeder


@dataclass(frozen=True)
class Network:
    """What the other services of one region build on."""

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    app_security_group_id: str
    database_security_group_id: str


NETWORKS = Output[Mapping[str, Network]]("the <env>-vpc network of each region")


@dataclass(frozen=True)
class _Fleet:
    """The hosts of one region besides its bastion."""

    web_instances: int  # multiplied by scale
    worker_instances: int  # multiplied by scale
    stopped_workers: int  # multiplied by scale
    unattached_volumes: int = 0


_FLEETS = {
    PROD: {
        "us-east-1": _Fleet(2, 2, 1, unattached_volumes=1),
        "eu-west-1": _Fleet(1, 1, 0),
        "ap-southeast-2": _Fleet(0, 1, 0),
    },
    DEV: {"us-east-1": _Fleet(1, 1, 1), "eu-west-1": _Fleet(0, 1, 0), "ap-southeast-2": _Fleet(0, 0, 0)},
    SHARED: {"us-east-1": _Fleet(0, 1, 0), "eu-west-1": _Fleet(0, 1, 0), "ap-southeast-2": _Fleet(1, 1, 0)},
}
# (web, worker) instances per account and region at scale 1, as the tests read them
WEB_AND_WORKER_INSTANCES = {
    account: {region: (fleet.web_instances, fleet.worker_instances) for region, fleet in fleets.items()}
    for account, fleets in _FLEETS.items()
}
# The second octet of the account's VPC in its first region; each further region adds one: 10.10.0.0/16, 10.11...
_VPC_SECOND_OCTETS = {PROD: 10, DEV: 20, SHARED: 30}
# (tier, availability zone letter, third octet of the subnet's /24 in the VPC)
_SUBNETS = (("public", "a", 0), ("public", "b", 1), ("private", "a", 10), ("private", "b", 11))
_SECURITY_GROUPS = {
    "bastion-ssh": "SSH to the bastion from anywhere",
    "web-https": "HTTPS from the internet, IPv4 and IPv6",
    "app": "Application tier",
    "database": "Databases, reachable from the application tier",
}
# Groups of some regions only: (account, region) -> short name -> (description, TCP port, source; "vpc": the VPC's
# CIDR). dev's BI vendor reaches PostgreSQL from anywhere, shared's build farm shares files over SMB with the
# internet; prod's file share admits only its VPC.
REGIONAL_GROUPS: Mapping[tuple[str, str], Mapping[str, tuple[str, int, str]]] = {
    (DEV, HOME_REGION): {"reporting-postgres": ("PostgreSQL for the BI vendor's hosted dashboards", 5432, "0.0.0.0/0")},
    (SHARED, HOME_REGION): {"file-share": ("SMB share of the build farm", 445, "0.0.0.0/0")},
    (PROD, HOME_REGION): {"file-share": ("SMB share inside the VPC", 445, "vpc")},
}

# The ACL of the public subnets in us-east-1: (rule number, port range) allowed inbound from anywhere over TCP.
_RETURN_PORTS = (32768, 65535)
_PUBLIC_SUBNET_ACLS: Mapping[str, tuple[tuple[int, tuple[int, int]], ...]] = {
    PROD: ((100, (443, 443)), (110, (22, 22)), (120, _RETURN_PORTS)),
    SHARED: ((100, (443, 443)), (120, _RETURN_PORTS)),
}
# Where each account's flow logs of <env>-vpc go, by region: "logs" (the flow log group) or "s3" (the log bucket).
_FLOW_LOGS: Mapping[str, Mapping[str, str]] = {
    PROD: dict.fromkeys(REGIONS, "logs"),
    DEV: {},
    SHARED: {HOME_REGION: "s3"},
}
EBS_ENCRYPTION_BY_DEFAULT: Mapping[str, tuple[str, ...]] = {PROD: REGIONS, DEV: (), SHARED: (HOME_REGION,)}

# From moto, as in AWS: every region has a default VPC with one default subnet per availability zone, and every VPC
# has a default security group. Every instance is launched with a root volume.
_DEFAULT_VPCS = 1
DEFAULT_SUBNETS = {"us-east-1": 6, "eu-west-1": 3, "ap-southeast-2": 3}
_DEFAULT_SECURITY_GROUPS_PER_VPC = 1


@dataclass(frozen=True)
class _Volume:
    name: str
    size: int  # GiB
    device: str
    encrypted: bool  # with the region's KMS key


@dataclass(frozen=True)
class _Host:
    name: str
    instance_type: str
    subnet: str  # <tier>-<zone letter>, one of _SUBNETS
    security_groups: tuple[str, ...]  # of _SECURITY_GROUPS
    ops_key: bool = False
    instance_profile: bool = False  # ec2-app
    encrypted_root: bool = False
    imdsv2_only: bool = False  # the metadata service requires session tokens
    extra_volume: _Volume | None = None
    stopped: bool = False


def _hosts(account_id: str, region: str, scale: int) -> list[_Host]:
    """The bastion, then the web and worker tiers, each alternating over its two subnets."""
    env = ACCOUNTS[account_id]
    fleet = _FLEETS[account_id][region]
    bastion = _Host(
        f"{env}-bastion",
        "t3.micro",
        "public-a",
        ("bastion-ssh",),
        ops_key=True,
        extra_volume=_Volume(f"{env}-bastion-home", 10, "/dev/sdg", encrypted=False),
    )
    web = [
        _Host(
            f"{env}-web-{number:02d}",
            "t3.small",
            f"public-{'ab'[(number - 1) % 2]}",
            ("web-https", "app"),
            ops_key=True,
            instance_profile=True,
        )
        for number in range(1, fleet.web_instances * scale + 1)
    ]
    workers = [
        _Host(
            f"{env}-worker-{number:02d}",
            "m5.large",
            f"private-{'ab'[(number - 1) % 2]}",
            ("app",),
            instance_profile=True,
            encrypted_root=True,
            imdsv2_only=True,
            extra_volume=_Volume(f"{env}-worker-{number:02d}-data", 100, "/dev/sdf", encrypted=True),
            stopped=number <= fleet.stopped_workers * scale,
        )
        for number in range(1, fleet.worker_instances * scale + 1)
    ]
    return [bastion, *web, *workers]


def _seed(account: AccountContext) -> None:
    account[NETWORKS] = {
        region: _seed_region(account, region, region_index) for region_index, region in enumerate(REGIONS)
    }


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    counts = {"aws_ec2": 1}  # aws-assets models each service of an account as one entity
    for region in REGIONS:
        hosts = _hosts(account_id, region, scale)
        vpcs = _DEFAULT_VPCS + 1  # and <env>-vpc
        region_counts = {
            "aws_vpc": vpcs,
            "aws_subnet": DEFAULT_SUBNETS[region] + len(_SUBNETS),
            "aws_security_group": vpcs * _DEFAULT_SECURITY_GROUPS_PER_VPC + len(_SECURITY_GROUPS)
            + len(REGIONAL_GROUPS.get((account_id, region), {})),
            "aws_instance": len(hosts),
            "aws_ebs_volume": len(hosts)  # the root volumes
            + sum(host.extra_volume is not None for host in hosts)
            + _FLEETS[account_id][region].unattached_volumes,
            "aws_key_pair": 2 if region == HOME_REGION else 1,  # <env>-ops, and <env>-ci in the home region
            "aws_network_acl": vpcs + (region == HOME_REGION and account_id in _PUBLIC_SUBNET_ACLS),
            "aws_vpc_flow_log": int(region in _FLOW_LOGS[account_id]),
            "aws_ec2_regional_settings": 1,
        }
        for entity_type, count in region_counts.items():
            counts[entity_type] = counts.get(entity_type, 0) + count
    return counts


SEEDER = Seeder(seed=_seed, counts=_counts, after=(iam.SEEDER, kms.SEEDER, logs.SEEDER, s3.SEEDER))


def _seed_region(account: AccountContext, region: str, region_index: int) -> Network:
    ec2 = account.clients("ec2", region)
    env = account.name
    kms_key_arn = account[kms.DATA_KEY_ARNS][region]
    vpc_cidr = f"10.{_VPC_SECOND_OCTETS[account.account_id] + region_index}.0.0/16"
    vpc_id, subnet_ids = _seed_vpc(ec2, env, region, vpc_cidr)
    groups = _seed_security_groups(ec2, env, vpc_id, vpc_cidr)
    for short_name, (description, port, source) in REGIONAL_GROUPS.get((account.account_id, region), {}).items():
        group_id = ec2.create_security_group(
            GroupName=f"{env}-{short_name}", Description=description, VpcId=vpc_id,
            TagSpecifications=[_name_tags("security-group", f"{env}-{short_name}")])["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[_tcp(port, IpRanges=[{"CidrIp": vpc_cidr if source == "vpc" else source}])])

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

    stopped = []
    for host in _hosts(account.account_id, region, account.scale):
        instance_id, zone = _run_instance(
            ec2,
            image_id,
            host,
            subnet_id=subnet_ids[host.subnet],
            security_group_ids=[groups[name] for name in host.security_groups],
            key_name=ops_key if host.ops_key else None,
            instance_profile_arn=account[iam.INSTANCE_PROFILE_ARN] if host.instance_profile else None,
            kms_key_arn=kms_key_arn,
        )
        if host.extra_volume:
            _attach_new_volume(ec2, instance_id, zone, host.extra_volume, kms_key_arn)
        if host.stopped:
            stopped.append(instance_id)
    if stopped:
        ec2.stop_instances(InstanceIds=stopped)

    for number in range(1, _FLEETS[account.account_id][region].unattached_volumes + 1):
        ec2.create_volume(
            AvailabilityZone=f"{region}a",
            Size=50,
            VolumeType="gp2",
            TagSpecifications=[_name_tags("volume", f"{env}-restored-snapshot-{number:02d}")],
        )

    if region == HOME_REGION and account.account_id in _PUBLIC_SUBNET_ACLS:
        _seed_public_subnet_acl(ec2, env, vpc_id, [subnet_ids["public-a"], subnet_ids["public-b"]],
                                _PUBLIC_SUBNET_ACLS[account.account_id])
    destination = _FLOW_LOGS[account.account_id].get(region)
    if destination:
        _seed_flow_log(ec2, account, vpc_id, destination)
    if region in EBS_ENCRYPTION_BY_DEFAULT[account.account_id]:
        ec2.enable_ebs_encryption_by_default()

    return Network(
        vpc_id=vpc_id,
        public_subnet_ids=(subnet_ids["public-a"], subnet_ids["public-b"]),
        private_subnet_ids=(subnet_ids["private-a"], subnet_ids["private-b"]),
        app_security_group_id=groups["app"],
        database_security_group_id=groups["database"],
    )


def _seed_vpc(ec2: Any, env: str, region: str, vpc_cidr: str) -> tuple[str, dict[str, str]]:
    """Create the VPC and return its id and its subnet ids by <tier>-<zone letter>."""
    vpc_id = ec2.create_vpc(
        CidrBlock=vpc_cidr,
        TagSpecifications=[_name_tags("vpc", f"{env}-vpc", Environment=env)],
    )["Vpc"]["VpcId"]
    cidr_prefix = vpc_cidr.rsplit(".", 2)[0]  # "10.10.0.0/16" -> "10.10"
    subnet_ids = {}
    for tier, zone_letter, third_octet in _SUBNETS:
        subnet_id = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"{cidr_prefix}.{third_octet}.0/24",
            AvailabilityZone=f"{region}{zone_letter}",
            TagSpecifications=[_name_tags("subnet", f"{env}-{tier}-{zone_letter}", Tier=tier)],
        )["Subnet"]["SubnetId"]
        subnet_ids[f"{tier}-{zone_letter}"] = subnet_id
        if tier == "public":
            ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return vpc_id, subnet_ids


def _seed_public_subnet_acl(
    ec2: Any, env: str, vpc_id: str, subnet_ids: list[str], allowed: tuple[tuple[int, tuple[int, int]], ...]
) -> None:
    acl_id = ec2.create_network_acl(
        VpcId=vpc_id, TagSpecifications=[_name_tags("network-acl", f"{env}-public-subnets")])["NetworkAcl"][
        "NetworkAclId"]
    for rule_number, (first, last) in allowed:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=rule_number, Protocol="6", RuleAction="allow",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": first, "To": last})
    ec2.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0")
    associated = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])
    for acl in associated["NetworkAcls"]:
        for association in acl["Associations"]:
            if association["SubnetId"] in subnet_ids:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id)


def _seed_flow_log(ec2: Any, account: AccountContext, vpc_id: str, destination: str) -> None:
    if destination == "logs":
        ec2.create_flow_logs(
            ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL", LogGroupName=logs.flow_log_group(account.name),
            # Not seeded: no IAM role of the estate writes the flow logs (moto delivers none).
            DeliverLogsPermissionArn=f"arn:aws:iam::{account.account_id}:role/vpc-flow-logs",
        )
    else:
        ec2.create_flow_logs(ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="REJECT", LogDestinationType="s3",
                             LogDestination=f"arn:aws:s3:::{account[s3.ACCESS_LOG_BUCKET]}")


def _seed_security_groups(ec2: Any, env: str, vpc_id: str, vpc_cidr: str) -> dict[str, str]:
    """Create the groups of _SECURITY_GROUPS with their rules and return their ids by short name."""
    groups = {
        short_name: ec2.create_security_group(
            GroupName=f"{env}-{short_name}",
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=[_name_tags("security-group", f"{env}-{short_name}")],
        )["GroupId"]
        for short_name, description in _SECURITY_GROUPS.items()
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
        IpPermissions=[_tcp(443, IpRanges=[{"CidrIp": "0.0.0.0/0"}], Ipv6Ranges=[{"CidrIpv6": "::/0"}])],
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
    host: _Host,
    *,
    subnet_id: str,
    security_group_ids: list[str],
    key_name: str | None,
    instance_profile_arn: str | None,
    kms_key_arn: str,
) -> tuple[str, str]:
    """Launch the host and return its instance id and availability zone."""
    arguments: dict[str, Any] = {
        "ImageId": image_id,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": host.instance_type,
        "SubnetId": subnet_id,
        "SecurityGroupIds": security_group_ids,
        "TagSpecifications": [_name_tags("instance", host.name)],
    }
    if key_name:
        arguments["KeyName"] = key_name
    if instance_profile_arn:
        arguments["IamInstanceProfile"] = {"Arn": instance_profile_arn}
    if host.imdsv2_only:
        arguments["MetadataOptions"] = {"HttpTokens": "required", "HttpEndpoint": "enabled"}
    if host.encrypted_root:
        # moto's registered images always use /dev/sda1 as the root device; replace that volume.
        arguments["BlockDeviceMappings"] = [
            {
                "DeviceName": "/dev/sda1",
                "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "Encrypted": True, "KmsKeyId": kms_key_arn},
            }
        ]
    instance = ec2.run_instances(**arguments)["Instances"][0]
    return instance["InstanceId"], instance["Placement"]["AvailabilityZone"]


def _attach_new_volume(ec2: Any, instance_id: str, availability_zone: str, volume: _Volume, kms_key_arn: str) -> None:
    arguments: dict[str, Any] = {
        "AvailabilityZone": availability_zone,
        "Size": volume.size,
        "VolumeType": "gp3",
        "TagSpecifications": [_name_tags("volume", volume.name)],
    }
    if volume.encrypted:
        arguments.update(Encrypted=True, KmsKeyId=kms_key_arn)
    volume_id = ec2.create_volume(**arguments)["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device=volume.device)


def _name_tags(resource_type: str, name: str, **more: str) -> dict[str, Any]:
    tags = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in more.items()]
    return {"ResourceType": resource_type, "Tags": tags}


def _tcp(port: int, **sources: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **sources}

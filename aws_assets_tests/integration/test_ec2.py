from types import SimpleNamespace

import pytest

from aws_assets.model.entity import EntityType
from aws_assets.services import ec2
from aws_assets_tests.conftest import ACCOUNT_ID, REGION

OTHER_ACCOUNT = "444455556666"
IMAGE_ID = "ami-12345678"  # moto launches any AMI ID when its default AMIs are not loaded
PLANTED_SECRET = "DB_PASSWORD=correct-horse-battery-staple"


def arn(resource: str, account_id: str = ACCOUNT_ID) -> str:
    return f"arn:aws:ec2:{REGION}:{account_id}:{resource}"


def collected(entity_type: EntityType, partition) -> dict[str, dict]:
    """The partition's rows of one entity type, as written (through the Arrow schema), by _key."""
    rows = entity_type.to_table(entity_type.collect(partition), ACCOUNT_ID, REGION).to_pylist()
    by_key = {row["_key"]: row for row in rows}
    assert len(by_key) == len(rows), "duplicate _key"
    return by_key


def name_tag(resource_type: str, name: str, **extra: str) -> list[dict]:
    tags = [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in extra.items())]
    return [{"ResourceType": resource_type, "Tags": tags}]


@pytest.fixture
def client(account_session):
    return account_session.client("ec2", region_name=REGION)


@pytest.fixture
def network(client):
    """moto's default VPC (three default subnets, no internet gateway, unlike AWS), plus:
    app: 10.0.0.0/16 + 10.1.0.0/16 + IPv6, an internet gateway, a public subnet routed to it by an explicitly
    associated route table and a private subnet left on the main table;
    edge: 192.168.0.0/16 whose MAIN route table routes to its internet gateway, with one unassociated subnet."""
    default_vpc = client.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    default_subnets = {
        s["CidrBlock"]: s["SubnetId"]
        for s in client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["Subnets"]
    }

    app = client.create_vpc(
        CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True, TagSpecifications=name_tag("vpc", "app")
    )["Vpc"]["VpcId"]
    client.associate_vpc_cidr_block(VpcId=app, CidrBlock="10.1.0.0/16")
    app_gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=app_gateway, VpcId=app)
    public = client.create_subnet(
        VpcId=app, CidrBlock="10.0.1.0/24", AvailabilityZone="eu-west-1a", TagSpecifications=name_tag("subnet", "web")
    )["Subnet"]["SubnetId"]
    private = client.create_subnet(VpcId=app, CidrBlock="10.0.2.0/24", AvailabilityZone="eu-west-1b")["Subnet"][
        "SubnetId"
    ]
    public_table = client.create_route_table(VpcId=app)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=app_gateway)
    client.associate_route_table(RouteTableId=public_table, SubnetId=public)
    app_main_table = _main_route_table(client, app)

    edge = client.create_vpc(CidrBlock="192.168.0.0/16")["Vpc"]["VpcId"]
    edge_gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=edge_gateway, VpcId=edge)
    edge_main_table = _main_route_table(client, edge)
    client.create_route(RouteTableId=edge_main_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=edge_gateway)
    edge_subnet = client.create_subnet(VpcId=edge, CidrBlock="192.168.0.0/24")["Subnet"]["SubnetId"]

    return SimpleNamespace(
        default_vpc=default_vpc,
        default_subnets=default_subnets,
        default_main_table=_main_route_table(client, default_vpc),
        app=app,
        app_gateway=app_gateway,
        public=public,
        public_table=public_table,
        private=private,
        app_main_table=app_main_table,
        edge=edge,
        edge_gateway=edge_gateway,
        edge_subnet=edge_subnet,
        edge_main_table=edge_main_table,
    )


def _main_route_table(client, vpc_id: str) -> str:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    return client.describe_route_tables(Filters=filters)["RouteTables"][0]["RouteTableId"]


@pytest.fixture
def groups(client, network):
    """web: one ingress permission with 2 IPv4 ranges, 1 IPv6 range, 1 prefix list and 1 group (5 rules), plus
    all traffic from itself; db: PostgreSQL from web only. Each VPC also has its default group."""
    corp = client.create_managed_prefix_list(
        PrefixListName="corp", AddressFamily="IPv4", MaxEntries=5, Entries=[{"Cidr": "192.0.2.0/24"}]
    )["PrefixList"]["PrefixListId"]
    web = client.create_security_group(GroupName="web", Description="web tier", VpcId=network.app)["GroupId"]
    db = client.create_security_group(GroupName="db", Description="database tier", VpcId=network.app)["GroupId"]
    client.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}, {"CidrIp": "10.0.0.0/8"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                "PrefixListIds": [{"PrefixListId": corp}],
                "UserIdGroupPairs": [{"GroupId": db, "Description": "from db"}],
            },
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": web}]},
        ],
    )
    client.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}],
    )
    defaults = {
        group["VpcId"]: group["GroupId"]
        for group in client.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
            "SecurityGroups"
        ]
    }
    return SimpleNamespace(web=web, db=db, corp=corp, defaults=defaults)


@pytest.fixture
def key_pairs(client):
    deploy = client.create_key_pair(KeyName="deploy", KeyType="rsa")  # moto omits the default type on reads
    ops = client.create_key_pair(KeyName="ops", KeyType="ed25519", TagSpecifications=name_tag("key-pair", "Ops key"))
    return SimpleNamespace(deploy=deploy, ops=ops)


@pytest.fixture
def instances(account_session, client, network, groups, key_pairs):
    """web: in the public subnet (no public IP: the subnet does not map one), IMDSv2 only, two EBS volumes (one
    encrypted and kept on termination), an instance profile, planted secret in its user data.
    batch: in the default VPC with a public IP and the defaults for everything."""
    iam = account_session.client("iam")
    iam.create_role(RoleName="web", AssumeRolePolicyDocument="{}")
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="web")
    web = client.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        KeyName="deploy",
        SubnetId=network.public,
        SecurityGroupIds=[groups.web, groups.db],
        IamInstanceProfile={"Arn": profile},
        Monitoring={"Enabled": True},
        MetadataOptions={"HttpTokens": "required"},
        UserData=PLANTED_SECRET,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "DeleteOnTermination": True}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20, "DeleteOnTermination": False, "Encrypted": True}},
        ],
        TagSpecifications=name_tag("instance", "web-1"),
    )["Instances"][0]
    batch = client.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]
    described = {
        instance["InstanceId"]: instance
        for reservation in client.describe_instances()["Reservations"]
        for instance in reservation["Instances"]
    }
    return SimpleNamespace(
        web=described[web["InstanceId"]], batch=described[batch["InstanceId"]], profile=profile
    )


def test_vpcs_are_public_only_with_an_attached_internet_gateway(network, regional):
    vpcs = collected(ec2.AWS_VPC, regional)

    assert set(vpcs) == {arn(f"vpc/{network.default_vpc}"), arn(f"vpc/{network.app}"), arn(f"vpc/{network.edge}")}
    app = vpcs[arn(f"vpc/{network.app}")]
    assert app["_class"] == ["Network"]
    assert (app["name"], app["displayName"], app["vpcId"]) == (network.app, "app", network.app)
    assert app["arn"] == app["_key"]
    assert app["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/vpcconsole/home?region={REGION}#VpcDetails:VpcId={network.app}"
    )
    assert app["CIDR"] == "10.0.0.0/16"
    assert app["cidrBlocks"] == ["10.0.0.0/16", "10.1.0.0/16"]
    assert len(app["ipv6CidrBlocks"]) == 1 and app["ipv6CidrBlocks"][0].endswith("::/56")
    assert (app["public"], app["internal"], app["internetGatewayIds"]) == (True, False, [network.app_gateway])
    assert (app["isDefault"], app["state"], app["instanceTenancy"]) == (False, "available", "default")
    assert app["tags"] == [("Name", "app")]

    default = vpcs[arn(f"vpc/{network.default_vpc}")]
    assert default["isDefault"] is True
    assert default["CIDR"] == "172.31.0.0/16"
    assert default["ipv6CidrBlocks"] == []
    assert (default["public"], default["internal"], default["internetGatewayIds"]) == (False, True, [])
    assert vpcs[arn(f"vpc/{network.edge}")]["internetGatewayIds"] == [network.edge_gateway]
    assert {row["accountId"] for row in vpcs.values()} == {ACCOUNT_ID}
    assert {row["region"] for row in vpcs.values()} == {REGION}
    assert regional.calls.by_operation() == {
        "ec2:DescribeInternetGateways": 1,
        "ec2:DescribeVpcs": 1,
        "sts:AssumeRole": 1,
    }


def test_subnets_are_public_when_their_effective_route_table_routes_to_an_internet_gateway(network, regional):
    subnets = collected(ec2.AWS_SUBNET, regional)

    default_subnets = {arn(f"subnet/{subnet_id}"): cidr for cidr, subnet_id in network.default_subnets.items()}
    assert sorted(default_subnets.values()) == ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]
    assert set(subnets) == {
        *default_subnets,
        arn(f"subnet/{network.public}"),
        arn(f"subnet/{network.private}"),
        arn(f"subnet/{network.edge_subnet}"),
    }
    public = subnets[arn(f"subnet/{network.public}")]
    assert (public["name"], public["displayName"], public["CIDR"]) == (network.public, "web", "10.0.1.0/24")
    assert (public["vpcId"], public["availabilityZone"], public["ownerId"]) == (network.app, "eu-west-1a", ACCOUNT_ID)
    assert (public["public"], public["internal"], public["routeTableId"]) == (True, False, network.public_table)
    assert (public["defaultForAz"], public["mapPublicIpOnLaunch"]) == (False, False)
    assert public["availableIpAddressCount"] == 251  # a /24 less the 5 addresses AWS reserves
    assert public["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/vpcconsole/home?region={REGION}"
        f"#SubnetDetails:subnetId={network.public}"
    )

    private = subnets[arn(f"subnet/{network.private}")]
    assert (private["public"], private["internal"], private["routeTableId"]) == (False, True, network.app_main_table)

    edge = subnets[arn(f"subnet/{network.edge_subnet}")]
    assert (edge["public"], edge["routeTableId"]) == (True, network.edge_main_table)

    for key, cidr in default_subnets.items():
        row = subnets[key]
        assert (row["CIDR"], row["vpcId"], row["defaultForAz"], row["mapPublicIpOnLaunch"]) == (
            cidr,
            network.default_vpc,
            True,
            True,
        )
        # moto gives the default VPC no internet gateway (AWS does), so its subnets are internal here.
        assert (row["public"], row["routeTableId"]) == (False, network.default_main_table)
    assert regional.calls.by_operation() == {
        "ec2:DescribeRouteTables": 1,
        "ec2:DescribeSubnets": 1,
        "sts:AssumeRole": 1,
    }


def test_security_groups_keep_every_rule_one_per_source(network, groups, regional):
    security_groups = collected(ec2.AWS_SECURITY_GROUP, regional)

    assert set(groups.defaults) == {network.default_vpc, network.app, network.edge}
    assert set(security_groups) == {
        arn(f"security-group/{group_id}") for group_id in (groups.web, groups.db, *groups.defaults.values())
    }
    web = security_groups[arn(f"security-group/{groups.web}")]
    assert web["_class"] == ["Firewall"]
    assert web["category"] == ["network"]
    assert (web["name"], web["groupId"], web["groupName"]) == ("web", groups.web, "web")
    assert (web["description"], web["vpcId"], web["isDefault"]) == ("web tier", network.app, False)
    assert web["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/ec2/home?region={REGION}#SecurityGroup:groupId={groups.web}"
    )
    https = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443}
    no_source = {
        "cidrIpv4": None,
        "cidrIpv6": None,
        "prefixListId": None,
        "referencedGroupId": None,
        "referencedGroupAccountId": None,
        "description": None,
    }
    assert web["ingressRules"] == [
        {**https, **no_source, "cidrIpv4": "0.0.0.0/0", "description": "https"},
        {**https, **no_source, "cidrIpv4": "10.0.0.0/8"},
        {**https, **no_source, "cidrIpv6": "::/0"},
        {**https, **no_source, "prefixListId": groups.corp},
        {**https, **no_source, "referencedGroupId": groups.db, "referencedGroupAccountId": ACCOUNT_ID,
         "description": "from db"},
        {"ipProtocol": "-1", "fromPort": None, "toPort": None, **no_source, "referencedGroupId": groups.web,
         "referencedGroupAccountId": ACCOUNT_ID},
    ]
    all_traffic = {"ipProtocol": "-1", "fromPort": None, "toPort": None, **no_source}
    # moto adds ::/0 egress in a VPC with IPv6, as AWS does.
    assert web["egressRules"] == [{**all_traffic, "cidrIpv4": "0.0.0.0/0"}, {**all_traffic, "cidrIpv6": "::/0"}]
    assert web["openToInternet"] is True

    db = security_groups[arn(f"security-group/{groups.db}")]
    assert db["openToInternet"] is False
    assert db["ingressRules"] == [
        {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, **no_source, "referencedGroupId": groups.web,
         "referencedGroupAccountId": ACCOUNT_ID},
    ]

    default = security_groups[arn(f"security-group/{groups.defaults[network.default_vpc]}")]
    assert (default["name"], default["isDefault"], default["vpcId"]) == ("default", True, network.default_vpc)
    # AWS's default group also allows all traffic from itself; moto's has no ingress rule at all.
    assert default["ingressRules"] == []
    assert default["egressRules"] == [{**all_traffic, "cidrIpv4": "0.0.0.0/0"}]
    assert default["openToInternet"] is False
    assert regional.calls.by_operation() == {"ec2:DescribeSecurityGroups": 1, "sts:AssumeRole": 1}


def test_key_pairs_carry_no_private_key(key_pairs, regional):
    rows = collected(ec2.AWS_KEY_PAIR, regional)

    assert set(rows) == {arn("key-pair/deploy"), arn("key-pair/ops")}
    deploy = rows[arn("key-pair/deploy")]
    assert deploy["_class"] == ["AccessKey"]
    assert (deploy["name"], deploy["displayName"], deploy["active"]) == ("deploy", "deploy", True)
    assert (deploy["keyPairId"], deploy["keyType"]) == (key_pairs.deploy["KeyPairId"], "rsa")
    assert deploy["keyFingerprint"] == key_pairs.deploy["KeyFingerprint"]
    assert deploy["createdOn"].tzinfo is not None
    assert deploy["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/ec2/home?region={REGION}#KeyPairs:search=deploy"
    )
    ops = rows[arn("key-pair/ops")]
    assert (ops["displayName"], ops["keyType"]) == ("Ops key", "ed25519")

    private_key_body = key_pairs.deploy["KeyMaterial"].splitlines()[1]
    assert "PRIVATE KEY" in key_pairs.deploy["KeyMaterial"] and private_key_body not in repr(rows)
    assert regional.calls.by_operation() == {"ec2:DescribeKeyPairs": 1, "sts:AssumeRole": 1}


def test_instances_report_network_exposure_access_and_volumes(instances, network, groups, regional):
    rows = collected(ec2.AWS_INSTANCE, regional)

    web_id, batch_id = instances.web["InstanceId"], instances.batch["InstanceId"]
    assert set(rows) == {arn(f"instance/{web_id}"), arn(f"instance/{batch_id}")}
    web = rows[arn(f"instance/{web_id}")]
    assert web["_class"] == ["Host"]
    assert (web["name"], web["displayName"], web["instanceId"]) == (web_id, "web-1", web_id)
    assert web["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/ec2/home?region={REGION}#InstanceDetails:instanceId={web_id}"
    )
    assert (web["instanceType"], web["state"], web["imageId"]) == ("t3.micro", "running", IMAGE_ID)
    assert web["createdOn"] == web["launchTime"] == instances.web["LaunchTime"]
    assert (web["vpcId"], web["subnetId"], web["availabilityZone"]) == (network.app, network.public, "eu-west-1a")
    assert web["securityGroupIds"] == [groups.web, groups.db]
    assert (web["keyName"], web["instanceProfileArn"]) == ("deploy", instances.profile)
    assert (web["monitoringState"], web["metadataHttpTokens"], web["metadataHttpEndpoint"]) == (
        "enabled",
        "required",
        "enabled",
    )
    assert (web["public"], web["publicIpAddress"], web["publicDnsName"]) == (False, None, None)
    assert web["privateIpAddress"].startswith("10.0.1.")
    assert web["hostname"] == web["privateDnsName"] == instances.web["PrivateDnsName"]
    root, data = (mapping["Ebs"]["VolumeId"] for mapping in instances.web["BlockDeviceMappings"])
    assert web["ebsVolumeIds"] == [root, data]
    assert [{k: v for k, v in m.items() if k != "attachTime"} for m in web["blockDeviceMappings"]] == [
        {"deviceName": "/dev/xvda", "volumeId": root, "deleteOnTermination": True},
        {"deviceName": "/dev/sdf", "volumeId": data, "deleteOnTermination": False},
    ]
    assert all(m["attachTime"].tzinfo is not None for m in web["blockDeviceMappings"])
    assert web["tags"] == [("Name", "web-1")]

    batch = rows[arn(f"instance/{batch_id}")]
    assert batch["displayName"] == batch_id
    assert batch["vpcId"] == network.default_vpc
    assert (batch["public"], batch["publicIpAddress"]) == (True, instances.batch["PublicIpAddress"])
    assert batch["hostname"] == batch["publicDnsName"] == instances.batch["PublicDnsName"]
    assert (batch["keyName"], batch["instanceProfileArn"], batch["metadataHttpTokens"]) == (None, None, "optional")
    assert batch["securityGroupIds"] == [groups.defaults[network.default_vpc]]
    assert batch["monitoringState"] == "disabled"

    assert PLANTED_SECRET not in repr(rows)
    assert regional.calls.by_operation() == {"ec2:DescribeInstances": 1, "sts:AssumeRole": 1}


def test_instances_are_read_page_by_page(client, regional, monkeypatch):
    monkeypatch.setitem(ec2.PAGE_SIZES, "describe_instances", 5)
    launched = [client.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1) for _ in range(11)]
    launched.append(client.run_instances(ImageId=IMAGE_ID, MinCount=2, MaxCount=2))  # one reservation, two instances
    instance_ids = [instance["InstanceId"] for reservation in launched for instance in reservation["Instances"]]

    rows = collected(ec2.AWS_INSTANCE, regional)

    assert set(rows) == {arn(f"instance/{instance_id}") for instance_id in instance_ids}
    assert len(rows) == 13
    # AWS pages DescribeInstances by reservation: 12 reservations in pages of 5.
    assert regional.calls.by_operation()["ec2:DescribeInstances"] == 3


def test_volumes_report_encryption_snapshot_and_attachments(account_session, client, instances, regional):
    kms_key = account_session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    archive = client.create_volume(
        AvailabilityZone="eu-west-1a",
        Size=50,
        VolumeType="io1",
        Iops=300,
        Encrypted=True,
        KmsKeyId=kms_key,
        MultiAttachEnabled=True,
        TagSpecifications=name_tag("volume", "archive", Classification="confidential"),
    )["VolumeId"]
    snapshot = client.create_snapshot(VolumeId=archive)["SnapshotId"]
    restored = client.create_volume(AvailabilityZone="eu-west-1a", SnapshotId=snapshot, VolumeType="gp3")["VolumeId"]
    client.attach_volume(VolumeId=restored, InstanceId=instances.batch["InstanceId"], Device="/dev/sdg")
    scratch = client.create_volume(AvailabilityZone="eu-west-1b", Size=10)["VolumeId"]
    web_root, web_data = (mapping["Ebs"]["VolumeId"] for mapping in instances.web["BlockDeviceMappings"])
    (batch_root,) = (mapping["Ebs"]["VolumeId"] for mapping in instances.batch["BlockDeviceMappings"])

    volumes = collected(ec2.AWS_EBS_VOLUME, regional)

    assert set(volumes) == {
        arn(f"volume/{volume_id}") for volume_id in (archive, restored, scratch, web_root, web_data, batch_root)
    }
    encrypted = {row["volumeId"]: row["encrypted"] for row in volumes.values()}
    assert encrypted == {
        archive: True,
        restored: True,  # a volume restored from an encrypted snapshot is encrypted
        scratch: False,
        web_root: False,
        web_data: True,
        batch_root: False,
    }
    archived = volumes[arn(f"volume/{archive}")]
    assert archived["_class"] == ["DataStore", "Disk"]
    assert (archived["name"], archived["displayName"]) == (archive, "archive")
    assert archived["classification"] == "confidential"
    assert (archived["kmsKeyId"], archived["volumeType"], archived["iops"], archived["size"]) == (
        kms_key,
        "io1",
        300,
        50,
    )
    assert (archived["state"], archived["multiAttachEnabled"], archived["snapshotId"]) == ("available", True, None)
    assert (archived["attachedInstanceIds"], archived["attachments"]) == ([], [])
    assert archived["createdOn"].tzinfo is not None
    assert archived["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/ec2/home?region={REGION}#VolumeDetails:volumeId={archive}"
    )

    restored_row = volumes[arn(f"volume/{restored}")]
    assert restored_row["snapshotId"] == snapshot
    assert restored_row["attachedInstanceIds"] == [instances.batch["InstanceId"]]
    # moto's DescribeVolumes leaves DeleteOnTermination out of attachments (AWS includes it).
    assert restored_row["attachments"] == [
        {"instanceId": instances.batch["InstanceId"], "device": "/dev/sdg", "deleteOnTermination": None,
         "state": "attached"}
    ]
    assert volumes[arn(f"volume/{web_data}")]["attachedInstanceIds"] == [instances.web["InstanceId"]]
    assert volumes[arn(f"volume/{scratch}")]["availabilityZone"] == "eu-west-1b"
    assert regional.calls.by_operation() == {"ec2:DescribeVolumes": 1, "sts:AssumeRole": 1}


def test_every_paginated_call_asks_for_the_largest_page(instances, regional):
    page_sizes: dict[str, int | None] = {}

    def record(params, model, **_kwargs):
        page_sizes[model.name] = params.get("MaxResults")

    regional.session.events.register("provide-client-params.ec2.*", record)
    for entity_type in ec2.SERVICE.entity_types:
        entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION)

    assert page_sizes == {
        "DescribeInstances": 1000,
        "DescribeKeyPairs": None,
        "DescribeVolumes": 1000,
        "DescribeSecurityGroups": 1000,
        "DescribeVpcs": 1000,
        "DescribeInternetGateways": 1000,
        "DescribeSubnets": 1000,
        "DescribeRouteTables": 100,
        "DescribeNetworkAcls": 1000,
        "DescribeFlowLogs": 1000,
        "GetEbsEncryptionByDefault": None,  # one answer per region, nothing to page
    }
    calls = regional.calls.by_operation()
    assert calls.pop("sts:AssumeRole") == 1
    assert calls == {f"ec2:{operation}": 1 for operation in page_sizes}


# ---- pure transforms: what moto cannot produce --------------------------------------------------------------------


def test_instance_with_several_interfaces_counts_all_their_groups_and_public_addresses():
    instance = {
        "InstanceId": "i-0multi",
        "State": {"Name": "stopped"},
        "PrivateIpAddress": "10.0.1.9",
        "PrivateDnsName": "",
        "PublicDnsName": "",
        "Platform": "windows",
        "PlatformDetails": "Windows",
        "RootDeviceName": "/dev/sda1",
        "SecurityGroups": [{"GroupId": "sg-primary"}],
        "NetworkInterfaces": [
            {"Groups": [{"GroupId": "sg-primary"}]},
            {"Groups": [{"GroupId": "sg-secondary"}], "Association": {"PublicIp": "203.0.113.7"}},
        ],
    }

    (row,) = ec2.instance_rows([{"Instances": [instance]}], ACCOUNT_ID, REGION)

    assert row["securityGroupIds"] == ["sg-primary", "sg-secondary"]
    assert (row["public"], row["publicIpAddress"]) == (True, None)
    assert (row["publicDnsName"], row["privateDnsName"], row["hostname"]) == (None, None, "10.0.1.9")
    assert (row["platform"], row["platformDetails"], row["rootDeviceName"]) == ("windows", "Windows", "/dev/sda1")
    assert (row["ebsVolumeIds"], row["blockDeviceMappings"]) == ([], [])
    ec2.AWS_INSTANCE.to_table([row], ACCOUNT_ID, REGION)


def test_multi_attached_volume_lists_every_instance_and_keeps_delete_on_termination():
    volume = {
        "VolumeId": "vol-0shared",
        "Encrypted": False,
        "SnapshotId": "",
        "MultiAttachEnabled": True,
        "Attachments": [
            {"InstanceId": "i-1", "Device": "/dev/sdf", "DeleteOnTermination": False, "State": "attached"},
            {"InstanceId": "i-2", "Device": "/dev/sdf", "DeleteOnTermination": True, "State": "attaching"},
        ],
    }

    (row,) = ec2.volume_rows([volume], ACCOUNT_ID, REGION)

    assert row["attachedInstanceIds"] == ["i-1", "i-2"]
    assert [a["deleteOnTermination"] for a in row["attachments"]] == [False, True]
    assert (row["snapshotId"], row["encrypted"]) == (None, False)


def test_cross_account_and_ipv6_only_rules_of_a_shared_group():
    group = {
        "GroupId": "sg-0shared",
        "GroupName": "partners",
        "OwnerId": OTHER_ACCOUNT,
        "IpPermissions": [
            {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "PrefixListIds": [{"PrefixListId": "pl-0vpn", "Description": "vpn"}],
                "UserIdGroupPairs": [{"GroupId": "sg-0bastion", "UserId": OTHER_ACCOUNT, "Description": "bastion"}],
            },
        ],
    }

    (row,) = ec2.security_group_rows([group], ACCOUNT_ID, REGION)

    assert row["_key"] == arn("security-group/sg-0shared", OTHER_ACCOUNT)
    assert row["openToInternet"] is True  # from ::/0 alone
    assert row["ingressRules"] == [
        {"ipProtocol": "icmp", "fromPort": 8, "toPort": -1, "cidrIpv6": "::/0", "description": None},
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "prefixListId": "pl-0vpn", "description": "vpn"},
        {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "referencedGroupId": "sg-0bastion",
         "referencedGroupAccountId": OTHER_ACCOUNT, "description": "bastion"},
    ]
    assert row["egressRules"] == []
    table_row = ec2.AWS_SECURITY_GROUP.to_table([row], ACCOUNT_ID, REGION).to_pylist()[0]
    assert table_row["ingressRules"][2]["cidrIpv4"] is None


def test_detached_gateways_and_blackhole_routes_do_not_make_a_network_public():
    vpcs = [
        {
            "VpcId": "vpc-0shared",
            "OwnerId": OTHER_ACCOUNT,
            "CidrBlock": "10.0.0.0/16",
            "CidrBlockAssociationSet": [
                {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
                {"CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociated"}},
            ],
        },
    ]
    gateways = [{"InternetGatewayId": "igw-0old", "Attachments": [{"VpcId": "vpc-0shared", "State": "detached"}]}]
    subnets = [
        {"SubnetId": "subnet-0main", "VpcId": "vpc-0shared", "OwnerId": OTHER_ACCOUNT},
        {"SubnetId": "subnet-0blackhole", "VpcId": "vpc-0shared"},
        {"SubnetId": "subnet-0egress", "VpcId": "vpc-0shared"},
    ]
    route_tables = [
        {
            "RouteTableId": "rtb-main",
            "VpcId": "vpc-0shared",
            "Associations": [{"Main": True, "AssociationState": {"State": "associated"}}],
            "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0new", "State": "active"}],
        },
        {
            "RouteTableId": "rtb-blackhole",
            "VpcId": "vpc-0shared",
            "Associations": [{"SubnetId": "subnet-0blackhole", "AssociationState": {"State": "associated"}}],
            "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0old", "State": "blackhole"}],
        },
        {
            "RouteTableId": "rtb-egress",
            "VpcId": "vpc-0shared",
            "Associations": [{"SubnetId": "subnet-0egress", "AssociationState": {"State": "associated"}}],
            "Routes": [
                {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0", "State": "active"}
            ],
        },
    ]

    (vpc,) = ec2.vpc_rows(vpcs, gateways, ACCOUNT_ID, REGION)
    subnet_rows = {row["subnetId"]: row for row in ec2.subnet_rows(subnets, route_tables, ACCOUNT_ID, REGION)}

    assert vpc["_key"] == arn("vpc/vpc-0shared", OTHER_ACCOUNT)
    assert (vpc["public"], vpc["internetGatewayIds"], vpc["cidrBlocks"]) == (False, [], ["10.0.0.0/16"])
    assert subnet_rows["subnet-0main"]["_key"] == arn("subnet/subnet-0main", OTHER_ACCOUNT)
    assert {subnet_id: (row["public"], row["routeTableId"]) for subnet_id, row in subnet_rows.items()} == {
        "subnet-0main": (True, "rtb-main"),
        "subnet-0blackhole": (False, "rtb-blackhole"),
        "subnet-0egress": (False, "rtb-egress"),
    }
    ec2.AWS_SUBNET.to_table(subnet_rows.values(), ACCOUNT_ID, REGION)
    ec2.AWS_VPC.to_table([vpc], ACCOUNT_ID, REGION)


def test_entity_types_match_the_spec_and_every_column_is_described():
    assert [(entity_type.type, entity_type.classes) for entity_type in ec2.SERVICE.entity_types] == [
        ("aws_instance", ("Host",)),
        ("aws_key_pair", ("AccessKey",)),
        ("aws_ebs_volume", ("DataStore", "Disk")),
        ("aws_security_group", ("Firewall",)),
        ("aws_vpc", ("Network",)),
        ("aws_subnet", ("Network",)),
        ("aws_network_acl", ("Firewall",)),
        ("aws_vpc_flow_log", ("Configuration",)),
        ("aws_ec2_regional_settings", ("Configuration",)),
    ]
    for entity_type in ec2.SERVICE.entity_types:
        for column in entity_type.all_columns:
            assert column.description.strip(), f"{entity_type.type}.{column.name}"

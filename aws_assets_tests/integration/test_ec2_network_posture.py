from aws_assets.services import ec2
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, serve_in_pages

LOG_GROUP = "vpc-flow-logs"


def seed_network(account_session) -> dict[str, str]:
    """A VPC with one subnet associated with the ACL `admin-open` (SSH from anywhere, then deny all), a flow log of
    the VPC to CloudWatch Logs and one of the subnet to S3."""
    client = account_session.client("ec2", region_name=REGION)
    vpc_id = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet_id = client.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    name_tag = {"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "admin-open"}]}
    acl_id = client.create_network_acl(VpcId=vpc_id, TagSpecifications=[name_tag])["NetworkAcl"]["NetworkAclId"]
    client.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=200, Protocol="-1", RuleAction="deny",
                                    Egress=False, CidrBlock="0.0.0.0/0")
    client.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="6", RuleAction="allow",
                                    Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    client.create_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                    Egress=True, CidrBlock="0.0.0.0/0")
    [association] = [a for acl in client.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
        for a in acl["Associations"] if a["SubnetId"] == subnet_id]
    client.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id)
    vpc_log = client.create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType="ALL", LogGroupName=LOG_GROUP,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT_ID}:role/flow-logs")["FlowLogIds"][0]
    account_session.client("s3", region_name=REGION).create_bucket(  # moto, as AWS, wants the bucket to exist
        Bucket="acme-flow-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    # moto looks the whole path after ::: up as a bucket name, so this destination names no key prefix.
    subnet_log = client.create_flow_logs(
        ResourceIds=[subnet_id], ResourceType="Subnet", TrafficType="REJECT", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::acme-flow-logs")["FlowLogIds"][0]
    return {"vpc": vpc_id, "subnet": subnet_id, "acl": acl_id, "vpc_log": vpc_log, "subnet_log": subnet_log}


def collect(regional, entity_type) -> list[dict]:
    return entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()


def test_network_acls_with_their_subnets_and_rules_in_order(account_session, regional):
    seeded = seed_network(account_session)

    rows = {row["networkAclId"]: row for row in collect(regional, ec2.AWS_NETWORK_ACL)}

    acl = rows[seeded["acl"]]
    assert acl["_key"] == f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:network-acl/{seeded['acl']}"
    assert (acl["displayName"], acl["vpcId"], acl["isDefault"]) == ("admin-open", seeded["vpc"], False)
    assert acl["subnetIds"] == [seeded["subnet"]]
    assert [(e["ruleNumber"], e["ruleAction"], e["protocol"], e["fromPort"], e["toPort"], e["cidrIpv4"])
            for e in acl["ingressEntries"]] == [(100, "allow", "6", 22, 22, "0.0.0.0/0"),
                                                (200, "deny", "-1", None, None, "0.0.0.0/0")]
    assert [(e["ruleNumber"], e["egress"]) for e in acl["egressEntries"]] == [(100, True)]
    assert acl["_class"] == ["Firewall"]
    # The VPCs' default ACLs (the new VPC's and moto's default VPC's) are there too.
    defaults = [row for row in rows.values() if row["isDefault"]]
    assert seeded["vpc"] in {row["vpcId"] for row in defaults} and len(defaults) == 2


def test_flow_logs_of_a_vpc_and_a_subnet_with_their_destinations(account_session, regional):
    seeded = seed_network(account_session)

    rows = {row["resourceId"]: row for row in collect(regional, ec2.AWS_VPC_FLOW_LOG)}

    vpc_log, subnet_log = rows[seeded["vpc"]], rows[seeded["subnet"]]
    assert vpc_log["_key"] == f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc-flow-log/{seeded['vpc_log']}"
    assert (vpc_log["resourceType"], vpc_log["trafficType"], vpc_log["logDestinationType"]) == (
        "VPC", "ALL", "cloud-watch-logs")
    assert vpc_log["logDestination"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{LOG_GROUP}"
    assert (subnet_log["resourceType"], subnet_log["trafficType"], subnet_log["logDestinationType"]) == (
        "Subnet", "REJECT", "s3")
    assert subnet_log["logDestination"] == "arn:aws:s3:::acme-flow-logs"
    assert vpc_log["flowLogStatus"] == "ACTIVE"


def test_acls_and_flow_logs_are_read_past_the_first_page(account_session, regional):
    seed_network(account_session)
    client = account_session.client("ec2", region_name=REGION)
    acls, flow_logs = client.describe_network_acls()["NetworkAcls"], client.describe_flow_logs()["FlowLogs"]
    serve_in_pages(regional, "ec2", "DescribeNetworkAcls", "NetworkAcls", lambda _: acls, token="NextToken")
    serve_in_pages(regional, "ec2", "DescribeFlowLogs", "FlowLogs", lambda _: flow_logs, token="NextToken")

    assert len(ec2.AWS_NETWORK_ACL.collect(regional)) == len(acls) == 3
    assert len(ec2.AWS_VPC_FLOW_LOG.collect(regional)) == len(flow_logs) == 2
    calls = regional.calls.by_operation()
    assert (calls["ec2:DescribeNetworkAcls"], calls["ec2:DescribeFlowLogs"]) == (3, 2)


def test_ebs_encryption_by_default_is_one_row_per_region(account_session, regional):
    [before] = collect(regional, ec2.AWS_EC2_REGIONAL_SETTINGS)
    account_session.client("ec2", region_name=REGION).enable_ebs_encryption_by_default()
    [after] = collect(regional, ec2.AWS_EC2_REGIONAL_SETTINGS)

    assert before["_key"] == after["_key"] == f"aws_ec2_regional_settings:{ACCOUNT_ID}:{REGION}"
    assert (before["ebsEncryptionByDefault"], after["ebsEncryptionByDefault"]) == (False, True)
    assert regional.calls.by_operation()["ec2:GetEbsEncryptionByDefault"] == 2

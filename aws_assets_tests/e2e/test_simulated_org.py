"""The simulated organisation holds exactly the estate its modules' docstrings promise.

The count of each entity type per account is what the estate modules declare (`expected_counts`), so adding to the
estate needs no edit here. Finer figures (per region, per credential or instance state, names) are written out,
so a seeding mistake shows up as a wrong number instead of being mirrored by the test.
"""

from __future__ import annotations

import json
import pkgutil
import re
import time
from collections import Counter

import boto3
import pytest

from aws_assets.sim import estate
from aws_assets.sim.organisation import (
    ACCOUNTS,
    DEV,
    LAMBDA_ENVIRONMENT_SECRET,
    OPERATOR_ACCOUNT_ID,
    PROD,
    REGIONS,
    SHARED,
    SimulatedOrg,
    expected_counts,
    external_id_for,
)
from aws_assets_tests.conftest import seeded_org

US, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"


@pytest.fixture(scope="module")
def seeded():
    # On a server of its own, emptied first: moto servers of one process share their backends, and the synced
    # organisation of the other end-to-end tests may already be there.
    started = time.perf_counter()
    with seeded_org("sim") as (organisation, endpoint_url):
        print(f"\nseed(scale=1) took {time.perf_counter() - started:.2f} s")
        yield endpoint_url, organisation


@pytest.fixture(scope="module")
def clients_for(seeded):
    """clients_for(account_id)(service, region) -> a client acting inside that account."""
    endpoint_url, _ = seeded
    base = boto3.Session(
        aws_access_key_id="auditor", aws_secret_access_key="auditor", region_name=US
    )
    sts = base.client("sts", endpoint_url=endpoint_url)
    sessions: dict[str, boto3.Session] = {}

    def for_account(account_id: str):
        if account_id not in sessions:
            credentials = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/aws-assets-readonly",
                RoleSessionName="test",
                ExternalId=external_id_for(account_id),
            )["Credentials"]
            sessions[account_id] = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )

        def client(service: str, region: str = US):
            return sessions[account_id].client(
                service, region_name=region, endpoint_url=endpoint_url
            )

        return client

    return for_account


def paginate(client, operation: str, key: str, **kwargs) -> list:
    return [
        item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])
    ]


# --- integration instances -------------------------------------------------------------------


def test_instances_name_one_readonly_role_per_seeded_account(seeded, tmp_path):
    _, organisation = seeded
    instances = organisation.instances()

    assert [instance["name"] for instance in instances] == list(ACCOUNTS.values())
    account_ids = []
    for instance, account in zip(instances, organisation.accounts):
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/aws-assets-readonly", instance["roleArn"])
        assert match, instance["roleArn"]
        assert match.group(1) == account.account_id
        assert instance["externalId"] == account.external_id == external_id_for(account.account_id)
        assert instance["regions"] == [US, EU, AP]
        account_ids.append(match.group(1))
    assert account_ids == [PROD, DEV, SHARED]
    assert len({instance["externalId"] for instance in instances}) == 3
    assert organisation.operator_account_id == OPERATOR_ACCOUNT_ID == "123456789012"
    assert OPERATOR_ACCOUNT_ID not in account_ids
    assert organisation.regions == REGIONS == (US, EU, AP)

    written = organisation.write_instances_file(tmp_path / "config" / "instances.json")
    assert json.loads(written.read_text()) == instances
    assert [p.name for p in written.parent.iterdir()] == ["instances.json"]  # no temp file left


def test_every_estate_module_seeds_after_the_seeders_it_builds_on():
    order = estate.seeders()
    assert len(order) == len(list(pkgutil.iter_modules(estate.__path__)))
    for position, seeder in enumerate(order):
        assert all(order.index(earlier) < position for earlier in seeder.after), seeder.seed.__module__


def test_instances_file_replaces_an_existing_file(tmp_path):
    organisation = SimulatedOrg(accounts=(), regions=(US,), operator_account_id=OPERATOR_ACCOUNT_ID)
    target = tmp_path / "instances.json"
    target.write_text("stale")
    organisation.write_instances_file(target)
    assert json.loads(target.read_text()) == []


# --- IAM -------------------------------------------------------------------------------------

DECLARED_COUNTS = expected_counts()
CREDENTIAL_STATES = {
    # login profiles, inactive access keys (dev's ci-deploy keeps both its keys active)
    PROD: (7, 1),
    DEV: (6, 0),
    SHARED: (5, 1),
}


@pytest.mark.parametrize("account_id", [PROD, DEV, SHARED])
def test_iam_principals_and_policies_per_account(clients_for, account_id):
    iam = clients_for(account_id)("iam")
    users = paginate(iam, "list_users", "Users")
    groups = paginate(iam, "list_groups", "Groups")
    roles = paginate(iam, "list_roles", "Roles")
    # The customer managed policies, and the AWS managed ones in use (aws-assets keeps those only).
    policies = paginate(iam, "list_policies", "Policies", Scope="Local") + paginate(
        iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True)
    login_profiles = 0
    for user in users:
        try:
            iam.get_login_profile(UserName=user["UserName"])
            login_profiles += 1
        except iam.exceptions.NoSuchEntityException:
            pass
    keys = [
        key
        for user in users
        for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user["UserName"])
    ]
    mfa_devices = [
        device
        for user in users
        for device in paginate(iam, "list_mfa_devices", "MFADevices", UserName=user["UserName"])
    ]
    user_inline = sum(
        len(paginate(iam, "list_user_policies", "PolicyNames", UserName=u["UserName"])) for u in users
    )
    group_inline = sum(
        len(paginate(iam, "list_group_policies", "PolicyNames", GroupName=g["GroupName"]))
        for g in groups
    )
    role_inline = sum(
        len(paginate(iam, "list_role_policies", "PolicyNames", RoleName=r["RoleName"])) for r in roles
    )
    observed = {
        "aws_iam_user": len(users),
        "aws_iam_group": len(groups),
        "aws_iam_role": len(roles),
        "aws_iam_policy": len(policies),
        "aws_iam_access_key": len(keys),
        "mfa_device": len(mfa_devices),
        "aws_iam_user_policy": user_inline,
        "aws_iam_group_policy": group_inline,
        "aws_iam_role_policy": role_inline,
    }
    assert observed == {entity_type: DECLARED_COUNTS[entity_type][account_id] for entity_type in observed}
    inactive = [key for key in keys if key["Status"] == "Inactive"]
    assert (login_profiles, len(inactive)) == CREDENTIAL_STATES[account_id]
    assert {key["UserName"] for key in inactive} <= {"ci-deploy"}
    assert {d["UserName"] for d in mfa_devices} >= {"alice", "dave"}


def test_integration_role_trusts_the_operator_with_the_external_id(clients_for):
    iam = clients_for(DEV)("iam")
    role = iam.get_role(RoleName="aws-assets-readonly")["Role"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id_for(DEV)}}
    attached = iam.list_attached_role_policies(RoleName="aws-assets-readonly")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [f"arn:aws:iam::{DEV}:policy/aws-assets-security-audit"]


def test_users_carry_the_email_shapes(clients_for):
    iam = clients_for(PROD)("iam")
    tags = {
        user["UserName"]: {
            tag["Key"]: tag["Value"] for tag in iam.list_user_tags(UserName=user["UserName"])["Tags"]
        }
        for user in paginate(iam, "list_users", "Users")
    }
    assert tags["alice"]["Email"] == "alice@example.com"
    assert tags["dave"]["Email"] == "not-an-email"
    assert "Email" not in tags["bob.smith@example.com"]
    assert tags["engineer-03"]["Email"] == "engineer-03@example.com"
    assert sorted(name for name, t in tags.items() if "Email" in t) == [
        "alice", "dave", "engineer-01", "engineer-02", "engineer-03"
    ]


def test_admin_policy_and_policy_versions(clients_for):
    iam = clients_for(SHARED)("iam")
    admin_arn = f"arn:aws:iam::{SHARED}:policy/acme-admin-access"
    admin = iam.get_policy_version(PolicyArn=admin_arn, VersionId="v1")["PolicyVersion"]
    assert admin["Document"]["Statement"][0]["Action"] == "*"
    assert admin["Document"]["Statement"][0]["Resource"] == "*"
    entities = iam.list_entities_for_policy(PolicyArn=admin_arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["break-glass"]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["admins"]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == ["admin-escalation"]

    versions = iam.list_policy_versions(PolicyArn=f"arn:aws:iam::{SHARED}:policy/acme-s3-read-artifacts")
    assert sorted((v["VersionId"], v["IsDefaultVersion"]) for v in versions["Versions"]) == [
        ("v1", False),
        ("v2", True),
    ]


def test_role_trust_shapes(clients_for):
    prod_iam = clients_for(PROD)("iam")

    def principal_and_condition(iam, role_name):
        statement = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
        return statement["Principal"], statement.get("Condition")

    pipeline_arn = f"arn:aws:iam::{SHARED}:role/deployment-pipeline"
    assert principal_and_condition(prod_iam, "cross-account-deploy") == ({"AWS": pipeline_arn}, None)
    assert clients_for(SHARED)("iam").get_role(RoleName="deployment-pipeline")["Role"]["Arn"] == pipeline_arn
    assert principal_and_condition(prod_iam, "external-auditor") == (
        {"AWS": "arn:aws:iam::999999999999:root"},
        None,
    )
    principal, condition = principal_and_condition(prod_iam, "org-readonly")
    assert principal == {"AWS": "*"}
    assert "aws:PrincipalOrgID" in condition["StringEquals"]
    principal, _ = principal_and_condition(prod_iam, "okta-engineer")
    assert principal == {"Federated": f"arn:aws:iam::{PROD}:saml-provider/okta"}
    assert principal_and_condition(prod_iam, "lambda-execution")[0] == {"Service": "lambda.amazonaws.com"}
    profile = prod_iam.get_instance_profile(InstanceProfileName="ec2-app")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["ec2-app"]


# --- EC2 -------------------------------------------------------------------------------------

EC2_COUNTS = {
    # (account, region): vpcs, subnets, security groups, instances, stopped, volumes,
    #                    encrypted volumes, key pairs
    (PROD, US): (2, 10, 7, 5, 1, 9, 4, 2),  # and prod-file-share
    (PROD, EU): (2, 7, 6, 3, 0, 5, 2, 1),
    (PROD, AP): (2, 7, 6, 2, 0, 4, 2, 1),
    (DEV, US): (2, 10, 7, 3, 1, 5, 2, 2),  # and dev-reporting-postgres
    (DEV, EU): (2, 7, 6, 2, 0, 4, 2, 1),
    (DEV, AP): (2, 7, 6, 1, 0, 2, 0, 1),
    (SHARED, US): (2, 10, 7, 2, 0, 4, 2, 2),  # and shared-file-share
    (SHARED, EU): (2, 7, 6, 2, 0, 4, 2, 1),
    (SHARED, AP): (2, 7, 6, 3, 0, 5, 2, 1),
}


@pytest.mark.parametrize(("account_id", "region"), sorted(EC2_COUNTS))
def test_ec2_per_account_and_region(clients_for, account_id, region):
    ec2 = clients_for(account_id)("ec2", region)
    instances = [
        instance
        for reservation in paginate(ec2, "describe_instances", "Reservations")
        for instance in reservation["Instances"]
    ]
    volumes = paginate(ec2, "describe_volumes", "Volumes")
    observed = (
        len(paginate(ec2, "describe_vpcs", "Vpcs")),
        len(paginate(ec2, "describe_subnets", "Subnets")),
        len(paginate(ec2, "describe_security_groups", "SecurityGroups")),
        len(instances),
        sum(instance["State"]["Name"] == "stopped" for instance in instances),
        len(volumes),
        sum(volume["Encrypted"] for volume in volumes),
        len(ec2.describe_key_pairs()["KeyPairs"]),
    )
    assert observed == EC2_COUNTS[(account_id, region)]
    env = ACCOUNTS[account_id]
    names = [next(t["Value"] for t in i["Tags"] if t["Key"] == "Name") for i in instances]
    assert names.count(f"{env}-bastion") == 1


def test_security_group_rule_shapes(clients_for):
    ec2 = clients_for(PROD)("ec2", EU)
    groups = {g["GroupName"]: g for g in paginate(ec2, "describe_security_groups", "SecurityGroups")}
    ssh = groups["prod-bastion-ssh"]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in ssh] == [(22, "0.0.0.0/0")]
    web = groups["prod-web-https"]["IpPermissions"][0]
    assert web["FromPort"] == 443 and web["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    app_rules = {p["FromPort"]: p for p in groups["prod-app"]["IpPermissions"]}
    assert app_rules[8080]["UserIdGroupPairs"][0]["GroupId"] == groups["prod-web-https"]["GroupId"]
    assert app_rules[22]["PrefixListIds"][0]["PrefixListId"].startswith("pl-")
    assert sorted(p["FromPort"] for p in groups["prod-app"]["IpPermissionsEgress"]) == [443, 5432]
    assert groups["prod-database"]["IpPermissionsEgress"] == []


def test_instances_use_profile_key_and_attached_volumes(clients_for):
    ec2 = clients_for(PROD)("ec2", US)
    instances = {
        next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i
        for r in paginate(ec2, "describe_instances", "Reservations")
        for i in r["Instances"]
    }
    assert sorted(instances) == [
        "prod-bastion", "prod-web-01", "prod-web-02", "prod-worker-01", "prod-worker-02"
    ]
    assert instances["prod-worker-01"]["State"]["Name"] == "stopped"
    assert instances["prod-web-01"]["KeyName"] == "prod-ops"
    assert instances["prod-web-01"]["IamInstanceProfile"]["Arn"].endswith(":instance-profile/ec2-app")
    assert "KeyName" not in instances["prod-worker-02"]
    worker_volumes = [m["Ebs"]["VolumeId"] for m in instances["prod-worker-02"]["BlockDeviceMappings"]]
    volumes = ec2.describe_volumes(VolumeIds=worker_volumes)["Volumes"]
    assert sorted((v["Size"], v["Encrypted"]) for v in volumes) == [(30, True), (100, True)]
    unattached = [v for v in paginate(ec2, "describe_volumes", "Volumes") if not v["Attachments"]]
    assert [(v["Size"], v["Encrypted"]) for v in unattached] == [(50, False)]


# --- S3 --------------------------------------------------------------------------------------

BUCKETS = {
    PROD: {"access-logs": US, "customer-data": US, "website": EU, "public-downloads": AP,
           "archive-01": US, "archive-02": EU, "archive-03": AP},
    DEV: {"access-logs": US, "customer-data": US, "website": EU, "public-downloads": AP,
          "archive-01": US},
    SHARED: {"access-logs": US, "customer-data": US, "website": EU, "public-downloads": AP,
             "archive-01": US, "archive-02": EU},
}


@pytest.mark.parametrize("account_id", [PROD, DEV, SHARED])
def test_buckets_per_account_and_region(clients_for, account_id):
    s3 = clients_for(account_id)("s3")
    env = ACCOUNTS[account_id]
    names = [bucket["Name"] for bucket in paginate(s3, "list_buckets", "Buckets")]
    expected = {f"acme-{env}-{suffix}": region for suffix, region in BUCKETS[account_id].items()}
    assert sorted(names) == sorted(expected)
    for name, region in expected.items():
        location = s3.get_bucket_location(Bucket=name)["LocationConstraint"]
        assert (location or US) == region, name


def test_bucket_security_shapes_and_the_single_object(clients_for):
    s3 = clients_for(PROD)("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket="acme-prod-website")["Policy"])
    assert policy["Statement"][0]["Principal"] == "*"
    grants = s3.get_bucket_acl(Bucket="acme-prod-public-downloads")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") for g in grants)
    rule = s3.get_bucket_encryption(Bucket="acme-prod-customer-data")[
        "ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_versioning(Bucket="acme-prod-customer-data")["Status"] == "Enabled"
    logging = s3.get_bucket_logging(Bucket="acme-prod-customer-data")["LoggingEnabled"]
    assert logging["TargetBucket"] == "acme-prod-access-logs"
    assert s3.get_public_access_block(Bucket="acme-prod-customer-data")[
        "PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True

    # moto, like S3, writes a server access log object into the log bucket for every request to a
    # logged bucket; apart from those, the organisation holds exactly one object.
    seeded_objects = []
    for account_id in (PROD, DEV, SHARED):
        s3 = clients_for(account_id)("s3")
        for bucket in paginate(s3, "list_buckets", "Buckets"):
            for item in paginate(s3, "list_objects_v2", "Contents", Bucket=bucket["Name"]):
                if bucket["Name"].endswith("-access-logs"):
                    env = bucket["Name"].removeprefix("acme-").removesuffix("-access-logs")
                    assert item["Key"].startswith(f"acme-{env}-customer-data/"), item["Key"]
                else:
                    seeded_objects.append((bucket["Name"], item["Key"]))
    assert seeded_objects == [("acme-prod-customer-data", "exports/customers.csv")]


# --- RDS, DynamoDB, Lambda -------------------------------------------------------------------

RDS_REGIONS = {PROD: (US, EU), DEV: (US,), SHARED: (AP,)}


@pytest.mark.parametrize("account_id", [PROD, DEV, SHARED])
def test_rds_clusters_and_members(clients_for, account_id):
    env = ACCOUNTS[account_id]
    for region in REGIONS:
        rds = clients_for(account_id)("rds", region)
        clusters = paginate(rds, "describe_db_clusters", "DBClusters")
        instances = {
            i["DBInstanceIdentifier"]: i for i in paginate(rds, "describe_db_instances", "DBInstances")
        }
        if region not in RDS_REGIONS[account_id]:
            assert (clusters, instances) == ([], {})
            continue
        (cluster,) = clusters
        assert cluster["DBClusterIdentifier"] == f"{env}-orders"
        assert cluster["Engine"] == ("aurora-postgresql" if account_id == PROD else "aurora-mysql")
        assert cluster["StorageEncrypted"] is True
        members = cluster["DBClusterMembers"]
        assert sorted((m["DBInstanceIdentifier"], m["IsClusterWriter"]) for m in members) == [
            (f"{env}-orders-1", True),
            (f"{env}-orders-2", False),
        ]
        assert sorted(instances) == sorted(
            [f"{env}-orders-1", f"{env}-orders-2", f"{env}-billing", f"{env}-legacy-reporting"]
        )
        assert instances[f"{env}-billing"]["StorageEncrypted"] is True
        legacy = instances[f"{env}-legacy-reporting"]
        assert (legacy["StorageEncrypted"], legacy["PubliclyAccessible"]) == (False, True)


REGIONAL_COUNTS = {
    # account: {region: (dynamodb tables, lambda functions, rest apis, config rules)}
    PROD: {US: (3, 3, 2, 8), EU: (1, 1, 0, 4), AP: (0, 0, 0, 4)},
    DEV: {US: (3, 3, 2, 8), EU: (0, 0, 0, 4), AP: (0, 0, 0, 0)},
    SHARED: {US: (3, 3, 2, 8), EU: (0, 0, 0, 4), AP: (0, 0, 0, 4)},
}


@pytest.mark.parametrize("account_id", [PROD, DEV, SHARED])
def test_regional_service_counts(clients_for, account_id):
    client = clients_for(account_id)
    observed = {
        region: (
            len(paginate(client("dynamodb", region), "list_tables", "TableNames")),
            len(paginate(client("lambda", region), "list_functions", "Functions")),
            len(paginate(client("apigateway", region), "get_rest_apis", "items")),
            len(paginate(client("config", region), "describe_config_rules", "ConfigRules")),
        )
        for region in REGIONS
    }
    assert observed == REGIONAL_COUNTS[account_id]


def test_dynamodb_and_lambda_shapes(clients_for):
    client = clients_for(PROD)
    dynamodb = client("dynamodb")
    orders = dynamodb.describe_table(TableName="prod-orders")["Table"]
    assert orders["SSEDescription"]["SSEType"] == "KMS"
    assert orders["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    pitr = dynamodb.describe_continuous_backups(TableName="prod-orders")["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    sessions = dynamodb.describe_table(TableName="prod-sessions")["Table"]
    assert "SSEDescription" not in sessions
    assert sessions["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert dynamodb.scan(TableName="prod-orders")["Count"] == 1
    assert dynamodb.scan(TableName="prod-sessions")["Count"] == 0

    awslambda = client("lambda")
    api_function = awslambda.get_function(FunctionName="prod-orders-api")["Configuration"]
    assert api_function["Environment"]["Variables"]["DB_PASSWORD"] == LAMBDA_ENVIRONMENT_SECRET
    assert api_function["Role"] == f"arn:aws:iam::{PROD}:role/lambda-execution"
    policy = json.loads(awslambda.get_policy(FunctionName="prod-orders-api")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    worker = awslambda.get_function(FunctionName="prod-orders-worker")["Configuration"]
    assert len(worker["VpcConfig"]["SubnetIds"]) == 1


# --- API Gateway and Config ------------------------------------------------------------------


@pytest.mark.parametrize("account_id", [PROD, DEV, SHARED])
def test_api_gateway_integrations_point_at_the_accounts_lambda(clients_for, account_id):
    client = clients_for(account_id)
    env = ACCOUNTS[account_id]
    apigateway = client("apigateway")
    apis = {api["name"]: api for api in paginate(apigateway, "get_rest_apis", "items")}
    assert {name: api["endpointConfiguration"]["types"] for name, api in apis.items()} == {
        f"{env}-orders-api": ["REGIONAL"],
        f"{env}-status-page": ["EDGE"],
    }
    integrations = Counter()
    lambda_uris = set()
    for api in apis.values():
        resources = paginate(
            apigateway, "get_resources", "items", restApiId=api["id"], embed=["methods"]
        )
        for resource in resources:
            for method, definition in resource.get("resourceMethods", {}).items():
                integration = definition["methodIntegration"]
                integrations[(api["name"], resource["path"], method, integration["type"])] += 1
                if integration["type"] == "AWS_PROXY":
                    lambda_uris.add(integration["uri"])
    assert integrations == Counter({
        (f"{env}-orders-api", "/items", "GET", "AWS_PROXY"): 1,
        (f"{env}-orders-api", "/items", "POST", "AWS_PROXY"): 1,
        (f"{env}-orders-api", "/health", "GET", "MOCK"): 1,
        (f"{env}-status-page", "/", "GET", "MOCK"): 1,
    })
    function_arn = f"arn:aws:lambda:us-east-1:{account_id}:function:{env}-orders-api"
    assert lambda_uris == {
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    }
    configuration = client("lambda").get_function(FunctionName=function_arn)["Configuration"]
    assert configuration["FunctionArn"] == function_arn


def test_config_rules_in_home_and_other_regions(clients_for):
    client = clients_for(SHARED)
    def rules(region):
        return paginate(client("config", region), "describe_config_rules", "ConfigRules")

    home = {rule["ConfigRuleName"]: rule for rule in rules(US)}
    other = {rule["ConfigRuleName"] for rule in rules(AP)}
    assert other == {
        "s3-bucket-public-read-prohibited",
        "restricted-incoming-traffic",
        "encrypted-volumes",
        "ec2-instance-no-public-ip",
    }
    assert set(home) == other | {
        "iam-user-mfa-enabled",
        "iam-group-has-users-check",
        "iam-role-managed-policy-check",
        "root-account-mfa-enabled",
    }
    scope = home["restricted-incoming-traffic"]["Scope"]
    assert scope["ComplianceResourceTypes"] == ["AWS::EC2::SecurityGroup"]
    assert home["s3-bucket-public-read-prohibited"]["Source"] == {
        "Owner": "AWS",
        "SourceIdentifier": "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    }

"""The relationship graph over the synced simulated organisation: exact edges for known resources, per type.

Expected edges come from the estate aws_assets/sim/organisation.py documents (names, counts, which host runs where);
keys AWS derives from names (IAM, S3, RDS, Lambda, key pairs) are spelled out, and keys holding random IDs
(instances, VPCs, subnets, security groups, volumes, APIs) are looked up by the resource's name.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from dagster import AssetCheckKey, AssetKey

from aws_assets.defs.jobs import build_graph_job
from aws_assets.graph.edges import CHECKS
from aws_assets.relationships import applications, ec2, encryption, iam, messaging, services
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.services.catalog import SERVICE_ENTITY_TYPES
from aws_assets.sim.accounts import ACCOUNTS as SIMULATED_ACCOUNTS
from aws_assets.sim.estate.ec2 import DEFAULT_SUBNETS, REGIONAL_GROUPS, WEB_AND_WORKER_INSTANCES
from aws_assets.sim.estate.iam import ENGINEER_USERS
from aws_assets.sim.estate.lambda_ import JOB_FUNCTIONS
from aws_assets.sim.estate.rds import DATABASE_REGIONS
from aws_assets.sim.organisation import REGIONS
from aws_assets_tests.conftest import DEV, PROD, SHARED
from aws_assets_tests.e2e.test_end_to_end import EXPECTED_COUNTS

ACCOUNTS = (PROD, DEV, SHARED)
ENVS = SIMULATED_ACCOUNTS  # account id -> the <env> its resource names start with
HOME = "us-east-1"
PLACES = [(account, region) for account in ACCOUNTS for region in REGIONS]

# The estate, as the simulated organisation declares it.
RDS_PLACES = [(account, region) for account, regions in DATABASE_REGIONS.items() for region in regions]
ENGINEERS = ENGINEER_USERS
SERVICES = sorted(SERVICE_ENTITY_TYPES)

EdgesOf = Callable[..., set[tuple[str, str]]]
KeyOf = Callable[[str, str, str, str], str]

COVERED: set[str] = set()


def exact_edges_of(*relationship_types: str) -> Callable:
    """Marks a test as asserting the exact edges of these relationship types; one test checks every type has one."""
    COVERED.update(relationship_types)
    return lambda test: test


@dataclass(frozen=True)
class Host:
    name: str
    tier: str  # bastion, web or worker
    subnet: str
    security_groups: tuple[str, ...]
    key_pair: str | None
    runs_as_ec2_app: bool


def hosts(account: str, region: str) -> list[Host]:
    """Every instance of the account in the region: the bastion, then the web and worker tiers."""
    env = ENVS[account]
    web, workers = WEB_AND_WORKER_INSTANCES[account][region]

    def zone(number: int) -> str:  # the tiers alternate over their two subnets
        return "ab"[(number - 1) % 2]

    return [
        Host(f"{env}-bastion", "bastion", f"{env}-public-a", (f"{env}-bastion-ssh",), f"{env}-ops", False),
        *(Host(f"{env}-web-{n:02d}", "web", f"{env}-public-{zone(n)}", (f"{env}-web-https", f"{env}-app"),
               f"{env}-ops", True) for n in range(1, web + 1)),
        *(Host(f"{env}-worker-{n:02d}", "worker", f"{env}-private-{zone(n)}", (f"{env}-app",), None, True)
          for n in range(1, workers + 1)),
    ]


def functions(account: str) -> Iterator[tuple[str, str]]:
    """(region, name) of every Lambda function of the account."""
    env = ENVS[account]
    yield HOME, f"{env}-orders-api"
    yield HOME, f"{env}-orders-worker"
    for number in range(1, JOB_FUNCTIONS[account] + 1):
        yield REGIONS[(number - 1) % len(REGIONS)], f"{env}-job-{number:02d}"


def iam_arn(account: str, resource: str) -> str:
    return f"arn:aws:iam::{account}:{resource}"


def function_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def rds_arn(account: str, region: str, kind: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{account}:{kind}:{name}"


@pytest.fixture(scope="module")
def edges(sql) -> EdgesOf:
    """`edges(relationship_type, account=None)`: its (from key, to key) pairs, failing if a pair repeats."""

    def pairs(relationship_type: str, account: str | None = None) -> set[tuple[str, str]]:
        query = f'SELECT _fromEntityKey, _toEntityKey FROM "{relationship_type}"'
        rows = sql(query + " WHERE accountId = ?", account) if account else sql(query)
        assert len(rows) == len(set(rows)), f"{relationship_type} repeats an edge"
        return set(rows)

    return pairs


@pytest.fixture(scope="module")
def key_of(sql) -> KeyOf:
    """`key_of(entity_type, account, region, name)`: the `_key` of the one entity with that display name there."""
    keys: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for entity_type, account, region, name, key in sql(
        "SELECT _type, accountId, region, displayName, _key FROM entities"
    ):
        keys[(entity_type, account, region, name)].append(key)

    def lookup(entity_type: str, account: str, region: str, name: str) -> str:
        found = keys[(entity_type, account, region, name)]
        assert len(found) == 1, f"expected one {entity_type} named {name} in {account} {region}, found {found}"
        return found[0]

    return lookup


# ------------------------------------------------------------------------------------------------------------------
# Every relationship type
# ------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entity_index(sql) -> dict[str, tuple[str, str]]:
    """Every entity's `_key` -> its (`_type`, accountId)."""
    return {key: (entity_type, account) for key, entity_type, account in sql(
        "SELECT _key, _type, accountId FROM entities")}


@pytest.fixture(scope="module")
def edges_in_relationships_view(sql) -> dict[str, int]:
    return dict(sql("SELECT _type, count(*) FROM relationships GROUP BY 1"))


@pytest.mark.parametrize("relationship_type", sorted(RELATIONSHIP_TYPES))
def test_edges_are_well_formed(sql, entity_index, edges_in_relationships_view, relationship_type):
    relationship = RELATIONSHIP_TYPES[relationship_type]
    rows = sql(
        "SELECT _key, _type, _class, _fromEntityKey, _toEntityKey, _fromEntityType, _toEntityType, accountId "
        f'FROM "{relationship_type}"'
    )
    pairs = [(from_key, to_key) for _, _, _, from_key, to_key, _, _, _ in rows]
    assert len({key for key, *_ in rows}) == len(rows), "a key repeats"
    # A type with parallel edges (one per security group rule) tells them apart by what ends its key.
    assert relationship.parallel_edges or len(pairs) == len(set(pairs)), "an edge appears twice"
    for key, type_name, verb, from_key, to_key, from_type, to_type, account in rows:
        edge = f"{from_key}|{relationship.verb.lower()}|{to_key}"
        assert key.startswith(edge + "|") if relationship.parallel_edges else key == edge
        assert (type_name, verb, from_type, to_type) == (
            relationship_type, relationship.verb, relationship.from_type, relationship.to_type)
        # Both ends are entities of the declared types; the edge belongs to its source entity's account.
        assert entity_index.get(from_key) == (from_type, account), f"{key}: no {from_type} {from_key} in {account}"
        assert entity_index.get(to_key, ("no entity",))[0] == to_type, f"{key}: no {to_type} {to_key}"
    assert edges_in_relationships_view.get(relationship_type, 0) == len(rows)


def test_every_relationship_check_passed_in_the_sync(synced, sql):
    graph = synced["report"].graph
    assert (graph.ok, graph.failed_checks, graph.errors) == (True, [], [])
    instance = synced["instance"]
    for relationship_type in RELATIONSHIP_TYPES:
        assert graph.edges_by_type[relationship_type] == sql(f'SELECT count(*) FROM "{relationship_type}"')[0][0]
        record = instance.get_latest_asset_check_evaluation_record(
            AssetCheckKey(AssetKey(relationship_type), "valid_edges"))
        assert record is not None, f"{relationship_type}: valid_edges never ran"
        evaluation = record.event.dagster_event.event_specific_data
        assert evaluation.passed, f"{relationship_type}: valid_edges failed"
        assert {check: evaluation.metadata[check].value for check in CHECKS} == dict.fromkeys(CHECKS, 0)
        assert instance.get_run_by_id(record.run_id).job_name == build_graph_job.name


def test_every_relationship_type_has_a_test_of_its_exact_edges():
    # Config's EVALUATES, the IS Person edges and the organisation's edges are tested with their sources:
    # test_config_evaluations.py, test_people.py and test_organizations.py.
    declared_here = {
        r.type for module in (services, ec2, iam, applications, encryption, messaging) for r in module.RELATIONSHIPS
    }
    assert COVERED == declared_here


# ------------------------------------------------------------------------------------------------------------------
# Accounts and their service entities
# ------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
@exact_edges_of(*(f"aws_account_has_{service.removeprefix('aws_')}" for service in SERVICES))
def test_account_has_its_service_entities(edges, service):
    relationship_type = f"aws_account_has_{service.removeprefix('aws_')}"
    assert edges(relationship_type) == {(iam_arn(account, "root"), f"{service}:{account}") for account in ACCOUNTS}


SERVICE_MEMBERS = {
    relationship.type: relationship.to_type
    for relationship in RELATIONSHIP_TYPES.values()
    if relationship.from_type in SERVICE_ENTITY_TYPES and relationship.verb == "HAS"
}


@pytest.mark.parametrize("relationship_type", sorted(SERVICE_MEMBERS))
@exact_edges_of(*SERVICE_MEMBERS)
def test_service_has_every_entity_of_its_account_in_every_region(sql, edges, relationship_type):
    entity_type = SERVICE_MEMBERS[relationship_type]
    service = RELATIONSHIP_TYPES[relationship_type].from_type
    for account, expected_count in zip(ACCOUNTS, EXPECTED_COUNTS[entity_type]):
        members = {key for (key,) in sql(f"SELECT _key FROM {entity_type} WHERE accountId = ?", account)}
        assert len(members) == expected_count
        assert edges(relationship_type, account) == {(f"{service}:{account}", key) for key in members}


def test_s3_has_the_buckets_of_every_region(edges):
    # Bucket names are global, each bucket lives in one region: the global S3 service entity has them all.
    assert edges("aws_s3_has_bucket", PROD) == {
        ("aws_s3:111111111111", f"arn:aws:s3:::acme-prod-{name}")
        for name in ("access-logs", "customer-data", "website", "public-downloads", "archive-01", "archive-02",
                     "archive-03")
    }


# ------------------------------------------------------------------------------------------------------------------
# EC2: instances, volumes, networks, security groups
# ------------------------------------------------------------------------------------------------------------------


@exact_edges_of("aws_instance_uses_ebs_volume")
def test_instances_use_their_attached_volumes_with_device_and_delete_flag(sql, key_of):
    uses = {
        (from_key, to_key): (device, delete_on_termination)
        for from_key, to_key, device, delete_on_termination in sql(
            "SELECT _fromEntityKey, _toEntityKey, deviceName, deleteOnTermination FROM aws_instance_uses_ebs_volume")
    }
    assert sql("SELECT count(*) FROM aws_instance_uses_ebs_volume WHERE attachTime IS NULL") == [(0,)]

    bastion = key_of("aws_instance", PROD, HOME, "prod-bastion")
    home_volume = key_of("aws_ebs_volume", PROD, HOME, "prod-bastion-home")
    bastion_volumes = {to_key: attached for (from_key, to_key), attached in uses.items() if from_key == bastion}
    # The root volume comes from the AMI and goes with the instance; an attached volume stays by default.
    assert bastion_volumes.pop(home_volume) == ("/dev/sdg", False)
    assert list(bastion_volumes.values()) == [("/dev/sda1", True)]

    # describe_volumes tells the same attachments from the volume's side.
    attachments = {
        (key_of("aws_instance", account, region, instance_name), volume): device
        for account, region, volume, instance_name, device in sql(
            "SELECT v.accountId, v.region, v._key, i.displayName, a.device "
            "FROM aws_ebs_volume v, unnest(v.attachments) AS t(a) "
            "JOIN aws_instance i ON i.accountId = v.accountId AND i.region = v.region AND i.name = a.instanceId")
    }
    assert {pair: device for pair, (device, _) in uses.items()} == attachments
    # Every volume but prod's unattached restored one: 18 + 11 + 13 - 1.
    assert len(uses) == 41
    unattached = key_of("aws_ebs_volume", PROD, HOME, "prod-restored-snapshot-01")
    assert unattached not in {to_key for _, to_key in uses}


@exact_edges_of("aws_security_group_protects_instance")
def test_security_groups_protect_the_instances_launched_with_them(edges, key_of):
    expected = {
        (key_of("aws_security_group", account, region, group), key_of("aws_instance", account, region, host.name))
        for account, region in PLACES
        for host in hosts(account, region)
        for group in host.security_groups
    }
    assert edges("aws_security_group_protects_instance") == expected
    assert len(expected) == 28  # 9 bastions, 5 web hosts in two groups, 9 workers
    bastion = key_of("aws_instance", PROD, "eu-west-1", "prod-bastion")
    assert {g for g, i in expected if i == bastion} == {key_of("aws_security_group", PROD, "eu-west-1",
                                                                "prod-bastion-ssh")}


def default_vpc(sql, account: str, region: str) -> str:
    [(key,)] = sql("SELECT _key FROM aws_vpc WHERE accountId = ? AND region = ? AND isDefault", account, region)
    return key


@exact_edges_of("aws_vpc_contains_subnet")
def test_vpcs_contain_their_subnets(sql, edges, key_of):
    for account, region in PLACES:
        env = ENVS[account]
        default_subnets = {key for (key,) in sql(
            "SELECT _key FROM aws_subnet WHERE accountId = ? AND region = ? AND defaultForAz", account, region)}
        assert len(default_subnets) == DEFAULT_SUBNETS[region]
        env_vpc = key_of("aws_vpc", account, region, f"{env}-vpc")
        expected = {(default_vpc(sql, account, region), subnet) for subnet in default_subnets} | {
            (env_vpc, key_of("aws_subnet", account, region, f"{env}-{tier}-{zone}"))
            for tier in ("public", "private") for zone in "ab"
        }
        assert {edge for edge in edges("aws_vpc_contains_subnet", account) if f":{region}:" in edge[0]} == expected
    assert len(edges("aws_vpc_contains_subnet")) == 3 * (12 + 4 * 3)


@exact_edges_of("aws_vpc_has_security_group")
def test_vpcs_have_their_security_groups(sql, edges, key_of):
    for account, region in PLACES:
        env = ENVS[account]
        env_vpc = key_of("aws_vpc", account, region, f"{env}-vpc")
        in_region = {edge for edge in edges("aws_vpc_has_security_group", account) if f":{region}:" in edge[0]}
        named = {(env_vpc, key_of("aws_security_group", account, region, f"{env}-{group}"))
                 for group in ("bastion-ssh", "web-https", "app", "database",
                               *REGIONAL_GROUPS.get((account, region), ()))}
        default_groups = {key for (key,) in sql(
            "SELECT _key FROM aws_security_group WHERE accountId = ? AND region = ? AND groupName = 'default'",
            account, region)}
        # Each of the two VPCs has its own default group.
        assert named <= in_region
        defaults = in_region - named
        assert {vpc for vpc, _ in defaults} == {env_vpc, default_vpc(sql, account, region)}
        assert {group for _, group in defaults} == default_groups
        assert len(defaults) == 2
    assert len(edges("aws_vpc_has_security_group")) == 9 * 6 + sum(map(len, REGIONAL_GROUPS.values()))


@exact_edges_of("aws_instance_uses_key_pair")
def test_instances_use_the_key_pair_they_were_launched_with(edges, key_of):
    expected = {
        (key_of("aws_instance", account, region, host.name), f"arn:aws:ec2:{region}:{account}:key-pair/{host.key_pair}")
        for account, region in PLACES
        for host in hosts(account, region)
        if host.key_pair
    }
    assert edges("aws_instance_uses_key_pair") == expected
    assert len(expected) == 9 + 5  # the bastions and the web hosts; workers have no key, the ci keys no instance


@exact_edges_of("aws_instance_uses_iam_role")
def test_instances_use_the_role_of_their_instance_profile(sql, edges, key_of):
    for account in ACCOUNTS:
        expected = {
            (key_of("aws_instance", account, region, host.name), iam_arn(account, "role/ec2-app"))
            for region in REGIONS
            for host in hosts(account, region)
            if host.runs_as_ec2_app
        }
        assert edges("aws_instance_uses_iam_role", account) == expected
        assert sql("SELECT DISTINCT instanceProfileArn FROM aws_instance_uses_iam_role WHERE accountId = ?",
                   account) == [(iam_arn(account, "instance-profile/ec2-app"),)]
    assert len(edges("aws_instance_uses_iam_role")) == 7 + 3 + 4


@exact_edges_of("aws_subnet_has_instance")
def test_subnets_have_the_instances_running_in_them(edges, key_of):
    expected = {
        (key_of("aws_subnet", account, region, host.subnet), key_of("aws_instance", account, region, host.name))
        for account, region in PLACES
        for host in hosts(account, region)
    }
    assert edges("aws_subnet_has_instance") == expected
    assert len(expected) == sum(EXPECTED_COUNTS["aws_instance"])


@exact_edges_of("aws_security_group_protects_db_instance", "aws_security_group_protects_rds_cluster")
def test_database_security_group_protects_every_database(edges, key_of):
    database_group = {(account, region): key_of("aws_security_group", account, region, f"{ENVS[account]}-database")
                      for account, region in RDS_PLACES}
    assert edges("aws_security_group_protects_db_instance") == {
        (group, rds_arn(account, region, "db", f"{ENVS[account]}-{name}"))
        for (account, region), group in database_group.items()
        for name in ("orders-1", "orders-2", "billing", "legacy-reporting")
    }
    assert edges("aws_security_group_protects_rds_cluster") == {
        (group, rds_arn(account, region, "cluster", f"{ENVS[account]}-orders"))
        for (account, region), group in database_group.items()
    }


@exact_edges_of("aws_security_group_protects_lambda_function", "aws_subnet_has_lambda_function",
                "aws_vpc_has_lambda_function")
def test_only_the_orders_worker_runs_inside_the_vpc(edges, key_of):
    def expected(entity_type: str, name: str) -> set[tuple[str, str]]:
        return {
            (key_of(entity_type, account, HOME, f"{ENVS[account]}-{name}"),
             function_arn(account, HOME, f"{ENVS[account]}-orders-worker"))
            for account in ACCOUNTS
        }

    assert edges("aws_security_group_protects_lambda_function") == expected("aws_security_group", "app")
    assert edges("aws_subnet_has_lambda_function") == expected("aws_subnet", "private-a")
    assert edges("aws_vpc_has_lambda_function") == expected("aws_vpc", "vpc")


# ------------------------------------------------------------------------------------------------------------------
# IAM
# ------------------------------------------------------------------------------------------------------------------


@exact_edges_of("aws_iam_group_contains_user")
def test_groups_contain_their_members(edges):
    for account in ACCOUNTS:
        developers = ["bob.smith@example.com", "dave", *(f"engineer-{n:02d}" for n in range(1, ENGINEERS[account] + 1))]
        assert edges("aws_iam_group_contains_user", account) == {
            (iam_arn(account, "group/admins"), iam_arn(account, "user/alice")),
            *((iam_arn(account, "group/developers"), iam_arn(account, f"user/{user}")) for user in developers),
        }  # shared's auditors group is empty


@exact_edges_of("aws_iam_group_has_policy", "aws_iam_user_has_policy", "aws_iam_role_has_policy")
def test_principals_have_their_inline_policies(edges):
    for account in ACCOUNTS:
        def inline(principal: str, policy: str) -> tuple[str, str]:
            return iam_arn(account, principal), iam_arn(account, f"{principal}:inline-policy/{policy}")

        assert edges("aws_iam_group_has_policy", account) == {
            inline("group/admins", "require-mfa"), inline("group/developers", "developer-console-access")}
        assert edges("aws_iam_user_has_policy", account) == {
            inline("user/alice", "manage-own-credentials"), inline("user/ci-deploy", "deploy-artifacts")}
        deployment_role = ("role/deployment-pipeline", "assume-deploy-roles") if account == SHARED else (
            "role/cross-account-deploy", "deploy-workloads")
        assert edges("aws_iam_role_has_policy", account) == {
            inline("role/lambda-execution", "write-logs"),
            inline("role/ec2-app", "read-ssm-parameters"),
            inline("role/aws-config-recorder", "deliver-config-snapshots"),
            inline(*deployment_role),
        }


@exact_edges_of("aws_iam_group_has_managed_policy", "aws_iam_user_has_managed_policy",
                "aws_iam_role_has_managed_policy")
def test_principals_have_their_attached_managed_policies(edges):
    for account in ACCOUNTS:
        def attached(principal: str, policy: str) -> tuple[str, str]:
            return iam_arn(account, principal), iam_arn(account, f"policy/{policy}")

        def aws_managed(principal: str, policy: str) -> tuple[str, str]:
            return iam_arn(account, principal), f"arn:aws:iam::aws:policy/{policy}@{account}"

        # aws_assets/sim/estate/iam.py's _PLANS: what some accounts' groups hold besides the usual policies
        more_groups = {
            PROD: set(),
            DEV: {aws_managed("group/developers", "AWSCloudShellFullAccess")},
            SHARED: {attached("group/auditors", "aws-assets-security-audit"),
                     attached("group/auditors", "acme-kms-full-access"),
                     attached("group/auditors", "acme-cloudtrail-full-access")},
        }[account]
        assert edges("aws_iam_group_has_managed_policy", account) == {
            attached("group/admins", "acme-admin-access"),
            attached("group/developers", "acme-s3-read-artifacts"),
            attached("group/developers", "acme-dynamodb-read-write"),
            *more_groups,
        }
        assert edges("aws_iam_user_has_managed_policy", account) == {attached("user/break-glass", "acme-admin-access")}
        extra_roles = {PROD: {"external-auditor", "org-readonly"}, DEV: {"vendor-support"},
                       SHARED: {"org-readonly"}}[account]
        support = {attached("role/admin-escalation", "acme-security-operations"),
                   aws_managed("role/admin-escalation", "AWSSupportAccess")} if account == PROD else set()
        assert edges("aws_iam_role_has_managed_policy", account) == {
            attached("role/aws-assets-readonly", "aws-assets-security-audit"),
            attached("role/lambda-execution", "acme-dynamodb-read-write"),
            attached("role/ec2-app", "acme-s3-read-artifacts"),
            attached("role/admin-escalation", "acme-admin-access"),
            attached("role/okta-engineer", "acme-s3-read-artifacts"),
            *(attached(f"role/{role}", "aws-assets-security-audit") for role in extra_roles),
            *support,
        }  # aws-config-recorder, cross-account-deploy and deployment-pipeline have inline policies only


@exact_edges_of("aws_iam_user_has_mfa_device")
def test_users_have_their_mfa_devices(edges):
    for account in ACCOUNTS:
        even_engineers = [f"engineer-{n:02d}" for n in range(2, ENGINEERS[account] + 1, 2)]
        assert edges("aws_iam_user_has_mfa_device", account) == {
            (iam_arn(account, f"user/{user}"), iam_arn(account, f"mfa/{user}"))
            for user in ("alice", "dave", *even_engineers)
        }


@exact_edges_of("aws_iam_user_has_access_key")
def test_users_have_their_access_keys(sql, edges):
    for account in ACCOUNTS:
        keys = sql("SELECT _key, userArn, status FROM aws_iam_access_key WHERE accountId = ?", account)
        assert edges("aws_iam_user_has_access_key", account) == {(user, key) for key, user, _ in keys}
        statuses: dict[str, list[str]] = defaultdict(list)
        for _, user, status in keys:
            statuses[user.removeprefix(iam_arn(account, "user/"))].append(status)
        odd_engineers = {f"engineer-{n:02d}": ["Active"] for n in range(1, ENGINEERS[account] + 1, 2)}
        ci_deploy = ["Active", "Active"] if account == DEV else ["Active", "Inactive"]  # dev's is mid-rotation
        assert {user: sorted(s) for user, s in statuses.items()} == {
            "alice": ["Active"], "ci-deploy": ci_deploy, **odd_engineers}


@exact_edges_of("aws_lambda_function_has_iam_role")
def test_functions_have_their_execution_role(edges):
    for account in ACCOUNTS:
        assert edges("aws_lambda_function_has_iam_role", account) == {
            (function_arn(account, region, name), iam_arn(account, "role/lambda-execution"))
            for region, name in functions(account)
        }


def test_edges_from_global_iam_to_regional_resources_are_built_once(sql, edges, entity_index):
    # IAM is collected once per account (its global partition), instances and functions once per region: an edge
    # joining them exists once, not once per region synced, and never reaches another account's role of the same
    # name (ec2-app and lambda-execution exist in every account). `edges` fails on a repeated edge.
    # prod's ec2-app role serves its web and worker hosts of all three regions, each by one edge.
    instances_by_region = sql(
        "SELECT i.region, count(*) FROM aws_instance_uses_iam_role r JOIN aws_instance i ON i._key = r._fromEntityKey "
        "WHERE r._toEntityKey = ? GROUP BY 1", iam_arn(PROD, "role/ec2-app"))
    assert dict(instances_by_region) == {region: web + workers
                                         for region, (web, workers) in WEB_AND_WORKER_INSTANCES[PROD].items()}
    functions_by_region = sql(
        "SELECT f.region, count(*) FROM aws_lambda_function_has_iam_role r "
        "JOIN aws_lambda_function f ON f._key = r._fromEntityKey WHERE r._toEntityKey = ? GROUP BY 1",
        iam_arn(PROD, "role/lambda-execution"))
    assert dict(functions_by_region) == Counter(region for region, _ in functions(PROD))
    for account, roles, functions_count in zip(ACCOUNTS, EXPECTED_COUNTS["aws_iam_role"],
                                               EXPECTED_COUNTS["aws_lambda_function"]):
        roles_of_account = sql("SELECT _key FROM aws_iam_role WHERE accountId = ?", account)
        assert len(roles_of_account) == roles
        assert edges("aws_iam_has_role", account) == {(f"aws_iam:{account}", role) for (role,) in roles_of_account}
        assert len(edges("aws_lambda_function_has_iam_role", account)) == functions_count
    for relationship_type in ("aws_instance_uses_iam_role", "aws_lambda_function_has_iam_role", "aws_iam_has_role"):
        for from_key, to_key in edges(relationship_type):
            assert entity_index[from_key][1] == entity_index[to_key][1], f"{from_key} -> {to_key} crosses accounts"


# ------------------------------------------------------------------------------------------------------------------
# Applications and databases
# ------------------------------------------------------------------------------------------------------------------


@exact_edges_of("aws_api_gateway_rest_api_triggers_lambda_function")
def test_orders_api_triggers_its_function_with_its_methods(sql, key_of):
    for account in ACCOUNTS:
        env = ENVS[account]
        triggers = sql(
            "SELECT _fromEntityKey, _toEntityKey, methods, httpMethods, resourcePaths "
            "FROM aws_api_gateway_rest_api_triggers_lambda_function WHERE accountId = ?", account)
        # GET /health and the status page are MOCK integrations: no function behind them.
        assert triggers == [(
            key_of("aws_api_gateway_rest_api", account, HOME, f"{env}-orders-api"),
            function_arn(account, HOME, f"{env}-orders-api"),
            ["GET /items", "POST /items"], ["GET", "POST"], ["/items"],
        )]


@exact_edges_of("aws_rds_cluster_contains_db_instance")
def test_orders_cluster_contains_its_writer_and_reader(sql):
    for account, region in RDS_PLACES:
        env = ENVS[account]
        members = sql(
            "SELECT _fromEntityKey, _toEntityKey, writer FROM aws_rds_cluster_contains_db_instance "
            "WHERE _toEntityKey LIKE ? ORDER BY _toEntityKey", f"arn:aws:rds:{region}:{account}:%")
        cluster = rds_arn(account, region, "cluster", f"{env}-orders")
        # billing and legacy-reporting are standalone instances.
        assert members == [
            (cluster, rds_arn(account, region, "db", f"{env}-orders-1"), True),
            (cluster, rds_arn(account, region, "db", f"{env}-orders-2"), False),
        ]
    assert sql("SELECT count(*) FROM aws_rds_cluster_contains_db_instance") == [(2 * len(RDS_PLACES),)]


# ------------------------------------------------------------------------------------------------------------------
# Queries over the graph, as the README shows them
# ------------------------------------------------------------------------------------------------------------------

PATHS_FROM_ACCOUNT = """
WITH RECURSIVE reachable(_key, path) AS (
    SELECT _key, [_key] FROM aws_account WHERE accountId = ?
    UNION ALL
    SELECT r._toEntityKey, list_append(reachable.path, r._toEntityKey)
    FROM reachable JOIN relationships r ON r._fromEntityKey = reachable._key AND r._class = 'HAS'
    WHERE len(reachable.path) < 4
)
SELECT path FROM reachable WHERE _key LIKE 'arn:aws:s3:::%' ORDER BY _key
"""


def test_an_account_reaches_its_buckets_through_has_edges(sql):
    paths = [path for (path,) in sql(PATHS_FROM_ACCOUNT, PROD)]
    assert ["arn:aws:iam::111111111111:root", "aws_s3:111111111111", "arn:aws:s3:::acme-prod-website"] in paths
    # Only prod's own buckets, whatever their region, each by exactly one path: account -> S3 -> bucket.
    assert paths == [
        ["arn:aws:iam::111111111111:root", "aws_s3:111111111111", f"arn:aws:s3:::acme-prod-{name}"]
        for name in sorted(("access-logs", "customer-data", "website", "public-downloads", "archive-01", "archive-02",
                            "archive-03"))
    ]


INSTANCES_OPEN_TO_THE_INTERNET = """
SELECT DISTINCT i.accountId, i.region, i.displayName
FROM aws_security_group g
JOIN aws_security_group_protects_instance p ON p._fromEntityKey = g._key
JOIN aws_instance i ON i._key = p._toEntityKey
WHERE g.openToInternet
"""


def test_instances_reachable_through_a_security_group_open_to_the_internet(sql):
    # The bastions (SSH from anywhere) and the web hosts (HTTPS from anywhere); the workers only take traffic from
    # the web tier's group and the corporate VPN prefix list.
    assert set(sql(INSTANCES_OPEN_TO_THE_INTERNET)) == {
        (account, region, host.name)
        for account, region in PLACES
        for host in hosts(account, region)
        if host.tier != "worker"
    }


# ------------------------------------------------------------------------------------------------------------------
# Encryption keys and where messages go
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("entity_type", sorted(encryption.KEY_COLUMNS))
@exact_edges_of(*(r.type for r in encryption.RELATIONSHIPS))
def test_encrypted_resources_use_their_regions_data_key(sql, edges, entity_type):
    # The estate encrypts with the key `alias/<env>-data` of the resource's own region, named by its key ARN.
    data_keys = {(account, region): key for key, account, region, aliases in sql(
        "SELECT _key, accountId, region, aliases FROM aws_kms_key") for alias in aliases
        if alias == f"alias/{ENVS[account]}-data"}
    column, _ = encryption.KEY_COLUMNS[entity_type]
    encrypted = sql(f"SELECT _key, accountId, region FROM {entity_type} WHERE {column} IS NOT NULL")
    assert edges(f"{entity_type}_uses_kms_key") == {
        (key, data_keys[(account, region)]) for key, account, region in encrypted}
    expected_somewhere = {"aws_s3_bucket", "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_ebs_volume",
                          "aws_sqs_queue", "aws_sns_topic", "aws_secretsmanager_secret", "aws_ecr_repository",
                          "aws_cloudtrail", "aws_cloudwatch_log_group", "aws_db_snapshot", "aws_db_cluster_snapshot",
                          "aws_efs_file_system"}
    assert bool(encrypted) == (entity_type in expected_somewhere)


def topic_arn(account: str) -> str:
    return f"arn:aws:sns:{HOME}:{account}:{ENVS[account]}-orders"


def queue_arn(account: str, name: str) -> str:
    return f"arn:aws:sqs:{HOME}:{account}:{ENVS[account]}-{name}"


@exact_edges_of("aws_sns_topic_has_subscription", "aws_sns_topic_notifies_sqs_queue",
                "aws_sns_topic_notifies_lambda_function")
def test_each_orders_topic_has_its_two_subscriptions_and_notifies_its_queue(sql, edges):
    for account in ACCOUNTS:
        subscriptions = sql("SELECT topicArn, _key FROM aws_sns_subscription WHERE accountId = ?", account)
        assert edges("aws_sns_topic_has_subscription", account) == set(subscriptions)
        # prod's security-alerts topic, which the CIS alarms notify, has its one e-mail subscription too.
        alerts = {f"arn:aws:sns:{HOME}:{account}:{ENVS[account]}-security-alerts": 1} if account == PROD else {}
        assert Counter(topic for topic, _ in subscriptions) == {topic_arn(account): 2, **alerts}
        assert edges("aws_sns_topic_notifies_sqs_queue", account) == {(topic_arn(account),
                                                                        queue_arn(account, "order-events"))}
    assert edges("aws_sns_topic_notifies_lambda_function") == set()


@exact_edges_of("aws_sqs_queue_sends_queue", "aws_lambda_function_async_notifies_sqs_queue",
                "aws_lambda_function_async_notifies_sns_topic")
def test_each_order_events_queue_sends_to_its_dead_letter_queue(sql, edges):
    for account in ACCOUNTS:
        assert edges("aws_sqs_queue_sends_queue", account) == {
            (queue_arn(account, "order-events"), queue_arn(account, "order-events-dlq"))}
    assert sql('SELECT DISTINCT maxReceiveCount FROM "aws_sqs_queue_sends_queue"') == [(5,)]
    # No function of the estate has a dead-letter target (moto keeps none: test_encryption_and_messaging_edges.py).
    assert edges("aws_lambda_function_async_notifies_sqs_queue") == set()
    assert edges("aws_lambda_function_async_notifies_sns_topic") == set()


# ------------------------------------------------------------------------------------------------------------------
# Network ACLs and database snapshots
# ------------------------------------------------------------------------------------------------------------------

# The accounts whose public subnets in the home region are associated with `<env>-public-subnets`.
PUBLIC_SUBNET_ACL_ACCOUNTS = (PROD, SHARED)


@exact_edges_of("aws_vpc_has_network_acl", "aws_network_acl_protects_subnet")
def test_each_vpc_has_its_default_acl_and_the_public_subnets_their_own(sql, edges, key_of):
    for account, region in PLACES:
        env = ENVS[account]
        acls = dict(sql("SELECT _key, vpcId FROM aws_network_acl WHERE accountId = ? AND region = ?", account, region))
        defaults = dict(sql("SELECT vpcId, _key FROM aws_network_acl WHERE accountId = ? AND region = ? AND isDefault",
                            account, region))
        vpcs = dict(sql("SELECT vpcId, _key FROM aws_vpc WHERE accountId = ? AND region = ?", account, region))
        assert set(defaults) == set(vpcs), "every VPC has exactly one default ACL"
        custom = set(acls) - set(defaults.values())
        public_acl = region == HOME and account in PUBLIC_SUBNET_ACL_ACCOUNTS
        assert custom == ({key_of("aws_network_acl", account, region, f"{env}-public-subnets")} if public_acl
                          else set())
        in_region = {pair for pair in edges("aws_vpc_has_network_acl", account) if pair[1] in acls}
        assert in_region == {(vpcs[vpc_id], key) for key, vpc_id in acls.items()}

        subnets = dict(sql("SELECT _key, vpcId FROM aws_subnet WHERE accountId = ? AND region = ?", account, region))
        public = {key_of("aws_subnet", account, region, f"{env}-public-{zone}") for zone in "ab" if public_acl}
        expected = {(next(iter(custom)) if key in public else defaults[vpc_id], key) for key, vpc_id in subnets.items()}
        assert {pair for pair in edges("aws_network_acl_protects_subnet", account) if pair[1] in subnets} == expected


@exact_edges_of("aws_db_instance_has_snapshot", "aws_rds_cluster_has_db_cluster_snapshot")
def test_each_database_has_its_automated_snapshot_and_the_manual_ones(sql, edges):
    manual = {  # (account, kind, snapshot name) -> the database it was taken of
        (PROD, "snapshot", "prod-billing-pre-upgrade"): "prod-billing",
        (PROD, "snapshot", "prod-legacy-reporting-export"): "prod-legacy-reporting",
        (PROD, "cluster-snapshot", "prod-orders-pre-migration"): "prod-orders",
        (DEV, "snapshot", "dev-legacy-reporting-public"): "dev-legacy-reporting",
        (SHARED, "cluster-snapshot", "shared-orders-for-dev"): "shared-orders",
    }
    for account, region in RDS_PLACES:
        env = ENVS[account]
        first_region = region == DATABASE_REGIONS[account][0]  # where the manual snapshots are
        for kind, relationship_type, databases in (
            ("snapshot", "aws_db_instance_has_snapshot",
             (f"{env}-orders-1", f"{env}-orders-2", f"{env}-billing", f"{env}-legacy-reporting")),
            ("cluster-snapshot", "aws_rds_cluster_has_db_cluster_snapshot", (f"{env}-orders",)),
        ):
            database_kind = "db" if kind == "snapshot" else "cluster"
            for database in databases:
                snapshots = {to_key for from_key, to_key in edges(relationship_type, account)
                             if from_key == rds_arn(account, region, database_kind, database)}
                automated = {key for key in snapshots if f":{kind}:rds:{database}-" in key}
                named = {rds_arn(account, region, kind, name) for (a, k, name), source in manual.items()
                         if (a, k, source) == (account, kind, database) and first_region}
                assert len(automated) == 1 and snapshots == automated | named, (database, snapshots)
    assert sql("SELECT count(*) FROM aws_db_snapshot WHERE snapshotType = 'automated'") == [
        (sum(4 for _ in RDS_PLACES),)]


from dagster import AssetKey, Definitions, MultiPartitionsDefinition

from aws_assets.app.dictionary import DICTIONARY_PATH, render_data_dictionary
from aws_assets.defs.definitions import defs
from aws_assets.model.entity import Scope
from aws_assets.model.regions import commercial_regions
from aws_assets.services.catalog import ENTITY_TYPES, RESOURCE_SERVICES, SERVICES
from aws_assets_tests.conftest import REPO

DICTIONARY = REPO / DICTIONARY_PATH

SPEC_TYPES = {
    "aws_account": ["Account"],
    "aws_api_gateway_rest_api": ["Gateway"],
    "aws_dynamodb_table": ["DataStore", "Database"],
    "aws_instance": ["Host"],
    "aws_key_pair": ["AccessKey"],
    "aws_ebs_volume": ["DataStore", "Disk"],
    "aws_security_group": ["Firewall"],
    "aws_vpc": ["Network"],
    "aws_subnet": ["Network"],
    "aws_iam_user": ["User"],
    "aws_iam_access_key": ["AccessKey"],
    "mfa_device": ["AccessKey"],
    "aws_iam_group": ["UserGroup"],
    "aws_iam_role": ["AccessRole"],
    "aws_iam_user_policy": ["AccessPolicy"],
    "aws_iam_group_policy": ["AccessPolicy"],
    "aws_iam_role_policy": ["AccessPolicy"],
    "aws_iam_policy": ["AccessPolicy"],
    "aws_rds_cluster": ["DataStore", "Database", "Cluster"],
    "aws_db_instance": ["DataStore", "Database", "Host"],
    "aws_s3_bucket": ["DataStore"],
    "aws_lambda_function": ["Function", "Workload"],
    "aws_config_rule": ["ControlPolicy"],
}
SPEC_SERVICE_ENTITY_TYPES = {"aws_ec2", "aws_iam", "aws_s3", "aws_lambda", "aws_rds", "aws_dynamodb", "aws_apigateway",
                             "aws_config"}


def test_definitions_load():
    Definitions.validate_loadable(defs)


def test_every_spec_entity_type_with_its_classes():
    assert {t: list(ENTITY_TYPES[t].classes) for t in SPEC_TYPES if t in ENTITY_TYPES} == SPEC_TYPES
    assert {t for t, et in ENTITY_TYPES.items() if et.classes == ("Service",)} >= SPEC_SERVICE_ENTITY_TYPES


def test_each_entity_type_is_its_own_asset_grouped_by_service():
    graph = defs.resolve_asset_graph()
    for service in SERVICES:
        for entity_type in service.entity_types:
            node = graph.get(AssetKey(entity_type.type))
            assert node.group_name == service.name
            assert "aws" in node.kinds
            assert node.description
            partitions = node.partitions_def
            if service.scope is Scope.REGION:
                assert isinstance(partitions, MultiPartitionsDefinition)
                assert {d.name for d in partitions.partitions_defs} == {"account", "region"}
            else:
                assert partitions.name == "accounts"


def test_regions_are_the_commercial_partition_only():
    regions = commercial_regions()
    assert {"us-east-1", "eu-west-1", "ap-southeast-2", "af-south-1"} <= set(regions)
    assert not [r for r in regions if r.startswith(("us-gov", "cn-", "us-iso", "eu-isoe"))]


def test_data_dictionary_is_up_to_date():
    assert DICTIONARY.read_text() == render_data_dictionary(), "run `make dictionary` to regenerate it"
    for entity_type in ENTITY_TYPES.values():
        assert f"### `{entity_type.type}`" in DICTIONARY.read_text()


def test_a_service_entity_has_only_its_own_service_entity_types():
    for service in RESOURCE_SERVICES:
        assert service.entity is not None, f"{service.name} declares no service entity"
        members = [et.type for et in (*service.entity.members, *service.entity.members_beyond_spec)]
        assert len(members) == len(set(members)), service.name
        assert set(members) <= {et.type for et in service.entity_types}, service.name


def test_a_declared_resource_policy_is_a_json_column_of_its_type():
    declared = {name: et.resource_policy for name, et in ENTITY_TYPES.items() if et.resource_policy}
    assert {"aws_s3_bucket", "aws_lambda_function", "aws_api_gateway_rest_api", "aws_kms_key", "aws_sqs_queue",
            "aws_sns_topic", "aws_secretsmanager_secret", "aws_ecr_repository"} <= declared.keys()
    for name, column in declared.items():
        (match,) = [c for c in ENTITY_TYPES[name].all_columns if c.name == column]
        assert match.description.endswith("(JSON text)"), f"{name}.{column} is not declared with json_text"

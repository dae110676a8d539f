import boto3
from moto import mock_aws

from aws_assets.aws.session import CLIENT_CONFIG, new_botocore_session
from aws_assets.sim.clients import operator_session


def session(key: str) -> boto3.Session:
    return boto3.Session(botocore_session=new_botocore_session(), aws_access_key_id=key,
                         aws_secret_access_key="secret", region_name="us-east-1")


@mock_aws
def test_clients_of_one_service_share_their_class_and_keep_their_own_region_and_credentials(aws_env):
    first = session("AKIAFIRST0000000000A").client("ec2", region_name="eu-west-1", config=CLIENT_CONFIG)
    second = session("AKIASECOND000000000B").client("ec2", region_name="ap-south-1", config=CLIENT_CONFIG)
    assert type(first) is type(second) and first.meta.service_model is second.meta.service_model
    assert (first.meta.region_name, second.meta.region_name) == ("eu-west-1", "ap-south-1")
    assert first._request_signer._credentials.access_key != second._request_signer._credentials.access_key
    first.create_vpc(CidrBlock="10.1.0.0/16")
    in_first = {v["CidrBlock"] for v in first.describe_vpcs()["Vpcs"]}
    in_second = {v["CidrBlock"] for v in second.describe_vpcs()["Vpcs"]}
    assert "10.1.0.0/16" in in_first and "10.1.0.0/16" not in in_second


@mock_aws
def test_another_service_gets_its_own_class_with_its_own_operations(aws_env):
    s3 = session("AKIAFIRST0000000000A").client("s3", config=CLIENT_CONFIG)
    ec2 = session("AKIAFIRST0000000000A").client("ec2", region_name="us-east-1", config=CLIENT_CONFIG)
    assert type(s3) is not type(ec2)
    assert hasattr(s3, "list_buckets") and not hasattr(ec2, "list_buckets")
    assert hasattr(s3, "generate_presigned_url") and hasattr(s3, "upload_file")  # boto3's and botocore's additions


def test_clients_of_a_service_share_its_endpoint_provider_and_resolve_their_own_endpoints(aws_env):
    first = session("first").client("guardduty", region_name="eu-west-1")
    second = session("second").client("guardduty", region_name="ap-southeast-2")
    assert first._ruleset_resolver._provider is second._ruleset_resolver._provider
    assert first.meta.endpoint_url == "https://guardduty.eu-west-1.amazonaws.com"
    assert second.meta.endpoint_url == "https://guardduty.ap-southeast-2.amazonaws.com"
    custom = session("third").client("guardduty", region_name="eu-west-1", endpoint_url="http://localhost:5000")
    assert custom.meta.endpoint_url == "http://localhost:5000"
    s3 = session("first").client("s3", region_name="eu-west-1")
    assert s3._ruleset_resolver._provider is not first._ruleset_resolver._provider


def test_a_clients_event_handlers_are_its_own(aws_env):
    shared = session("handlers")
    first, second = shared.client("sqs"), shared.client("sqs")

    def mine(**_):
        return None

    first.meta.events.register("before-send.sqs.ListQueues", mine)

    def handlers(client) -> list:
        return list(client.meta.events._emitter._handlers.prefix_search("before-send.sqs.ListQueues"))

    assert [h for h in handlers(first) if h not in handlers(second)] == [mine]
    assert mine not in handlers(shared.client("sqs"))  # the session's own handlers were not touched
    assert len(handlers(second)) == len(handlers(shared.client("sqs")))


@mock_aws
def test_the_seeders_sessions_share_the_products_models(aws_env):
    seeder = operator_session().client("iam", config=CLIENT_CONFIG)
    product = session("AKIAFIRST0000000000A").client("iam", config=CLIENT_CONFIG)
    assert seeder.meta.service_model is product.meta.service_model
    assert operator_session()._session.get_component("data_loader") is new_botocore_session().get_component(
        "data_loader")

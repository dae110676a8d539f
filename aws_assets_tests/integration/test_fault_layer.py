"""The fault layer (aws_assets_tests/faults.py) answers as AWS does in each protocol the collectors speak: botocore
reads the error code AWS sends, and treats a throttle as a throttle."""

import boto3
import pytest
from botocore.config import Config

from aws_assets_tests.faults import moto_fault_layer, serve_in_thread

CALLS = {  # a read of each protocol: query, ec2, json, CBOR (CloudWatch, signed `monitoring`), rest-json, rest-xml
    "iam": ("iam", lambda client: client.list_users(), "AccessDenied"),
    "ec2": ("ec2", lambda client: client.describe_vpcs(), "UnauthorizedOperation"),
    "dynamodb": ("dynamodb", lambda client: client.list_tables(), "AccessDeniedException"),
    "monitoring": ("cloudwatch", lambda client: client.describe_alarms(), "AccessDeniedException"),
    "lambda": ("lambda", lambda client: client.list_functions(), "AccessDeniedException"),
    "s3": ("s3", lambda client: client.list_buckets(), "AccessDenied"),
}
ONE_ATTEMPT = Config(retries={"mode": "standard", "max_attempts": 1})


@pytest.fixture
def fault_layer(aws_env):
    layer = moto_fault_layer()
    server, endpoint = serve_in_thread(layer)
    yield layer, endpoint
    server.shutdown()


@pytest.mark.parametrize("signing_name", sorted(CALLS))
def test_a_denied_service_answers_aws_code_and_the_others_answer(fault_layer, signing_name):
    layer, endpoint = fault_layer
    service, call, code = CALLS[signing_name]
    layer.configure(deny=[signing_name])
    with pytest.raises(Exception) as denied:  # noqa: PT011 - botocore's error class is made per service
        call(boto3.client(service, endpoint_url=endpoint, config=ONE_ATTEMPT))
    assert denied.value.response["Error"]["Code"] == code
    other = next(name for name in CALLS if name != signing_name)
    CALLS[other][1](boto3.client(CALLS[other][0], endpoint_url=endpoint, config=ONE_ATTEMPT))
    assert layer.denied == {signing_name: 1}


@pytest.mark.parametrize("signing_name", sorted(CALLS))
def test_a_throttle_is_retried_by_botocore_as_a_throttle(fault_layer, signing_name):
    layer, endpoint = fault_layer
    service, call, _ = CALLS[signing_name]
    layer.configure(throttle=0.5)  # every second request
    call(boto3.client(service, endpoint_url=endpoint, config=Config(retries={"mode": "standard", "max_attempts": 3})))
    call(boto3.client(service, endpoint_url=endpoint, config=Config(retries={"mode": "standard", "max_attempts": 3})))
    assert sum(layer.throttled.values()) == 1 and layer.requests == 3

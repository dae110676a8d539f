"""Client-side rate limits (aws_assets/aws/ratelimit.py): the rates and their override, one bucket per account,
region and service (per account for global services), a token for every request sent."""

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.bucket import Clock

from aws_assets.aws.ratelimit import DEFAULT_RATES, RateLimitError, RateLimits, configured_rates
from aws_assets_tests.conftest import REPO, RawBody


def test_the_override_replaces_only_the_services_it_names(monkeypatch):
    monkeypatch.setenv("AWS_ASSETS_RATE_LIMITS", " iam=2.5, EC2=40 ,")
    rates = configured_rates()
    assert rates["iam"] == 2.5 and rates["ec2"] == 40
    assert rates["lambda"] == DEFAULT_RATES["lambda"][0]
    monkeypatch.delenv("AWS_ASSETS_RATE_LIMITS")
    assert configured_rates() == {service: rate for service, (rate, _) in DEFAULT_RATES.items()}


@pytest.mark.parametrize("value", ["iam", "iam=fast", "iam=0", "=5", "ec2=-1"])
def test_a_malformed_override_names_the_variable_and_the_entry(value):
    with pytest.raises(RateLimitError, match=f"AWS_ASSETS_RATE_LIMITS: '{value}' is not"):
        configured_rates(value)


def test_buckets_are_per_account_and_region_and_global_services_per_account():
    limits = RateLimits(configured_rates(""))
    assert limits.bucket("111111111111", "us-east-1", "ec2") is limits.bucket("111111111111", "us-east-1", "ec2")
    assert limits.bucket("111111111111", "us-east-1", "ec2") is not limits.bucket("111111111111", "eu-west-1", "ec2")
    assert limits.bucket("111111111111", "us-east-1", "ec2") is not limits.bucket("222222222222", "us-east-1", "ec2")
    assert limits.bucket("111111111111", "us-east-1", "iam") is limits.bucket("111111111111", "eu-west-1", "iam")
    assert limits.bucket("111111111111", "us-east-1", "sqs").max_rate == DEFAULT_RATES["default"][0]


class ManualClock(Clock):
    def __init__(self) -> None:
        self.now = 0.0

    def current_time(self) -> float:
        return self.now


REGIONS_BODY = b"<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>"


def test_every_request_a_client_sends_takes_a_token_of_its_accounts_bucket():
    clock = ManualClock()
    limits = RateLimits({"ec2": 1000.0, "default": 1000.0}, clock)
    client = boto3.client("ec2", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    answered = []

    def answer_without_sending(request, **_):
        answered.append(request.url)
        return AWSResponse(request.url, 200, {}, RawBody(REGIONS_BODY))

    limits.attach(client, "111111111111")
    client.meta.events.register("before-send.ec2.DescribeRegions", answer_without_sending)
    bucket = limits.bucket("111111111111", "eu-west-1", "ec2")
    bucket.acquire(0)  # starts the bucket's clock
    clock.now += 1.0  # a second later the bucket is full, and the clock stands still from here
    for _ in range(5):
        assert client.describe_regions()["Regions"] == []
    assert len(answered) == 5
    assert bucket.available_capacity == bucket.max_capacity - 5
    assert limits.bucket("111111111111", "eu-west-1", "ec2") is bucket


def test_the_readme_lists_the_default_rates_as_declared():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("| service | rate | where the figure comes from |\n|---|---|---|\n", 1)[1].split("\n\n", 1)[0]
    listed = {}
    for line in table.splitlines():
        service, rate, source = (cell.strip() for cell in line.strip("|").split("|"))
        listed[service.strip("`")] = (float(rate), source)
    assert listed == DEFAULT_RATES

"""A client-side rate limit per account, region and service, so that a sync stays under AWS's request quotas instead
of provoking throttling and retrying its way through it.

AWS throttles each account's requests per region and service (global services such as IAM per account). Every
client of one account, region and service (all the partitions and threads of a sync) takes its tokens from one
bucket (botocore's own token bucket), one token per request sent, retries included. Accounts never share a bucket,
so a throttled account slows only itself.

The rates are requests per second; where AWS documents a quota the default follows it, elsewhere it is a
conservative figure marked as such. `AWS_ASSETS_RATE_LIMITS` (aws_assets.model.settings) overrides them:
`"iam=5,ec2=50,default=20"`.
"""

from __future__ import annotations

import threading

from botocore.retries.bucket import Clock, TokenBucket

from aws_assets.model.settings import RATE_LIMITS, settings

# service -> (requests per second, where the figure comes from)
DEFAULT_RATES: dict[str, tuple[float, str]] = {
    "ec2": (20.0, "EC2 API throttling: non-mutating (Describe*) actions refill 20 a second per account, region"),
    "sts": (100.0, "STS quota: 600 requests a second per account and region; kept well below"),
    "lambda": (15.0, "Lambda quota: control-plane requests other than GetFunction, 15 a second"),
    "apigateway": (10.0, "API Gateway quota: 10 requests a second per account for GET management calls"),
    "iam": (10.0, "conservative: IAM documents no figure and throttles per account for all regions"),
    "organizations": (10.0, "conservative: Organizations documents no figure and throttles per organisation"),
    "config": (5.0, "conservative: Config's read calls are throttled at a few per second"),
    "rds": (10.0, "conservative: RDS throttles Describe* per account and region"),
    "s3": (50.0, "conservative: S3 bucket-configuration calls"),
    "s3control": (10.0, "conservative"),
    "dynamodb": (20.0, "conservative: DynamoDB control-plane calls"),
    "kms": (50.0, "KMS quota: ListKeys and other list calls, 100 a second per account and region; kept below"),
    "default": (20.0, "conservative"),
}
GLOBAL_SERVICES = frozenset({"iam", "organizations", "s3control"})


class RateLimitError(ValueError):
    """AWS_ASSETS_RATE_LIMITS is malformed; the message names the entry."""


def configured_rates(value: str | None = None) -> dict[str, float]:
    """The default rates, overridden by `AWS_ASSETS_RATE_LIMITS` (or `value`)."""
    rates = {service: rate for service, (rate, _) in DEFAULT_RATES.items()}
    text = (settings().rate_limits or "") if value is None else value
    for entry in filter(None, (part.strip() for part in text.split(","))):
        service, _, rate = entry.partition("=")
        try:
            requests_per_second = float(rate)
        except ValueError:
            requests_per_second = 0.0
        if not service.strip() or requests_per_second <= 0:
            raise RateLimitError(
                f"{RATE_LIMITS.name}: {entry!r} is not <service>=<requests per second above 0>, "
                "for example 'iam=5,ec2=40'"
            )
        rates[service.strip().lower()] = requests_per_second
    return rates


class RateLimits:
    """The buckets of one process, made on first use."""

    def __init__(self, rates: dict[str, float] | None = None, clock: Clock | None = None) -> None:
        self._rates = rates
        self._clock = clock or Clock()
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def rate(self, service: str) -> float:
        rates = self._rates if self._rates is not None else configured_rates()
        return rates.get(service, rates["default"])

    def bucket(self, account_id: str, region: str, service: str) -> TokenBucket:
        key = (account_id, "global" if service in GLOBAL_SERVICES else region, service)
        with self._lock:
            if key not in self._buckets:
                self._buckets[key] = TokenBucket(max_rate=self.rate(service), clock=self._clock)
            return self._buckets[key]

    def attach(self, client, account_id: str) -> None:
        """Make every request `client` sends (retries included) wait for a token of its account's bucket."""
        bucket = self.bucket(account_id, client.meta.region_name, client.meta.service_model.service_name)

        def take_token(**_) -> None:
            bucket.acquire()

        client.meta.events.register("before-send", take_token)


PROCESS_RATE_LIMITS = RateLimits()

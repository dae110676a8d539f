"""What a collector sees of AWS while it collects one partition (an account, or an account and a region)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.ratelimit import PROCESS_RATE_LIMITS, RateLimits
from aws_assets.aws.retries import RetryBudget, bound_retries
from aws_assets.aws.session import CLIENT_CONFIG, adapt_to_custom_endpoint
from aws_assets.model.regions import GLOBAL_REGION, HOME_REGION

T = TypeVar("T")
R = TypeVar("R")

# boto3 sessions are not thread-safe; clients are, once created.
_CLIENT_CREATION = threading.Lock()
# Bounded so that per-resource detail calls (S3 bucket settings, Lambda policies) do not trip throttling.
DETAIL_CALL_WORKERS = 8
# What AWS answers when the caller may not make the call (IAM policy, SCP, or EC2's and SNS's own codes).
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


class PartitionCollection:
    """Clients, a memo for responses shared by several entity types, and a bounded pool for detail calls.

    Its clients share the partition's retry budget and their account's rate limits."""

    def __init__(self, session: boto3.Session, account_id: str, region: str, calls: CallCounter,
                 rate_limits: RateLimits = PROCESS_RATE_LIMITS) -> None:
        self.session = session
        self.account_id = account_id
        self.region = region
        self.calls = calls
        self.rate_limits = rate_limits
        self.retry_budget = RetryBudget()
        self._clients: dict[tuple[str, str], Any] = {}
        self._memo: dict[str, Any] = {}

    @property
    def api_region(self) -> str:
        return HOME_REGION if self.region == GLOBAL_REGION else self.region

    def client(self, service: str, region: str | None = None):
        key = (service, region or self.api_region)
        known = self._clients.get(key)
        if known is not None:
            return known
        with _CLIENT_CREATION:
            if key not in self._clients:
                client = self.session.client(service, region_name=key[1], config=CLIENT_CONFIG)
                adapt_to_custom_endpoint(service, client)
                self.calls.attach(client.meta.events)
                bound_retries(client, self.retry_budget, self.calls)
                self.rate_limits.attach(client, self.account_id)
                self._clients[key] = client
            return self._clients[key]

    def shared(self, key: str, fetch: Callable[[], T]) -> T:
        """The response of `fetch`, fetched once per partition however many entity types need it."""
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    def map_concurrently(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=DETAIL_CALL_WORKERS) as pool:
            return list(pool.map(fn, items))

    def paginate(self, service: str, operation: str, result_key: str, region: str | None = None, **params) -> list:
        """Every item of a paginated list operation."""
        paginator = self.client(service, region).get_paginator(operation)
        return [item for page in paginator.paginate(**params) for item in page.get(result_key, [])]


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def optional(call: Callable[[], T], *missing_codes: str) -> T | None:
    """The call's response, or None when AWS answers that the thing does not exist (not an access problem)."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) in missing_codes:
            return None
        raise


class DetailCalls:
    """Detail calls about one resource, whose refusal must cost a property, not the resource.

    `get` answers the call's response; `missing` when AWS answers one of `missing_codes` (the thing does not exist);
    None when access is denied, with `"<operation>: <code>"` added to `errors`. Any other error is raised (botocore
    has already retried throttling), unless `record_any_error` asks for it to be recorded like a denial.
    """

    def __init__(self, *, record_any_error: bool = False) -> None:
        self.errors: list[str] = []
        self.record_any_error = record_any_error

    def get(self, operation: str, call: Callable[[], T], *missing_codes: str, missing: T | None = None) -> T | None:
        try:
            return call()
        except ClientError as error:
            code = error_code(error)
            if code in missing_codes:
                return missing
            if code in ACCESS_DENIED_CODES or self.record_any_error:
                self.errors.append(f"{operation}: {code}")
                return None
            raise

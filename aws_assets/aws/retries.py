"""How a collector's clients retry: botocore's standard retry handler, with attempts bounded by what retrying can fix.

botocore's retry modes retry every transient error alike, up to the configured attempts: a call the endpoint does not
implement (HTTP 501, or moto's HTTP 500 for an unknown action) stalls a partition for half a minute, and so does every
call to an endpoint that is down. Here:

- throttling is retried up to THROTTLING_ATTEMPTS times with botocore's exponential backoff, scaled down by
  THROTTLING_BACKOFF_SCALE: the client-side rate limit (:mod:`aws_assets.aws.ratelimit`) keeps the sync under AWS's
  documented rates, so a throttle is a burst (another client of the account, say) that AWS's token bucket refills
  within a fraction of a second; botocore's full second, doubled on each attempt, made a sync with 30% of its
  requests throttled take 2.4 times as long as one without (benchmarks/faults.py);
- an endpoint that cannot be reached (connection refused, DNS, TLS, connect timeout) is tried UNREACHABLE_ATTEMPTS
  times, so a dead endpoint fails the partition in seconds;
- other server errors are retried SERVER_ERROR_ATTEMPTS times, sleeping at most SERVER_ERROR_BUDGET_SECONDS in all
  per partition;
- an unknown operation is never retried, and neither (as in botocore) is access denied or a validation error.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ProxyConnectionError,
    SSLError,
)
from botocore.retries.quota import RetryQuota
from botocore.retries.standard import (
    ExponentialBackoff,
    RetryContext,
    RetryEventAdapter,
    RetryHandler,
    RetryPolicy,
    RetryQuotaChecker,
    StandardRetryConditions,
    ThrottlingErrorDetector,
)

if TYPE_CHECKING:
    from aws_assets.aws.calls import CallCounter

THROTTLING_ATTEMPTS = 8
THROTTLING_BACKOFF_SCALE = 0.25
UNREACHABLE_ATTEMPTS = 2
SERVER_ERROR_ATTEMPTS = 3
SERVER_ERROR_BUDGET_SECONDS = 10.0
# What an endpoint answers for an operation it does not know: AWS's codes, and HTTP 501.
NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "InvalidAction", "UnknownOperationException"})
NOT_IMPLEMENTED_STATUS = 501
UNREACHABLE_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError, SSLError)


class RetryBudget:
    """The seconds one partition may still spend waiting to retry server errors, shared by its clients."""

    def __init__(self, seconds: float = SERVER_ERROR_BUDGET_SECONDS) -> None:
        self._remaining = seconds
        self._lock = threading.Lock()

    @property
    def remaining(self) -> float:
        with self._lock:
            return self._remaining

    def spend(self, seconds: float) -> float:
        """Take up to `seconds` from the budget and answer what was granted."""
        with self._lock:
            granted = max(0.0, min(seconds, self._remaining))
            self._remaining -= granted
            return granted


def is_unreachable(context: RetryContext) -> bool:
    return isinstance(context.caught_exception, UNREACHABLE_ERRORS)


def is_not_implemented(context: RetryContext) -> bool:
    status = context.http_response.status_code if context.http_response is not None else None
    return status == NOT_IMPLEMENTED_STATUS or context.get_error_code() in NOT_IMPLEMENTED_CODES


class BoundedRetryPolicy(RetryPolicy):
    """botocore's standard conditions decide whether an error is retryable at all; the kind of error decides how
    many times, and server errors share the partition's budget."""

    def __init__(self, service_event_name: str, budget: RetryBudget) -> None:
        self._throttling = ThrottlingErrorDetector(RetryEventAdapter())
        super().__init__(
            retry_checker=StandardRetryConditions(max_attempts=THROTTLING_ATTEMPTS),
            retry_backoff=ExponentialBackoff(service_name=service_event_name, throttling_detector=self._throttling),
        )
        self._budget = budget

    def is_throttling(self, context: RetryContext) -> bool:
        return self._throttling.is_throttling_error_from_context(context)

    def should_retry(self, context: RetryContext) -> bool:
        if is_not_implemented(context) or not super().should_retry(context):
            return False
        if self.is_throttling(context):
            return True
        if is_unreachable(context):
            return context.attempt_number < UNREACHABLE_ATTEMPTS
        return context.attempt_number < SERVER_ERROR_ATTEMPTS and self._budget.remaining > 0

    def compute_retry_delay(self, context: RetryContext) -> float:
        delay = super().compute_retry_delay(context)
        if self.is_throttling(context):
            return delay * THROTTLING_BACKOFF_SCALE
        return self._budget.spend(delay)


class CountingRetryHandler(RetryHandler):
    """botocore's retry handler, recording each retry (and whether it was throttled) in the partition's counter."""

    def __init__(self, service_event_name: str, budget: RetryBudget, calls: CallCounter) -> None:
        self._policy = BoundedRetryPolicy(service_event_name, budget)
        adapter = RetryEventAdapter()
        super().__init__(
            retry_policy=self._policy,
            retry_event_adapter=adapter,
            retry_quota=RetryQuotaChecker(RetryQuota(), ThrottlingErrorDetector(adapter)),
            service_name=service_event_name,
        )
        self._calls = calls

    def needs_retry(self, **kwargs):
        delay = super().needs_retry(**kwargs)
        if delay is not None:
            context = RetryEventAdapter().create_retry_context(**kwargs)
            operation = f"{context.operation_model.service_model.service_name}:{context.operation_model.name}"
            self._calls.record_retry(operation, throttled=self._policy.is_throttling(context))
        return delay


def bound_retries(client, budget: RetryBudget, calls: CallCounter) -> None:
    """Replace the standard retry handler botocore registered on `client`."""
    service_event_name = client.meta.service_model.service_id.hyphenize()
    handler = CountingRetryHandler(service_event_name, budget, calls)
    unique_id = f"retry-config-{service_event_name}"
    client.meta.events.unregister(f"needs-retry.{service_event_name}", unique_id=unique_id)
    client.meta.events.register(f"needs-retry.{service_event_name}", handler.needs_retry, unique_id=unique_id)

"""boto3 sessions that act inside a customer's account through its read-only role.

The source credentials come from the standard AWS environment (variables, profiles, SSO, instance roles) and
`AWS_ENDPOINT_URL` is honoured by botocore itself. Credentials of the assumed role refresh before they expire.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from typing import TYPE_CHECKING

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.client_models import share_client_models
from aws_assets.aws.retries import RetryBudget, bound_retries
from aws_assets.model.regions import HOME_REGION

if TYPE_CHECKING:
    from aws_assets.inputs.instances import Instance

share_client_models()

ROLE_SESSION_NAME = "aws-assets-collector"
SESSION_SECONDS = 3600  # AWS's default maximum for a role; a role chained from another role cannot exceed it
# Standard mode: the client-side rate limit is aws.ratelimit's, one bucket per account, region and service (adaptive
# mode's own per-client limiter cut a client to half a request a second after a few throttles: a sync with 30% of
# its requests throttled took 5.4 times as long as one without, benchmarks/faults.py); aws.retries bounds the
# attempts by kind of error.
# A host that does not accept a connection in 5 s is down or unreachable: failing fast lets the sync go on.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 8},
    connect_timeout=5,
    max_pool_connections=32,
    user_agent_appid="aws-assets",
)


ACCOUNT_HOST_PREFIX = re.compile(r"^(?P<scheme>https?://)\d{12}\.")


def custom_endpoint(service: str) -> str | None:
    """The endpoint the standard AWS environment names for a service, if any (moto, LocalStack, a proxy)."""
    service_variable = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return os.environ.get(service_variable) or os.environ.get("AWS_ENDPOINT_URL")


def _drop_account_host_prefix(request, **_) -> None:
    request.url = ACCOUNT_HOST_PREFIX.sub(r"\g<scheme>", request.url)


def serve_every_account_on_one_host(s3control_client) -> None:
    """S3 Control puts `<account-id>.` before the host, which a custom endpoint (one host for every account) lacks."""
    s3control_client.meta.events.register("before-sign.s3-control.*", _drop_account_host_prefix)


def adapt_to_custom_endpoint(service: str, client) -> None:
    if service == "s3control" and custom_endpoint(service):
        serve_every_account_on_one_host(client)


@functools.cache
def _shared_loader(data_path: str | None) -> botocore.loaders.Loader:
    return botocore.loaders.create_loader(data_path)


def new_botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session sharing the process's loader of service models and endpoints: each session would
    otherwise parse them again (half a second a session, paid per account at organisation scale)."""
    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", _shared_loader(session.get_config_variable("data_path")))
    return session


class AccessError(RuntimeError):
    """The instance's role cannot be assumed; the message names the account and the role, never the external ID."""


class _AssumedRoleProvider(CredentialProvider):
    METHOD = "aws-assets-assume-role"
    CANONICAL_NAME = "aws-assets-assume-role"

    def __init__(self, fetcher: AssumeRoleCredentialFetcher) -> None:
        self._fetcher = fetcher

    def load(self):
        return DeferredRefreshableCredentials(refresh_using=self._fetcher.fetch_credentials, method=self.METHOD)


def assume_role_session(
    instance: Instance,
    profile: str | None = None,
    calls: CallCounter | None = None,
    duration_seconds: int = SESSION_SECONDS,
) -> boto3.Session:
    """A session acting as the instance's role; `calls` counts its AssumeRole calls (refreshes included).

    botocore assumes the role again when the credentials have less than 15 minutes left, before any call that
    would otherwise use expired ones, so a long sync never fails on expiry."""
    source = new_botocore_session(profile)
    if calls is not None:
        calls.attach(source)
    source_credentials = source.get_credentials()
    if source_credentials is None:
        raise AccessError(
            f"no AWS credentials to assume {instance.role_arn} with: set AWS_PROFILE or AWS_ACCESS_KEY_ID, "
            "or run where an instance role is available"
        )
    def sts_client(service: str, **credentials):
        client = source.create_client(service, region_name=HOME_REGION, config=CLIENT_CONFIG, **credentials)
        # An STS endpoint that cannot be reached fails the account in seconds, as any other collector call does.
        bound_retries(client, RetryBudget(), calls or CallCounter())
        return client

    fetcher = AssumeRoleCredentialFetcher(
        client_creator=sts_client,
        source_credentials=source_credentials,
        role_arn=instance.role_arn,
        extra_args={
            "ExternalId": instance.external_id,
            "RoleSessionName": ROLE_SESSION_NAME,
            "DurationSeconds": duration_seconds,
        },
    )
    target = new_botocore_session()
    target.register_component("credential_provider", CredentialResolver([_AssumedRoleProvider(fetcher)]))
    try:
        target.get_credentials().get_frozen_credentials()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        raise AccessError(
            f"account {instance.account_id}: cannot assume role {instance.role_arn}: {code}. "
            "Check that the role exists, trusts this principal and expects this external ID."
        ) from None
    except BotoCoreError as error:
        raise AccessError(f"account {instance.account_id}: cannot assume role {instance.role_arn}: {error}") from None
    return boto3.Session(botocore_session=target)


class AccountSessions:
    """One assumed-role session per instance for the life of the process; its credentials refresh themselves.

    A session is reused only while the environment that made it (source credentials, endpoints) is unchanged.
    """

    ENVIRONMENT = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS")

    def __init__(self) -> None:
        self._sessions: dict[tuple, boto3.Session] = {}
        self._assuming: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, instance: Instance, profile: str | None, calls: CallCounter) -> boto3.Session:
        environment = tuple(os.environ.get(name) for name in self.ENVIRONMENT)
        key = (profile, instance.role_arn, instance.external_id, environment)
        with self._lock:
            if key in self._sessions:
                return self._sessions[key]
            assuming = self._assuming.setdefault(key, threading.Lock())
        # AssumeRole is a round trip to STS: one per account at a time, never one account after another.
        with assuming:
            with self._lock:
                if key in self._sessions:
                    return self._sessions[key]
            session = assume_role_session(instance, profile, calls)
            with self._lock:
                self._sessions[key] = session
            return session

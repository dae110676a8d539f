"""boto3 clients of the moto server, acting inside one account of the simulated organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from aws_assets.sim.accounts import HOME_REGION, SEED_ROLE_NAME, role_arn

_DUMMY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
# Retries ride out the occasional HTTP 500 of a busy moto server.
_CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


def operator_session() -> boto3.Session:
    """The operator's session, which assumes the seed role of every account."""
    return boto3.Session(region_name=HOME_REGION, **_DUMMY_CREDENTIALS)


@dataclass
class AccountClients:
    """boto3 clients acting inside one account, created once per (service, region)."""

    session: boto3.Session
    credentials: dict[str, str]
    endpoint_url: str
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def assume(cls, session: boto3.Session, endpoint_url: str, account_id: str) -> AccountClients:
        sts = session.client("sts", endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
        credentials = sts.assume_role(
            RoleArn=role_arn(account_id, SEED_ROLE_NAME), RoleSessionName="seed"
        )["Credentials"]
        # Sharing one session across accounts reuses its loaded service models; a session per
        # account made seeding about a fifth slower.
        return cls(
            session=session,
            credentials={
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            },
            endpoint_url=endpoint_url,
        )

    def __call__(self, service: str, region: str = HOME_REGION) -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self.session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=_CLIENT_CONFIG,
                **self.credentials,
            )
        return self._cache[key]

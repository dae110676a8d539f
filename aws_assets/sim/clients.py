"""boto3 clients of the moto server, acting inside one account of the simulated organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from aws_assets.aws.session import new_botocore_session, serve_every_account_on_one_host
from aws_assets.sim.accounts import HOME_REGION

_DUMMY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
# Retries ride out the occasional HTTP 500 of a busy moto server.
_CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
# moto acts in the account this request header names, whatever the credentials.
_MOTO_ACCOUNT_HEADER = "x-moto-account-id"


def operator_session() -> boto3.Session:
    """The operator's session, whose clients the seeder points at each account in turn. It reads service models
    with the product's one loader: a session's own loader keeps every model its clients read for its life."""
    return boto3.Session(botocore_session=new_botocore_session(), region_name=HOME_REGION, **_DUMMY_CREDENTIALS)


@dataclass
class AccountClients:
    """boto3 clients acting inside one account, created once per (service, region).

    On AWS the operator would assume each member's OrganizationAccountAccessRole; the simulator's server refuses to
    assume a role that does not exist (:mod:`aws_assets.sim.teach_moto`) and the estate has no such role, which
    would also show in every account's inventory. So the seeder names the account in moto's own request header
    instead: moto's back door, used by the seeder only, never by the product.
    """

    session: boto3.Session
    account_id: str
    endpoint_url: str
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def in_account(cls, session: boto3.Session, endpoint_url: str, account_id: str) -> AccountClients:
        # Sharing one session across accounts reuses its loaded service models; a session per
        # account made seeding about a fifth slower.
        return cls(session=session, account_id=account_id, endpoint_url=endpoint_url)

    def __call__(self, service: str, region: str = HOME_REGION) -> Any:
        key = (service, region)
        if key not in self._cache:
            client = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
            )
            if service == "s3control":
                serve_every_account_on_one_host(client)
            client.meta.events.register("before-sign", self._name_account)
            self._cache[key] = client
        return self._cache[key]

    def _name_account(self, request: Any, **_: Any) -> None:
        request.headers[_MOTO_ACCOUNT_HEADER] = self.account_id

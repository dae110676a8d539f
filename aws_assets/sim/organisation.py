"""A simulated AWS organisation on a moto server, for the demo, end-to-end tests and benchmarks.

The operator (the account that runs aws-assets) is moto's default account ``123456789012``. It
ingests three member accounts, each in ``us-east-1`` (home region), ``eu-west-1`` and
``ap-southeast-2``:

=============  ========  =============================================================
account id     name      role in the estate
=============  ========  =============================================================
111111111111   prod      customer-facing workloads, the largest account
222222222222   dev       a smaller copy of prod; Config is off in ap-southeast-2
333333333333   shared    shared services: the deployment pipeline, an auditors group
=============  ========  =============================================================

Every account holds every entity type of the integration spec. ``scale`` multiplies the bulk tiers
(engineer users, web/worker instances, archive buckets, event tables, job functions) and nothing else.

Each AWS service of the estate is one module of :mod:`aws_assets.sim.estate`, whose docstring describes what it
seeds (counts there are for ``scale=1``) and whose ``SEEDER`` seeds it and declares how many entities of each type
it creates: ``iam``, ``kms``, ``ec2``, ``s3``, ``rds``, ``dynamodb``, ``lambda_``, ``apigateway``, ``config``,
``sqs``, ``sns``, ``secretsmanager`` and ``ecr``. The partner account ``444444444444``, outside the organisation and
never seeded, is what the resource policies of a topic and a secret let in.
:func:`expected_counts` adds those declarations up.

Run ``python -m aws_assets.sim.organisation serve --port 5000 --instances-file instances.json`` to
keep a seeded server running for the demo.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_assets.sim import estate
from aws_assets.sim.accounts import (
    ACCOUNTS,
    DEV,
    HOME_REGION,
    INTEGRATION_ROLE_NAME,
    OPERATOR_ACCOUNT_ID,
    ORGANIZATION_ID,
    PROD,
    REGIONS,
    SHARED,
    external_id_for,
    role_arn,
)
from aws_assets.sim.clients import AccountClients, operator_session
from aws_assets.sim.estate.iam import EXTERNAL_AUDITOR_ACCOUNT_ID
from aws_assets.sim.estate.lambda_ import LAMBDA_ENVIRONMENT_SECRET
from aws_assets.sim.seeder import AccountContext
from aws_assets.sim.server import start_moto_server

__all__ = [
    "ACCOUNTS",
    "DEV",
    "EXTERNAL_AUDITOR_ACCOUNT_ID",
    "HOME_REGION",
    "INTEGRATION_ROLE_NAME",
    "LAMBDA_ENVIRONMENT_SECRET",
    "OPERATOR_ACCOUNT_ID",
    "ORGANIZATION_ID",
    "PROD",
    "REGIONS",
    "SHARED",
    "SimulatedAccount",
    "SimulatedOrg",
    "expected_counts",
    "external_id_for",
    "main",
    "seed",
    "start_moto_server",
]


@dataclass(frozen=True)
class SimulatedAccount:
    account_id: str
    name: str
    role_arn: str
    external_id: str


@dataclass(frozen=True)
class SimulatedOrg:
    accounts: tuple[SimulatedAccount, ...]
    regions: tuple[str, ...]
    operator_account_id: str

    def instances(self) -> list[dict[str, Any]]:
        """Integration-instance configurations, one per account, as the product reads them."""
        return [
            {
                "name": account.name,
                "roleArn": account.role_arn,
                "externalId": account.external_id,
                "regions": list(self.regions),
            }
            for account in self.accounts
        ]

    def write_instances_file(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`instances` as a JSON list, atomically so a reader never sees half a file."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        file_descriptor, temporary_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            # mkstemp creates the file owner-only; the demo's other processes must read it.
            os.chmod(temporary_name, 0o644)
            with os.fdopen(file_descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.instances(), handle, indent=2)
                handle.write("\n")
            os.replace(temporary_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary_name)
            raise
        return target


def seed(endpoint_url: str, *, scale: int = 1) -> SimulatedOrg:
    """Create the organisation the estate modules describe on the moto server at ``endpoint_url``.

    Seed a given server only once: names are fixed, so a second run fails on existing resources.
    Everything happens on the calling thread because moto's server can fail on concurrent writes.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    session = operator_session()
    for account_id, name in ACCOUNTS.items():
        account = AccountContext(
            account_id=account_id,
            name=name,
            scale=scale,
            clients=AccountClients.in_account(session, endpoint_url, account_id),
        )
        for seeder in estate.seeders():
            seeder.seed(account)
    return SimulatedOrg(
        accounts=tuple(
            SimulatedAccount(
                account_id=account_id,
                name=name,
                role_arn=role_arn(account_id, INTEGRATION_ROLE_NAME),
                external_id=external_id_for(account_id),
            )
            for account_id, name in ACCOUNTS.items()
        ),
        regions=REGIONS,
        operator_account_id=OPERATOR_ACCOUNT_ID,
    )


def expected_counts(scale: int = 1) -> dict[str, dict[str, int]]:
    """Entity type -> account id -> how many entities of that type aws-assets finds in the account once
    ``seed(scale=scale)`` has run: what the estate modules declare, plus the account itself."""
    counts = {"aws_account": dict.fromkeys(ACCOUNTS, 1)}
    for seeder in estate.seeders():
        for account_id in ACCOUNTS:
            for entity_type, count in seeder.counts(account_id, scale).items():
                counts.setdefault(entity_type, dict.fromkeys(ACCOUNTS, 0))[account_id] += count
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aws_assets.sim.organisation",
        description="Run a moto server holding the simulated AWS organisation.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start, seed and keep serving until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    serve.add_argument("--instances-file", required=True, type=Path,
                       help="where to write the integration instances JSON")
    serve.add_argument("--pid-file", type=Path, help="write this process id here while serving")
    serve.add_argument("--scale", type=int, default=1, help="multiplier of the bulk resources")
    arguments = parser.parse_args(argv)
    return _serve(arguments.port, arguments.instances_file, arguments.pid_file, arguments.scale)


def _serve(port: int, instances_file: Path, pid_file: Path | None, scale: int) -> int:
    stop_requested = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop_requested.set())

    server, endpoint_url = start_moto_server(port)
    try:
        organisation = seed(endpoint_url, scale=scale)
        organisation.write_instances_file(instances_file)
        if pid_file is not None:
            pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
        print(endpoint_url, flush=True)
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop_requested.wait(timeout=1.0):
            pass
    finally:
        server.stop()
        if pid_file is not None:
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared fixtures: moto in process, with the code reaching it exactly as it reaches AWS."""

from __future__ import annotations

import contextlib
import os
import shutil

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import logging
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import hypothesis
import pytest
from botocore.awsrequest import AWSResponse

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.partition import PartitionCollection
from aws_assets.aws.ratelimit import DEFAULT_RATES
from aws_assets.aws.session import assume_role_session
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.model.settings import CACHE, RATE_LIMITS, SYNC_PROCESSES
from aws_assets.sim import accounts as simulated_accounts
from aws_assets.sim.teach_moto import teach_moto

# Dagster, moto, the definitions and the simulated organisation are imported by the fixtures that use them: pytest's
# xdist controller imports this module too, and runs no test, and it imported them for nothing (two seconds before
# the first worker started).
if TYPE_CHECKING:
    from dagster import DagsterInstance

# How many examples each property test tries: `make test` (and so CI) runs the thorough profile; a developer's
# `pytest -m "not e2e"` the quick one, to stay fast. `--hypothesis-profile` chooses.
hypothesis.settings.register_profile("quick", max_examples=40)
hypothesis.settings.register_profile("thorough", max_examples=300)
hypothesis.settings.load_profile("quick")

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"  # the labelled corpora

ACCOUNT_ID = "111122223333"
# The simulated organisation's accounts, which the tests import from here.
PROD, DEV, SHARED = simulated_accounts.PROD, simulated_accounts.DEV, simulated_accounts.SHARED
REGION = "eu-west-1"


@pytest.fixture(autouse=True, scope="session")
def snapshot_cache(tmp_path_factory):
    """The lake snapshots the graph assets keep, in the test session's own folder rather than the user's cache."""
    folder = tmp_path_factory.mktemp("snapshot-cache")
    previous = os.environ.get(CACHE.name)
    os.environ[CACHE.name] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(CACHE.name, None)
    else:
        os.environ[CACHE.name] = previous


@pytest.fixture(scope="session")
def dagster_instances(tmp_path_factory) -> Callable[[], contextlib.AbstractContextManager[DagsterInstance]]:
    """Fresh persistent Dagster instances: `with dagster_instances() as instance:` is `instance_for_test()` (SQLite
    storage in a folder of its own, which DAGSTER_HOME names meanwhile), in a copy of one such folder made once per
    session. Creating the storage's schema costs about 0.4 s an instance, copying it 0.04 s."""
    from dagster import instance_for_test

    template = tmp_path_factory.mktemp("dagster-instance-template")
    with instance_for_test(temp_dir=str(template)):
        pass

    @contextlib.contextmanager
    def fresh() -> Iterator[DagsterInstance]:
        folder = tmp_path_factory.mktemp("dagster-instance")
        shutil.copytree(template, folder, dirs_exist_ok=True)
        with instance_for_test(temp_dir=str(folder)) as instance:
            yield instance

    return fresh


def dummy_aws_env(env: pytest.MonkeyPatch) -> None:
    """Dummy credentials and no stray endpoint or profile from the developer's shell."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        env.delenv(name, raising=False)
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_SESSION_TOKEN", "testing")
    env.setenv("AWS_DEFAULT_REGION", "us-east-1")
    env.setenv("AWS_CONFIG_FILE", "/nonexistent")
    env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.fixture
def aws_env(monkeypatch):
    dummy_aws_env(monkeypatch)


# moto in process answers at once and has none of AWS's request quotas, which the client-side rate limit
# (aws_assets.aws.ratelimit: Organizations and IAM 10 requests a second, Config 5, ...) keeps a sync under: under them
# the collector tests spent most of their time waiting for tokens. Its documented override raises every rate; every
# request still takes a token. The moto servers of the end-to-end tests keep the defaults, except where a bucket (one
# per account, region and service, for the life of the process) was first made under this override.
IN_PROCESS_RATE_LIMITS = ",".join(f"{service}=10000" for service in DEFAULT_RATES)
# moto in process answers only this process: a sync must not spread its accounts over others.
IN_PROCESS_SYNC_PROCESSES = "1"


@pytest.fixture
def moto(aws_env, monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv(RATE_LIMITS.name, IN_PROCESS_RATE_LIMITS)
    teach_moto()  # the services and answers moto lacks (Access Analyzer, ...), as the simulator's server has them
    monkeypatch.setenv(SYNC_PROCESSES.name, IN_PROCESS_SYNC_PROCESSES)
    with mock_aws():
        yield


@contextlib.contextmanager
def moto_in_process() -> Iterator[None]:
    """The `moto` fixture's moto (and its dummy credentials and rates) while inside, for a fixture of a wider scope
    that seeds and collects once for the tests of its module that only read the result: such a fixture leaves it
    before it returns, so that every test's own moto starts empty."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as env:
        dummy_aws_env(env)
        env.setenv(RATE_LIMITS.name, IN_PROCESS_RATE_LIMITS)
        env.setenv(SYNC_PROCESSES.name, IN_PROCESS_SYNC_PROCESSES)
        teach_moto()
        with mock_aws():
            yield


INSTANCE = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "test-external-id")


@pytest.fixture
def account_session(moto) -> boto3.Session:
    """A session acting in ACCOUNT_ID, for seeding; its calls are not counted as the collector's."""
    return assume_role_session(INSTANCE)


class RawBody:
    """The raw stream botocore reads an HTTP body from, for answers made up in a `before-send` handler."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_args):
        body, self._body = self._body, b""
        return body


def make_collection(region: str = REGION) -> PartitionCollection:
    """A partition collection with its own session, so its CallCounter sees only the collector's calls."""
    calls = CallCounter()
    return PartitionCollection(assume_role_session(INSTANCE, calls=calls), ACCOUNT_ID, region, calls)


def serve_in_pages(
    collection: PartitionCollection,
    service: str,
    operation: str,
    result_key: str,
    items_for: Callable[[dict], list],
    token: str,
    next_token: str | None = None,
    more_results: str | None = None,
) -> None:
    """Answer `operation` one item per page, as AWS pages it where moto answers all at once.

    `service` is named as botocore's events name it (`api-gateway`, `lambda`, `rds`); `items_for` gives the items
    for the request's parameters; the request's `token` names the page asked for and the response's `next_token`
    (`token` unless AWS names it otherwise, e.g. Marker and NextMarker) the page after it; `more_results` names the
    flag saying whether more pages follow, for APIs that have one (KMS's `Truncated`).
    """

    def remember_request(params, context, **_):
        context["test_page"] = (items_for(params), int(params.get(token) or 0))

    def answer_page(context, **_):
        items, page = context["test_page"]
        body = {result_key: items[page:page + 1]}
        if page + 1 < len(items):
            body[next_token or token] = str(page + 1)
        if more_results:
            body[more_results] = page + 1 < len(items)
        return AWSResponse("https://moto.test", 200, {}, None), body

    collection.session.events.register(f"before-parameter-build.{service}.{operation}", remember_request)
    collection.session.events.register_last(f"before-call.{service}.{operation}", answer_page)


def refuse(
    collection: PartitionCollection, service: str, operation: str, code: str, when: Callable[[dict], bool]
) -> None:
    """Answer `operation` with AWS's error `code` when `when(request parameters)` holds; moto answers the rest."""

    def remember_request(params, context, **_):
        context["test_refused"] = when(params)

    def answer(context, **_):
        if not context.get("test_refused"):
            return None
        error = {"Error": {"Code": code, "Message": "refused by the test"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse("https://moto.test", 400, {}, None), error

    collection.session.events.register(f"before-parameter-build.{service}.{operation}", remember_request)
    collection.session.events.register_last(f"before-call.{service}.{operation}", answer)


@pytest.fixture
def regional(moto) -> PartitionCollection:
    return make_collection(REGION)


@pytest.fixture
def global_partition(moto) -> PartitionCollection:
    return make_collection(GLOBAL_REGION)


@pytest.fixture
def moto_server(aws_env, monkeypatch):
    """A moto server on a free local port, named by AWS_ENDPOINT_URL as a real deployment would name it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    teach_moto()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    reset_moto(f"http://{host}:{port}")
    yield f"http://{host}:{port}"
    reset_moto(f"http://{host}:{port}")
    server.stop()


def reset_moto(endpoint: str) -> None:
    """Empties every moto backend: servers in one process share them, so one test's resources would leak into
    the next server's estate."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request).close()


@contextlib.contextmanager
def seeded_org(credential: str):
    """The simulated organisation seeded on its own moto server, named by AWS_ENDPOINT_URL, with dummy credentials
    `credential` and no stray profile or per-service endpoint from the developer's shell: yields (org, endpoint)."""
    from aws_assets.sim.organisation import seed, start_moto_server

    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", credential)
        env.setenv("AWS_SECRET_ACCESS_KEY", credential)
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        server, endpoint = start_moto_server()
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        try:
            reset_moto(endpoint)
            yield seed(endpoint), endpoint
        finally:
            server.stop()


@pytest.fixture(scope="session")
def synced(tmp_path_factory):
    """The simulated organisation on a moto server, synced once through the Dagster definitions (lake and graph)."""
    from dagster import DagsterInstance

    from aws_assets.defs.definitions import build_definitions
    from aws_assets.defs.sync import sync
    from aws_assets.inputs.instances import load_instances
    from aws_assets.lake.storage import Lake

    work = tmp_path_factory.mktemp("e2e")
    with seeded_org("e2e") as (org, _):
        instances_file = org.write_instances_file(work / "instances.json")
        defs = build_definitions(
            instances_file=str(instances_file), lake_root=str(work / "lake"),
            people_file=os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples", "people.csv"),
        )
        with DagsterInstance.ephemeral() as dagster_instance:
            report = sync(load_instances(instances_file), defs, dagster_instance)
            yield {"report": report, "defs": defs, "instance": dagster_instance, "lake": Lake(str(work / "lake")),
                   "instances_file": instances_file}


@pytest.fixture(scope="session")
def sql(synced):
    """Runs a query over the synced lake: `sql("SELECT ... WHERE x = ?", value)` -> rows."""
    from aws_assets.graph.tables import open_lake

    con = open_lake(synced["lake"].root)

    def run(query, *params):
        return con.execute(query, list(params)).fetchall()

    return run


# The tests are split by kind: unit/ (transforms and engines), integration/ (collectors, sensors and the command on
# in-process moto), e2e/ (the synced organisation, the UI, PostgreSQL, the installed package). The e2e tests, and any
# test elsewhere that asks for the synced organisation or a moto server, are marked `e2e`: `-m "not e2e"` runs the
# rest.
E2E_FIXTURES = frozenset({"synced", "sql", "moto_server", "throttling_server", "fault_server", "fault_layer"})
E2E_FOLDER = Path(__file__).parent / "e2e"


def pytest_ignore_collect(collection_path, config):
    """`-m "not e2e"` would deselect every test under e2e/ once collected: it is not collected at all, which saves
    each xdist worker importing those modules (Playwright, PostgreSQL's driver, ...) for nothing."""
    if collection_path == E2E_FOLDER and config.option.markexpr.strip() == "not e2e":
        return True
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(E2E_FOLDER) or E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
            # Under `--dist loadgroup` the end-to-end tests share one worker, and so one synced organisation, while
            # the other workers take the rest.
            item.add_marker(pytest.mark.xdist_group("e2e"))

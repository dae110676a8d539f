"""Throttling, denied roles and denied services: what a user sees, and that no data is lost."""

import http.server
import socket
import threading

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.retries.standard import RetryContext

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.collect import collect_entity_types
from aws_assets.aws.retries import (
    SERVER_ERROR_ATTEMPTS,
    THROTTLING_BACKOFF_SCALE,
    UNREACHABLE_ATTEMPTS,
    BoundedRetryPolicy,
    RetryBudget,
)
from aws_assets.aws.session import AccessError, assume_role_session
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services import account
from aws_assets.services.catalog import ENTITY_TYPES
from aws_assets_tests.conftest import ACCOUNT_ID, RawBody, make_collection

THROTTLING_BODY = (
    b'<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
    b"<RequestId>1</RequestId></ErrorResponse>"
)


@pytest.mark.e2e  # whole sync runs one after another: the slow path, not the quick subset
def test_throttling_is_retried(global_partition):
    attempts = []

    def throttle_twice(request, **_):
        attempts.append(request.url)
        if len(attempts) <= 2:
            return AWSResponse(request.url, 400, {}, RawBody(THROTTLING_BODY))
        return None

    events = global_partition.session._session.get_component("event_emitter")
    events.register_first("before-send.iam.GetAccountSummary", throttle_twice)
    outcome = next(collect_entity_types([account.AWS_ACCOUNT], global_partition))
    assert outcome.ok, outcome.error
    assert outcome.table.num_rows == 1
    assert len(attempts) == 3
    # One API call, however many attempts it took; the retries are counted apart, as throttled.
    assert outcome.calls_by_operation["iam:GetAccountSummary"] == 1
    assert global_partition.calls.retries_by_operation() == {"iam:GetAccountSummary": 2}
    assert global_partition.calls.throttled_by_operation() == {"iam:GetAccountSummary": 2}


def test_a_throttled_request_waits_a_fraction_of_botocores_backoff():
    """The rate limit keeps the sync under AWS's rates: a throttle is a burst, which AWS refills within a fraction
    of a second; botocore's backoff (a random share of 1 s, doubled per attempt) would wait four times as long."""
    policy = BoundedRetryPolicy("iam", RetryBudget())
    for attempt in (1, 2, 3):
        context = RetryContext(attempt, parsed_response={"Error": {"Code": "Throttling", "Message": "Rate exceeded"}},
                               http_response=AWSResponse("https://iam.amazonaws.com", 400, {}, RawBody(b"")))
        delays = [policy.compute_retry_delay(context) for _ in range(50)]
        ceiling = THROTTLING_BACKOFF_SCALE * 2 ** (attempt - 1)
        assert max(delays) <= ceiling
        assert max(delays) > ceiling / 2  # jittered below the ceiling, not cut to nothing


def _error_body(code: str) -> bytes:
    return (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{code}</Message></Error>"
            "<RequestId>1</RequestId></ErrorResponse>").encode()


def _always_answer(collection, status: int, code: str) -> list[str]:
    """Every GetAccountSummary of `collection` answered with `status` and `code`; returns the attempts seen."""
    attempts: list[str] = []

    def answer(request, **_):
        attempts.append(request.url)
        return AWSResponse(request.url, status, {}, RawBody(_error_body(code)))

    collection.session._session.get_component("event_emitter").register_first(
        "before-send.iam.GetAccountSummary", answer)
    return attempts


@pytest.mark.parametrize(("status", "code", "expected_attempts"), [
    (501, "NotImplemented", 1),  # retrying an operation the endpoint lacks cannot help
    (400, "InvalidAction", 1),
    (403, "AccessDenied", 1),
    (400, "ValidationError", 1),
    (503, "ServiceUnavailable", SERVER_ERROR_ATTEMPTS),
])
def test_attempts_are_bounded_by_what_retrying_can_fix(global_partition, status, code, expected_attempts):
    attempts = _always_answer(global_partition, status, code)
    with pytest.raises(ClientError) as error:
        global_partition.client("iam").get_account_summary()
    assert error.value.response["Error"]["Code"] == code
    assert len(attempts) == expected_attempts
    assert sum(global_partition.calls.retries_by_operation().values()) == expected_attempts - 1


def test_server_error_retries_share_the_partitions_time_budget(global_partition):
    first = _always_answer(global_partition, 500, "InternalError")
    with pytest.raises(ClientError):
        global_partition.client("iam").get_account_summary()
    assert len(first) == SERVER_ERROR_ATTEMPTS
    global_partition.retry_budget.spend(float("inf"))
    with pytest.raises(ClientError):
        global_partition.client("iam").get_account_summary()
    assert len(first) == SERVER_ERROR_ATTEMPTS + 1  # the spent budget leaves one attempt


def test_an_unreachable_endpoint_is_tried_twice_and_named(moto, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    collection = make_collection(GLOBAL_REGION)  # credentials from the in-process moto, before the endpoint dies
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(EndpointConnectionError, match=f"127.0.0.1:{closed_port}"):
        collection.client("iam").get_account_summary()
    assert collection.calls.retries_by_operation() == {"iam:GetAccountSummary": UNREACHABLE_ATTEMPTS - 1}


def test_denied_service_names_the_operation_and_keeps_others(global_partition):
    def deny(request, **_):
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                b"<Message>not authorized to perform iam:GetAccountSummary</Message></Error></ErrorResponse>")
        return AWSResponse(request.url, 403, {}, RawBody(body))

    events = global_partition.session._session.get_component("event_emitter")
    events.register_first("before-send.iam.GetAccountSummary", deny)
    account_outcome, ec2_service = collect_entity_types([account.AWS_ACCOUNT, ENTITY_TYPES["aws_ec2"]],
                                                        global_partition)
    assert not account_outcome.ok
    assert account_outcome.table is None
    assert "aws_account: GetAccountSummary failed in account " + ACCOUNT_ID in account_outcome.error
    assert "AccessDenied" in account_outcome.error
    assert "lacks this read permission" in account_outcome.error
    assert ec2_service.ok and ec2_service.table.num_rows == 1


class _DenyingSTS(http.server.BaseHTTPRequestHandler):
    """Answers every STS call as AWS does when the role's trust policy refuses the caller."""

    seen_bodies: list[bytes] = []
    seen_authorizations: list[str] = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        self.seen_bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen_authorizations.append(self.headers.get("Authorization", ""))
        body = (b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                b"<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ops is not authorized "
                b"to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/aws-assets-readonly"
                b"</Message></Error><RequestId>1</RequestId></ErrorResponse>")
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def denying_sts(aws_env, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DenyingSTS)
    # shutdown() waits for the loop's next poll: half a second by default, at the end of every test.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{server.server_address[1]}")
    yield _DenyingSTS.seen_bodies
    server.shutdown()


def test_assume_role_denied_names_account_and_role_never_external_id(denying_sts):
    instance = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "very-secret-external-id")
    with pytest.raises(AccessError) as error:
        assume_role_session(instance)
    message = str(error.value)
    assert f"account {ACCOUNT_ID}" in message
    assert instance.role_arn in message
    assert "AccessDenied" in message
    assert "very-secret-external-id" not in message
    # The external ID did go to STS, with the recognisable session name.
    assert b"ExternalId=very-secret-external-id" in denying_sts[-1]
    assert b"RoleSessionName=aws-assets-collector" in denying_sts[-1]


@pytest.mark.parametrize(("duration_seconds", "assume_role_calls"), [(3600, 1), (900, 3)])
def test_credentials_are_refreshed_before_they_expire(moto, duration_seconds, assume_role_calls):
    """Credentials valid for 15 minutes are inside botocore's refresh window: every use assumes the role again,
    while one-hour credentials are reused. Either way no call is made with expired credentials."""
    calls = CallCounter()
    instance = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "refresh-test")
    session = assume_role_session(instance, calls=calls, duration_seconds=duration_seconds)
    iam = session.client("iam")
    iam.list_users()
    iam.list_roles()
    assert calls.by_operation()["sts:AssumeRole"] == assume_role_calls


def test_source_credentials_come_from_the_named_profile(denying_sts, tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.write_text("[ops]\naws_access_key_id = AKIAOPSPROFILEKEY\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "ops")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    instance = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "profile-test")
    with pytest.raises(AccessError):
        assume_role_session(instance)
    assert "Credential=AKIAOPSPROFILEKEY/" in _DenyingSTS.seen_authorizations[-1]


def test_no_source_credentials_is_a_clear_error(aws_env, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    instance = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "no-credentials")
    with pytest.raises(AccessError, match="no AWS credentials to assume arn:aws:iam::111122223333:role/"):
        assume_role_session(instance)


def test_an_unreachable_sts_fails_the_role_at_once_and_names_it(aws_env, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{closed_port}")
    calls = CallCounter()
    instance = Instance(f"arn:aws:iam::{ACCOUNT_ID}:role/aws-assets-readonly", "unreachable-sts")
    with pytest.raises(AccessError, match=f"cannot assume role {instance.role_arn}: Could not connect"):
        assume_role_session(instance, calls=calls)
    assert calls.retries_by_operation() == {"sts:AssumeRole": UNREACHABLE_ATTEMPTS - 1}


def test_an_answer_cut_short_fails_its_type_alone_in_one_line(global_partition):
    """A connection cut in the middle of an answer (the server died): botocore raises neither ClientError nor
    BotoCoreError, and the partition's other types are still collected."""
    def cut(request, **_):
        return AWSResponse(request.url, 200, {}, RawBody(b"<GetAccountSummaryResponse><GetAccountSummaryResult>"))

    global_partition.session._session.get_component("event_emitter").register_first(
        "before-send.iam.GetAccountSummary", cut)
    account_outcome, ec2_service = collect_entity_types([account.AWS_ACCOUNT, ENTITY_TYPES["aws_ec2"]],
                                                        global_partition)
    assert not account_outcome.ok and account_outcome.table is None
    assert account_outcome.cause == "Unable to parse response (no element found: line 1, column 52), invalid XML " \
                                    "received."
    assert account_outcome.error == f"aws_account: collection failed in account {ACCOUNT_ID}: {account_outcome.cause}"
    assert ec2_service.ok and ec2_service.table.num_rows == 1

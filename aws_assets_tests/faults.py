"""Faults in front of a moto server, as AWS and networks produce them: throttling, access denied per service, slow
answers and a dead server. The tests and the benchmarks (benchmarks/sync_scale.py, benchmarks/faults.py) share it.

`FaultLayer` is a WSGI application wrapping moto's. Each request is attributed to its account (from the access key
of its signature, as moto resolves it) and to its service (the signature's credential scope). A throttled or denied
request is answered with the error body AWS sends for the service's protocol; botocore parses it as it parses AWS's.
The layer also counts each request's service time (the latency plus moto's CPU on the request's thread), per account.

Two ways to serve it:

- `serve_in_thread(layer)`: in this process, for tests that inspect the layer directly;
- `FaultServer()`: in a child process (`python -m aws_assets_tests.faults`), controlled over HTTP under
  `/__faults/`, so that a benchmark's CPU figures are its own and `kill()` takes the endpoint down as a crashed
  server does: connections refused, the open ones reset.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

CONTROL = "/__faults/"  # the layer's own requests: configure, reset, stats
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")

# The error each protocol answers, as AWS documents it: (HTTP status, content type, body) for (code, message).
CBOR = "smithy-rpc-v2-cbor"
THROTTLING_CODES = {"ec2": "RequestLimitExceeded", "query": "Throttling", "json": "ThrottlingException",
                    CBOR: "ThrottlingException", "rest-json": "TooManyRequestsException", "rest-xml": "SlowDown"}
DENIED_CODES = {"ec2": "UnauthorizedOperation", "query": "AccessDenied", "json": "AccessDeniedException",
                CBOR: "AccessDeniedException", "rest-json": "AccessDeniedException", "rest-xml": "AccessDenied"}


def protocol_of(environ: dict, signing_name: str) -> str:
    """The protocol the request was sent in: its headers say so for the RPC protocols (CloudWatch speaks CBOR under
    the signing name `monitoring`), the service's model for the others."""
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return CBOR
    if "x-amz-json" in environ.get("CONTENT_TYPE", ""):
        return "json"
    return model_protocol(signing_name)


@cache
def model_protocol(signing_name: str) -> str:
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        return botocore.session.get_session().get_service_model(signing_name).protocol
    except UnknownServiceError:
        return "query"


def cbor_text_map(entries: dict[str, str]) -> bytes:
    """A CBOR map of short text strings (RFC 8949), all an error body of the CBOR protocol holds."""
    def head(major: int, length: int) -> bytes:
        return bytes([major << 5 | length]) if length < 24 else bytes([major << 5 | 24, length])

    encoded = head(5, len(entries))
    for key, value in entries.items():
        for text in (key.encode(), value.encode()):
            encoded += head(3, len(text)) + text
    return encoded


def error_answer(protocol: str, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and body of AWS's error `code` in `protocol`."""
    if protocol == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>fault</RequestID></Response>").encode()
        content_type = "text/xml"
    elif protocol in ("query", "rest-xml"):
        error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        body = (f"<ErrorResponse>{error}<RequestId>fault</RequestId></ErrorResponse>" if protocol == "query"
                else error).encode()
        content_type = "text/xml"
    elif protocol == CBOR:
        body, content_type = cbor_text_map({"__type": code, "message": message}), "application/cbor"
    else:  # json and rest-json: the code in `__type` and in x-amzn-ErrorType
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 503: "Slow Down"}.get(status, "Error")
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-ErrorType", code)]
    if protocol == CBOR:
        headers.append(("smithy-protocol", "rpc-v2-cbor"))
    return f"{status} {reason}", headers, body


class FaultLayer:
    """moto's WSGI application behind the faults configured on it (all off to begin with)."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.accounts_by_key: dict[str, str] = {}
        self.latency = 0.0  # seconds before each answer
        self.throttle_share = 0.0  # of each account's requests (or `throttled_accounts`'), evenly spread
        self.throttled_accounts: frozenset[str] | None = None  # None: every account
        self.denied_services: frozenset[str] = frozenset()  # signing names (`lambda`, `ec2`) answered AccessDenied
        self.reset()

    def reset(self) -> None:
        """Forget what was seen (not the faults)."""
        with self.lock:
            self.requests = 0
            self.serial = 0.0  # latency + moto's CPU on the request's thread
            self.wall = 0.0  # as the server saw it, waits for the GIL included
            self.by_account: dict[str, list[float]] = {}  # account -> [requests, serial seconds]
            self.arrivals: list[str] = []  # the account of each request, in arrival order
            self.throttled: Counter[str] = Counter()  # account -> requests answered as throttled
            self.denied: Counter[str] = Counter()  # service -> requests answered as denied

    def configure(self, *, latency_ms: float | None = None, throttle: float | None = None,
                  throttled_accounts: Iterable[str] | None = None, deny: Iterable[str] | None = None) -> None:
        with self.lock:
            if latency_ms is not None:
                self.latency = latency_ms / 1000
            if throttle is not None:
                self.throttle_share = throttle
            if throttled_accounts is not None:
                self.throttled_accounts = frozenset(throttled_accounts) or None
            if deny is not None:
                self.denied_services = frozenset(deny)

    def account_of(self, key: str) -> str:
        account = self.accounts_by_key.get(key)
        if account is None:
            from moto.iam.models import get_account_id_from

            account = self.accounts_by_key[key] = get_account_id_from(key)
        return account

    def stats(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with self.lock:
            return {"requests": self.requests, "serial": self.serial, "wall": self.wall,
                    "by_account": {a: list(v) for a, v in self.by_account.items()},
                    "throttled": dict(self.throttled), "denied": dict(self.denied),
                    "cpu": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
                    "latency_ms": self.latency * 1000}

    def control(self, environ: dict, start_response: Callable) -> list[bytes]:
        command = environ["PATH_INFO"][len(CONTROL):]
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if command == "configure":
            self.configure(
                latency_ms=float(query["latency_ms"]) if "latency_ms" in query else None,
                throttle=float(query["throttle"]) if "throttle" in query else None,
                throttled_accounts=query["accounts"].split(",") if "accounts" in query else None,
                deny=list(filter(None, query["deny"].split(","))) if "deny" in query else None)
        elif command == "reset":
            self.reset()
        body = json.dumps(self.stats()).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def fault(self, environ: dict, account: str, service: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The error to answer this request with, if any; called under the lock, in arrival order."""
        protocol = protocol_of(environ, service)
        if service in self.denied_services:
            self.denied[service] += 1
            return error_answer(protocol, 400 if protocol in ("json", CBOR) else 403, DENIED_CODES[protocol],
                                f"not authorized to call {service}: denied by the fault layer")
        if self.throttle_share and (self.throttled_accounts is None or account in self.throttled_accounts):
            seen = self.by_account[account][0]
            # Evenly spread: the n-th request is throttled when it takes the count of throttled ones up a whole one.
            if int(seen * self.throttle_share) > int((seen - 1) * self.throttle_share):
                self.throttled[account] += 1
                status = {"rest-json": 429, "rest-xml": 503}.get(protocol, 400)
                return error_answer(protocol, status, THROTTLING_CODES[protocol], "Rate exceeded")
        return None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL):
            return self.control(environ, start_response)
        started, cpu_started = time.perf_counter(), time.thread_time()
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        account, service = (self.account_of(match.group(1)), match.group(2)) if match else ("unsigned", "")
        with self.lock:
            self.arrivals.append(account)
            self.by_account.setdefault(account, [0, 0.0])[0] += 1
            answer = self.fault(environ, account, service) if match else None
        latency = self.latency
        if latency:
            time.sleep(latency)
        if answer is None:
            body = list(self.app(environ, start_response))
        else:
            status, headers, error = answer
            start_response(status, headers)
            body = [error]
        serial = latency + time.thread_time() - cpu_started
        with self.lock:
            self.requests += 1
            self.serial += serial
            self.wall += time.perf_counter() - started
            self.by_account[account][1] += serial
        return body


def moto_fault_layer() -> FaultLayer:
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from aws_assets.sim.teach_moto import teach_moto

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    teach_moto()  # Config compliance calls answered, as on the demo's server
    return FaultLayer(DomainDispatcherApplication(create_backend_app))


def serve_in_thread(layer: FaultLayer):
    """The layer on a free local port, served from threads of this process: (server, endpoint). Stop it with
    `server.shutdown()`."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, layer, threaded=True, request_handler=MotoRequestHandler)
    # shutdown() waits for the loop's next poll: half a second by default, at the end of every test.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def serve() -> int:
    """The child process of FaultServer: print the endpoint, serve until stdin closes."""
    server, endpoint = serve_in_thread(moto_fault_layer())
    print(endpoint, flush=True)
    sys.stdin.read()
    server.shutdown()
    return 0


class FaultServer:
    """A fault layer over moto in a child process, and the parent's handle on it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "aws_assets_tests.faults"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.endpoint = self.process.stdout.readline().strip()
        if not self.endpoint.startswith("http://"):
            raise RuntimeError(f"the fault server did not start (exit code {self.process.poll()})")

    def call(self, command: str, **parameters: Any) -> dict[str, Any]:
        query = urllib.parse.urlencode({name: str(value) for name, value in parameters.items()})
        with urllib.request.urlopen(f"{self.endpoint}{CONTROL}{command}?{query}", timeout=30) as response:
            return json.load(response)

    def configure(self, **faults: Any) -> dict[str, Any]:
        """latency_ms=, throttle= (a share of requests), accounts= (comma-separated; empty: all), deny= (services)."""
        return self.call("configure", **faults)

    def kill(self) -> None:
        """Take the endpoint down at once, as a crashed server or host does."""
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(serve())

"""The moto server the simulated organisation runs on, taught what moto lacks (:mod:`aws_assets.sim.teach_moto`)."""

from __future__ import annotations

import os

# Must be set before moto is first imported: without it every region loads moto's AMI catalogue
# and seeding takes about three times longer.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import logging
import socket
from typing import TYPE_CHECKING, Any

from aws_assets.sim.teach_moto import SIMULATOR_HEADER, teach_moto

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

# The WSGI name of SIMULATOR_HEADER, which the server adds to every request it serves.
_SIMULATOR_ENVIRON_KEY = "HTTP_" + SIMULATOR_HEADER.upper().replace("-", "_")


def start_moto_server(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Start a moto server on 127.0.0.1 and return it with its endpoint URL.

    ``port=0`` lets the operating system choose a free port while the server binds it, so there is
    no window in which another process can take the port between choosing and binding.
    """
    if port:
        # ThreadedMotoServer.start() waits forever if its thread cannot bind; fail loudly instead.
        _ensure_port_free(port)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    teach_moto()
    server = _simulator_server_class()(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    return server, f"http://{host}:{bound_port}"


def _simulator_server_class() -> type[ThreadedMotoServer]:
    """moto's threaded server, whose requests carry SIMULATOR_HEADER: the refusals of
    :mod:`aws_assets.sim.teach_moto` apply to them and to no other moto server's."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class SimulatorServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            # ThreadedMotoServer._server_entry, with the moto application wrapped.
            moto_app = DomainDispatcherApplication(create_backend_app)

            def app(environ: dict[str, Any], start_response: Any) -> Any:
                environ[_SIMULATOR_ENVIRON_KEY] = "1"
                return moto_app(environ, start_response)

            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return SimulatorServer


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Same option as werkzeug's server, so a port in TIME_WAIT counts as free here as well.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(f"port {port} on 127.0.0.1 is not free: {error}") from error

"""A throwaway PostgreSQL server on a free loopback port, from Debian's postgresql package (which `.ci/run`
installs), for tests of Dagster's Postgres storage."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

SUPERUSER = "dagster"


def postgres_bin_dir() -> str | None:
    """The newest installed server's bin directory (initdb and pg_ctl are not on PATH on Debian)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    username: str
    db_name: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_server(db_name: str = "dagster") -> Iterator[PostgresServer]:
    """initdb into a temporary directory, pg_ctl start on 127.0.0.1; stopped and removed afterwards.

    The server refuses to run as root: as root, every command runs as the `postgres` user the package creates.
    """
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    as_user: list[str] = []
    work = tempfile.mkdtemp(prefix="aws-assets-pg-")
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        owner = pwd.getpwnam("postgres")
        os.chown(work, owner.pw_uid, owner.pw_gid)
    data, log = os.path.join(work, "data"), os.path.join(work, "server.log")
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True)

    try:
        run(f"{bin_dir}/initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync")
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {work} -c fsync=off"
        try:
            run(f"{bin_dir}/pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start")
        except subprocess.CalledProcessError as error:
            with open(log, encoding="utf-8", errors="replace") as server_log:
                raise RuntimeError(f"PostgreSQL did not start: {error.stderr}\n{server_log.read()}") from error
        try:
            run(f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, db_name)
            yield PostgresServer("127.0.0.1", port, SUPERUSER, db_name)
        finally:
            run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(work, ignore_errors=True)

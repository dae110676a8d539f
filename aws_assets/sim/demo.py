"""`aws-assets demo`: start (or reuse) the simulated organisation on a local moto server and sync it.

Everything lives under data/demo/: the instances file, the lake, the Dagster home and `env.sh`, which `make ui`
sources so that the Dagster UI re-materializes partitions against the same simulated organisation.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

from aws_assets.model.settings import INSTANCES, LAKE, PEOPLE

DEMO_DIR = Path("data/demo")
# A small people directory matching the simulated organisation's IAM users (see aws_assets/sim/organisation.py),
# shipped in the package; examples/people.csv links to it.
EXAMPLE_PEOPLE = files("aws_assets.sim") / "people.csv"
ORG_STARTUP_SECONDS = 180
DEMO_EXTRA = "pip install 'aws-assets[demo]'"
# The simulated organisation accepts any credentials; these keep a developer's real ones out of the demo.
DEMO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _paths() -> dict[str, Path]:
    base = DEMO_DIR.resolve()
    return {
        "base": base,
        "instances": base / "instances.json",
        "lake": base / "lake",
        "dagster_home": base / "dagster_home",
        "pid": base / "org.pid",
        "log": base / "org.log",
        "env": base / "env.sh",
    }


def _endpoint(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _running_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_org(port: int) -> str:
    """The endpoint of a running, seeded organisation: the one already running, else a new one."""
    paths = _paths()
    endpoint = _endpoint(port)
    if _running_pid(paths["pid"]) and _port_in_use(port):
        _wait_for_instances_file(paths, process=None)
        print(f"Simulated organisation already running at {endpoint}", file=sys.stderr)
        return endpoint
    if _port_in_use(port):
        raise SystemExit(f"aws-assets demo: port {port} is taken by another server; pass --port")
    paths["base"].mkdir(parents=True, exist_ok=True)
    paths["instances"].unlink(missing_ok=True)
    print(f"Starting the simulated AWS organisation at {endpoint} (log: {paths['log']}) ...", file=sys.stderr)
    with open(paths["log"], "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "aws_assets.sim.organisation", "serve", "--port", str(port),
             "--instances-file", str(paths["instances"]), "--pid-file", str(paths["pid"])],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, **DEMO_CREDENTIALS},
        )
    _wait_for_instances_file(paths, process)
    return endpoint


def _wait_for_instances_file(paths: dict[str, Path], process: subprocess.Popen | None) -> None:
    """The organisation writes its instances file once it is seeded."""
    deadline = time.monotonic() + ORG_STARTUP_SECONDS
    while not paths["instances"].exists():
        if process is not None and process.poll() is not None:
            raise SystemExit(f"aws-assets demo: the simulated organisation exited; see {paths['log']}")
        if time.monotonic() > deadline:
            raise SystemExit(
                f"aws-assets demo: the organisation did not get ready in {ORG_STARTUP_SECONDS}s; see {paths['log']} "
                "and stop it with `make demo-stop`"
            )
        time.sleep(0.5)


def stop_org() -> int:
    pid = _running_pid(_paths()["pid"])
    if pid is None:
        print("The simulated organisation is not running.", file=sys.stderr)
        return 0
    os.kill(pid, signal.SIGTERM)
    print(f"Stopped the simulated organisation (pid {pid}).", file=sys.stderr)
    return 0


def require_moto() -> None:
    """The simulated organisation runs on moto, which only the `demo` extra installs: without it, say so before
    starting anything."""
    try:
        installed = importlib.util.find_spec("moto") is not None
    except ImportError:  # an import hook that refuses moto
        installed = False
    if not installed:
        raise SystemExit(f"aws-assets demo: the simulated organisation needs moto: {DEMO_EXTRA}")


def demo_environment(endpoint: str) -> dict[str, str]:
    paths = _paths()
    return {
        **DEMO_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        INSTANCES.name: str(paths["instances"]),
        LAKE.name: str(paths["lake"]),
        PEOPLE.name: str(EXAMPLE_PEOPLE),
        "DAGSTER_HOME": str(paths["dagster_home"]),
    }


def write_env_file(environment: dict[str, str]) -> None:
    lines = ["# Written by `aws-assets demo`: the environment of the simulated organisation, for `make ui`."]
    lines += [f"export {name}={json.dumps(value)}" for name, value in environment.items()]
    _paths()["env"].write_text("\n".join(lines) + "\n")


def start_demo(port: int) -> dict[str, str]:
    """Starts (or reuses) the organisation and returns the environment that syncs it; `make ui` sources the same."""
    require_moto()
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(variable, None)
    environment = demo_environment(start_org(port))
    os.environ.update(environment)
    write_env_file(environment)
    return environment

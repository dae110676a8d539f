"""Issue 14: `aws-assets sync` of the simulated organisation behind the fault layer (aws_assets_tests/faults.py), as a
user runs it, in a child process: healthy, 30% of requests throttled, Lambda denied, and the server killed a few
seconds into the sync. Per case: the wall time, the exit code, the output's lines, and what the targets ask:

- throttled: at most 2x the healthy sync's wall time, every row still collected;
- dead endpoint (the server killed once it has answered `--kill-after` requests, a quarter of the healthy sync's):
  under 30 s per account once the server is gone, a line naming the endpoint;
- denied: every partition synced but Lambda's types, the summary naming them.

    .venv/bin/python benchmarks/faults.py [--throttle 0.3] [--kill-after 150] [--cases healthy,throttled,denied,dead]
"""

from __future__ import annotations

import os

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
os.environ.update(AWS_ACCESS_KEY_ID="faults", AWS_SECRET_ACCESS_KEY="faults", AWS_DEFAULT_REGION="us-east-1")
for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(variable, None)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from aws_assets_tests.faults import FaultServer  # noqa: E402

CASES = ("healthy", "throttled", "denied", "dead")
THROTTLED_TARGET = 2.0  # times the healthy sync's wall time
DEAD_TARGET_SECONDS = 30.0  # per account, after the server died


@dataclass
class Case:
    name: str
    seconds: float
    exit_code: int
    lines: int
    accounts: int
    rows: int
    throttled: int
    output: str
    killed_at: float | None = None  # seconds into the sync the server died

    def verdict(self, healthy: Case | None) -> str:
        if self.name == "throttled" and healthy is not None:
            ratio = self.seconds / healthy.seconds
            rows = "every row" if self.rows == healthy.rows else f"{self.rows} of {healthy.rows} rows"
            return (f"{ratio:.2f}x the healthy sync ({rows}, {self.throttled} requests throttled): "
                    + ("met" if ratio <= THROTTLED_TARGET and self.rows == healthy.rows else "MISSED")
                    + f" (target <= {THROTTLED_TARGET:g}x)")
        if self.killed_at is not None:
            per_account = (self.seconds - self.killed_at) / self.accounts
            return (f"{per_account:.1f}s per account after the server died: "
                    + ("met" if per_account < DEAD_TARGET_SECONDS else "MISSED")
                    + f" (target < {DEAD_TARGET_SECONDS:g}s)")
        return "exit code " + ("0, everything synced" if self.exit_code == 0 else f"{self.exit_code}")


def lake_rows(lake: Path) -> int:
    """The rows of every entity table the sync wrote."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in lake.glob("aws_*/**/data.parquet"))


def run_sync(name: str, work: Path, endpoint: str, instances_file: Path, accounts: int,
             kill: tuple[FaultServer, int] | None = None) -> Case:
    """`aws-assets sync` in a child process, cold, with its own lake and Dagster home."""
    lake, home = work / name / "lake", work / name / "dagster_home"
    environment = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ASSETS_CACHE": str(work / name / "cache")}
    command = [str(Path(sys.executable).with_name("aws-assets")), "sync", "--instances", str(instances_file),
               "--lake", str(lake), "--dagster-home", str(home)]
    started = time.monotonic()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killed_at = None
    if kill is not None:
        server, requests = kill
        while process.poll() is None and server.call("stats")["requests"] < requests:
            time.sleep(0.05)
        server.kill()
        killed_at = time.monotonic() - started
    output, _ = process.communicate()
    seconds = time.monotonic() - started
    throttled = 0
    for line in output.splitlines():
        if "throttled" in line and "partitions" in line and "AWS API calls" in line:
            throttled = int(line.split(" of them throttled")[0].rsplit("(", 1)[1].split()[-1])
    return Case(name, seconds, process.returncode, len(output.splitlines()), accounts, lake_rows(lake), throttled,
                output, killed_at)


def seeded_server(work: Path) -> tuple[FaultServer, Path, int]:
    from aws_assets.sim.organisation import seed

    server = FaultServer()
    org = seed(server.endpoint)
    server.call("reset")
    return server, org.write_instances_file(work / "instances.json"), len(org.accounts)


def run(args: argparse.Namespace) -> list[Case]:
    cases = []
    with tempfile.TemporaryDirectory(prefix="faults-") as scratch:
        work = Path(args.work_dir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        server, instances_file, accounts = seeded_server(work)
        try:
            for name in args.cases:
                print(f"{name} ...", file=sys.stderr, flush=True)
                server.configure(throttle=args.throttle if name == "throttled" else 0,
                                 deny="lambda" if name == "denied" else "")
                server.call("reset")
                cases.append(run_sync(name, work, server.endpoint, instances_file, accounts,
                                      kill=(server, args.kill_after) if name == "dead" else None))
        finally:
            server.stop()
    return cases


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throttle", type=float, default=0.3, help="share of requests throttled")
    parser.add_argument("--kill-after", type=int, default=150, help="requests the server answers before it dies")
    parser.add_argument("--cases", type=lambda text: text.split(","), default=list(CASES),
                        help=f"comma-separated, of {','.join(CASES)} (dead last: the server does not come back)")
    parser.add_argument("--work-dir", help="keep the lakes and Dagster homes here")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here, as JSON")
    parser.add_argument("--show-output", action="store_true", help="print each sync's output")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = run(args)
    healthy = next((case for case in cases if case.name == "healthy"), None)
    print(f"{'case':<10} {'seconds':>8} {'exit':>5} {'lines':>6} {'rows':>6}  verdict")
    for case in cases:
        print(f"{case.name:<10} {case.seconds:>8.1f} {case.exit_code:>5} {case.lines:>6} {case.rows:>6}  "
              f"{case.verdict(healthy)}")
        if args.show_output:
            print("    " + case.output.replace("\n", "\n    "))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(case) for case in cases], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Organisation scale (issue 10): a sync of N uniform accounts x R regions on a moto server that answers every request
after a fixed latency, as AWS does, against today's one-partition-at-a-time path as the baseline.

The moto server runs in a child process (aws_assets_tests/faults.py's fault layer, no fault on but the latency) so
that the sync's CPU seconds and peak RSS are the product's own; the sync and the baseline each run in a child process
of their own too (the `phase` command), cold, with their own DAGSTER_HOME and lake. Per request the server records
the account (from the request's access key, as moto resolves it) and the service time: the injected latency plus the
CPU seconds moto spent on the request's thread, i.e. what the request costs made alone. "serial" is the sum of those
over the phase; "busiest serial" the same sum for the account with the most (the operator's own AssumeRole calls are
left out of that one).

The baseline runs every partition as its own Dagster run, in turn: each account's account-wide assets, then its
assets of each region (the sync_account and sync_region jobs the sync replaced). With `--baseline-accounts K` (default
min(N, 3)) it syncs the first K accounts only and extrapolates its partition runs per account to N, labelled so.

    .venv/bin/python benchmarks/sync_scale.py [--accounts 20] [--regions 3] [--estate normal|light]
        [--latency-ms 50] [--concurrency N] [--baseline-accounts K | --no-baseline] [--one-process] [--work-dir DIR]
    .venv/bin/python benchmarks/sync_scale.py --accounts 200 --regions 4 --no-baseline
    .venv/bin/python benchmarks/sync_scale.py --accounts 1000 --regions 2 --estate light --no-baseline
"""

from __future__ import annotations

import os

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(variable, None)

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from memory import children_peak_rss_mib, peak_rss_mib  # noqa: E402 - beside this file

from aws_assets_tests.faults import FaultServer  # noqa: E402

HERE = Path(__file__).resolve()
OPERATOR_ACCOUNT_ID = "123456789012"  # moto's default account: the credentials above, which assume every role
FIRST_ACCOUNT_ID = 100000000000
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "ap-northeast-1", "sa-east-1",
           "ca-central-1")


@dataclass(frozen=True)
class Estate:
    """What each account holds: account-wide, then in each region."""

    users: int
    roles: int  # besides the integration role
    buckets: int
    instances: int  # per region, in the region's own VPC
    tables: int  # per region


ESTATES = {
    "normal": Estate(users=5, roles=3, buckets=2, instances=2, tables=1),
    "light": Estate(users=1, roles=1, buckets=1, instances=1, tables=1),
}


# --- Seeding the estate ----------------------------------------------------------------------------------------------

def account_ids(accounts: int) -> list[str]:
    return [str(FIRST_ACCOUNT_ID + n) for n in range(accounts)]


def seed_account(endpoint: str, account_id: str, regions: tuple[str, ...], estate: Estate) -> None:
    """One account: the read-only role the product assumes, users, roles, buckets; per region a VPC with instances,
    and tables."""
    from aws_assets.sim.accounts import INTEGRATION_ROLE_NAME, external_id_for
    from aws_assets.sim.clients import AccountClients, operator_session
    from aws_assets.sim.documents import policy_document, statement, trust_policy

    clients = AccountClients.in_account(operator_session(), endpoint, account_id)
    iam = clients("iam")
    trust = trust_policy({"AWS": f"arn:aws:iam::{OPERATOR_ACCOUNT_ID}:root"},
                         condition={"StringEquals": {"sts:ExternalId": external_id_for(account_id)}})
    iam.create_role(RoleName=INTEGRATION_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    read_only = iam.create_policy(PolicyName="bench-read-only", PolicyDocument=policy_document(
        statement(["ec2:Describe*", "iam:Get*", "iam:List*", "s3:List*", "dynamodb:Describe*"], "*")))
    iam.attach_role_policy(RoleName=INTEGRATION_ROLE_NAME, PolicyArn=read_only["Policy"]["Arn"])
    for n in range(estate.users):
        iam.create_user(UserName=f"user-{n}", Tags=[{"Key": "Email", "Value": f"user-{n}@example.com"}])
    for n in range(estate.roles):
        service = ("lambda", "ec2", "ecs-tasks")[n % 3]
        iam.create_role(RoleName=f"role-{n}", AssumeRolePolicyDocument=json.dumps(
            trust_policy({"Service": f"{service}.amazonaws.com"})))
    s3 = clients("s3")
    for n in range(estate.buckets):
        s3.create_bucket(Bucket=f"bench-{account_id}-{n}")
    for index, region in enumerate(regions):
        ec2 = clients("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{index}.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        image = ec2.register_image(Name="bench-base", Architecture="x86_64", VirtualizationType="hvm",
                                   RootDeviceName="/dev/sda1")["ImageId"]
        if estate.instances:
            ec2.run_instances(ImageId=image, MinCount=estate.instances, MaxCount=estate.instances,
                              InstanceType="t3.micro", SubnetId=subnet, SecurityGroupIds=[group])
        dynamodb = clients("dynamodb", region)
        for n in range(estate.tables):
            dynamodb.create_table(TableName=f"table-{n}", BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        warm_up(clients, region)


def warm_up(clients: Any, region: str) -> None:
    """One read of each other service the product collects in the region: moto creates an account's backend of a
    service on its first request, which would otherwise cost whichever phase runs first."""
    clients("rds", region).describe_db_instances()
    clients("lambda", region).list_functions()
    clients("apigateway", region).get_rest_apis()
    clients("kms", region).list_keys()
    clients("config", region).describe_config_rules()


def seed(endpoint: str, accounts: list[str], regions: tuple[str, ...], estate: Estate, threads: int = 8) -> None:
    """Every account, several at a time: moto keeps each account's backends apart."""
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(seed_account, endpoint, a, regions, estate) for a in accounts]:
            future.result()


def write_instances_file(path: Path, accounts: list[str], regions: tuple[str, ...]) -> Path:
    from aws_assets.sim.accounts import INTEGRATION_ROLE_NAME, external_id_for, role_arn

    entries = [{"name": f"bench-{n}", "roleArn": role_arn(a, INTEGRATION_ROLE_NAME), "externalId": external_id_for(a),
                "regions": list(regions)} for n, a in enumerate(accounts)]
    path.write_text(json.dumps(entries, indent=1))
    return path


# --- The measured phases (each in a child process of its own) --------------------------------------------------------

def cpu_seconds() -> float:
    """This process's and its finished children's (the sync's collection processes, the analyses' forks)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def largest_peak_rss_mib() -> float:
    """This process's, or its largest child's if larger."""
    return max(peak_rss_mib(), children_peak_rss_mib())


class EventTimer:
    """How many events the phase wrote to the Dagster instance and the seconds spent writing them."""

    def __init__(self, dagster_instance: Any) -> None:
        self.events, self.seconds = 0, 0.0
        write = dagster_instance.handle_new_event

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return write(*args, **kwargs)
            finally:
                self.events += 1
                self.seconds += time.perf_counter() - started

        dagster_instance.handle_new_event = timed

    def figures(self) -> dict[str, Any]:
        return {"events": self.events, "event_seconds": self.seconds}


def progress_printer(label: str, total: int) -> Callable[[Any], None]:
    done = [0]
    started = time.monotonic()
    step = max(1, total // 10)

    def progress(_synced: Any) -> None:
        done[0] += 1
        if done[0] % step == 0 or done[0] == total:
            print(f"  {label}: {done[0]}/{total} partitions, {time.monotonic() - started:.0f}s", file=sys.stderr,
                  flush=True)

    return progress


def phase_sync(instances_file: str, lake: str, dagster_home: str, concurrency: int) -> dict[str, Any]:
    """What `aws-assets sync` does (aws_assets/app/cli.py run_sync), without its terminal progress and summary."""
    from aws_assets.app.cli import use_dagster_home
    from aws_assets.defs.definitions import build_definitions
    from aws_assets.defs.sync import sync
    from aws_assets.inputs.instances import load_instances

    started, cpu_started = time.monotonic(), cpu_seconds()
    entries = load_instances(instances_file)
    defs = build_definitions(instances_file=instances_file, lake_root=lake)
    membership = defs.resources["aws"].members(refresh=True)
    regions = len(entries[0].regions or ())
    dagster_instance = use_dagster_home(dagster_home)
    events = EventTimer(dagster_instance)
    sync_started = time.monotonic()
    report = sync(membership.instances, defs, dagster_instance,
                  progress_printer("sync", len(membership.instances) * (1 + regions)), concurrency)
    # The engine hands each partition to the op's thread, which writes its materializations: when the last one was
    # collected, against when the op was done with them, tells collection from event writing.
    collected = max((r.finished for r in report.results), default=started) - started
    print(f"  sync: last partition collected at {collected:.1f}s, collection and its events done at "
          f"{report.seconds - (report.graph.seconds if report.graph else 0) + sync_started - started:.1f}s",
          file=sys.stderr, flush=True)
    print(f"  sync: peak RSS {peak_rss_mib():.0f} MiB in its own process, {children_peak_rss_mib():.0f} MiB in its "
          "largest child (a child counts the pages it shares with its parent, and at least the parent's RSS when it "
          "started)", file=sys.stderr, flush=True)
    return {"wall": time.monotonic() - started, "cpu": cpu_seconds() - cpu_started,
            "peak_rss_mib": largest_peak_rss_mib(),
            "collected": collected, "api_calls": report.api_calls, "partitions": len(report.results), "ok": report.ok,
            "failures": [f"{f.label}: {'; '.join(f.errors)}" for f in report.failures][:5] + report.run_errors[:5],
            "graph": report.graph.seconds if report.graph else 0.0, "partition_wall": report.seconds
            - (report.graph.seconds if report.graph else 0.0), **events.figures()}


def phase_baseline(instances_file: str, lake: str, dagster_home: str) -> dict[str, Any]:
    """Today's one-partition-at-a-time path: each partition its own run of the partitioned collection assets, in
    turn, then the graph build."""
    from dagster import AssetKey, AssetSelection, Definitions, define_asset_job, in_process_executor

    from aws_assets.app.cli import use_dagster_home
    from aws_assets.defs.definitions import build_definitions
    from aws_assets.defs.jobs import ACCOUNT_TAG
    from aws_assets.defs.partitions import account_region_key, accounts_partitions, regions_partitions
    from aws_assets.defs.sync import QUIET, build_graph
    from aws_assets.inputs.instances import load_instances
    from aws_assets.model.entity import Scope
    from aws_assets.services.catalog import services_of_scope

    def partition_job(name: str, scope: Scope):
        keys = [AssetKey(et.type) for service in services_of_scope(scope) for et in service.entity_types]
        return define_asset_job(name, selection=AssetSelection.assets(*keys), executor_def=in_process_executor)

    started, cpu_started = time.monotonic(), cpu_seconds()
    instances = load_instances(instances_file)
    product = build_definitions(instances_file=instances_file, lake_root=lake)
    defs = Definitions(assets=product.assets, jobs=[partition_job("sync_account", Scope.ACCOUNT),
                                                   partition_job("sync_region", Scope.REGION), *(product.jobs or [])],
                       resources=product.resources)
    dagster_instance = use_dagster_home(dagster_home)
    events = EventTimer(dagster_instance)
    dagster_instance.add_dynamic_partitions(accounts_partitions.name, [i.account_id for i in instances])
    regions = sorted({region for i in instances for region in i.regions or ()})
    dagster_instance.add_dynamic_partitions(regions_partitions.name, regions)
    account_job, region_job = defs.resolve_job_def("sync_account"), defs.resolve_job_def("sync_region")
    plan = [(i, r) for i in instances for r in (None, *(i.regions or ()))]
    progress = progress_printer("baseline", len(plan))
    api_calls, failures = 0, []
    for instance, region in plan:
        job, key = (account_job, instance.account_id) if region is None else (
            region_job, account_region_key(instance.account_id, region))
        result = job.execute_in_process(partition_key=key, instance=dagster_instance, raise_on_error=False,
                                        run_config=QUIET, tags={ACCOUNT_TAG: instance.account_id})
        for event in result.get_asset_materialization_events():
            calls = event.materialization.metadata.get("aws/api_calls")
            api_calls += int(calls.value) if calls is not None else 0
        if not result.success:
            failures.append(f"{instance.account_id} {region or 'account-wide'}")
        progress(None)
    partition_wall = time.monotonic() - started
    graph = build_graph(defs, dagster_instance, QUIET)
    return {"wall": time.monotonic() - started, "cpu": cpu_seconds() - cpu_started,
            "peak_rss_mib": largest_peak_rss_mib(),
            "api_calls": api_calls, "partitions": len(plan), "ok": not failures and graph.ok,
            "failures": failures[:5] + graph.errors[:5] + graph.failed_checks[:5], "graph": graph.seconds,
            "partition_wall": partition_wall, **events.figures()}


def run_phase(name: str, work: Path, endpoint: str, instances_file: Path, concurrency: int,
              folder: str | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a phase in a child process against the server; return its figures and where it left its lake."""
    folder = folder or name
    lake, home = work / folder / "lake", work / folder / "dagster_home"
    environment = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ASSETS_CACHE": str(work / folder / "cache"),
                   **(environ or {})}
    command = [sys.executable, str(HERE), "phase", name, "--instances", str(instances_file), "--lake", str(lake),
               "--dagster-home", str(home), "--concurrency", str(concurrency)]
    completed = subprocess.run(command, env=environment, stdout=subprocess.PIPE, text=True, check=True)
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["storage_mib"] = directory_mib(home)
    figures["lake"] = str(lake)
    return figures


def directory_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# --- The benchmark ---------------------------------------------------------------------------------------------------

@dataclass
class Row:
    label: str
    accounts: int
    regions: int
    wall: float
    requests: int
    api_calls: int
    serial: float
    busiest_serial: float
    cpu: float
    peak_rss_mib: float
    storage_mib: float
    graph: float
    server_cpu: float
    ok: bool
    events: int = 0  # written to the Dagster instance, and the seconds spent writing them
    event_seconds: float = 0.0
    collected: float = 0.0  # when the last partition was collected (before its events were written)
    partition_wall: float = 0.0
    lake: str = ""
    failures: list[str] = field(default_factory=list)
    extrapolated: bool = False

    @property
    def ratio(self) -> float:
        return self.wall / self.busiest_serial if self.busiest_serial else float("nan")


def measured_row(label: str, accounts: int, regions: int, figures: dict[str, Any], before: dict[str, Any],
                 after: dict[str, Any]) -> Row:
    by_account = {a: v for a, v in after["by_account"].items() if a != OPERATOR_ACCOUNT_ID}
    return Row(label, accounts, regions, figures["wall"], after["requests"], figures["api_calls"], after["serial"],
               max((v[1] for v in by_account.values()), default=0.0), figures["cpu"], figures["peak_rss_mib"],
               figures["storage_mib"], figures["graph"], after["cpu"] - before["cpu"], figures["ok"],
               figures["events"], figures["event_seconds"], figures.get("collected", figures["partition_wall"]),
               figures["partition_wall"], figures["lake"], figures["failures"])


def extrapolated_row(row: Row, accounts: int) -> Row:
    """The baseline's partition runs scale with the accounts (each its runs in turn); the graph build as measured."""
    factor = accounts / row.accounts
    return Row(f"{row.label}, extrapolated", accounts, row.regions, row.partition_wall * factor + row.graph,
               round(row.requests * factor), round(row.api_calls * factor), row.serial * factor, row.busiest_serial,
               row.cpu * factor, row.peak_rss_mib, row.storage_mib * factor, row.graph, row.server_cpu * factor,
               row.ok, round(row.events * factor), row.event_seconds * factor, row.collected * factor,
               row.partition_wall * factor, extrapolated=True)


COLUMNS = ("", "accounts x regions", "wall s", "requests", "product calls", "serial s", "busiest serial s",
           "wall/busiest", "CPU s", "peak RSS MiB", "Dagster MiB", "graph s", "server CPU s",
           "events", "event-write s", "collected s")


def table(rows: list[Row]) -> str:
    cells = [COLUMNS] + [(
        r.label + ("" if r.ok else " (FAILED)"), f"{r.accounts} x {r.regions}", f"{r.wall:.1f}", f"{r.requests}",
        f"{r.api_calls}", f"{r.serial:.1f}", f"{r.busiest_serial:.2f}", f"{r.ratio:.1f}", f"{r.cpu:.1f}",
        f"{r.peak_rss_mib:.0f}", f"{r.storage_mib:.1f}", f"{r.graph:.1f}", f"{r.server_cpu:.1f}",
        f"{r.events}", f"{r.event_seconds:.1f}", f"{r.collected:.1f}") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in cells)


def targets(sync_row: Row, estate: str) -> list[str]:
    """The issue's targets for this size, next to what was measured; no assertion."""
    size = (sync_row.accounts, sync_row.regions)
    lines = []
    if size == (20, 3):
        lines.append(f"target 20x3: wall <= 2x the busiest account's serial time: measured {sync_row.ratio:.1f}x "
                     f"({'met' if sync_row.ratio <= 2 else 'not met'})")
    if size == (200, 4):
        met = sync_row.wall < 300 and sync_row.peak_rss_mib < 2048
        lines.append(f"target 200x4: under 5 minutes and peak RSS under 2 GiB: measured {sync_row.wall:.0f}s, "
                     f"{sync_row.peak_rss_mib:.0f} MiB ({'met' if met else 'not met'})")
    if size == (1000, 2) and estate == "light":
        lines.append(f"target 1000x2 light: under 20 minutes: measured {sync_row.wall / 60:.1f} min "
                     f"({'met' if sync_row.wall < 1200 else 'not met'})")
    if not lines:
        lines.append("the issue sets targets for 20x3 (wall <= 2x busiest serial), 200x4 (< 5 min, peak RSS < 2 GiB) "
                     "and 1000x2 light (< 20 min); this size has none")
    return lines


@dataclass
class Results:
    rows: list[Row]
    seed_seconds: float
    seed_requests: int
    server_peak_rss_mib: float = 0.0
    load: list[tuple[float, float, float]] = field(default_factory=list)  # the 1/5/15-minute load at each phase


def run(args: argparse.Namespace) -> Results:
    estate = ESTATES[args.estate]
    regions = REGIONS[: args.regions]
    accounts = account_ids(args.accounts)
    baseline_accounts = 0 if args.no_baseline else min(args.accounts, args.baseline_accounts or 3)
    with tempfile.TemporaryDirectory(prefix="sync-scale-") as scratch:
        work = Path(args.work_dir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        server = FaultServer()
        try:
            started = time.monotonic()
            seed(server.endpoint, accounts, regions, estate)
            seeded = server.configure(latency_ms=args.latency_ms)
            seed_seconds = time.monotonic() - started
            print(f"seeded {args.accounts} accounts x {args.regions} regions ({args.estate}) in {seed_seconds:.1f}s, "
                  f"{seeded['requests']} requests; latency now {args.latency_ms:g} ms", file=sys.stderr, flush=True)
            rows, load = [], [os.getloadavg()]
            before = server.call("reset")
            figures = run_phase("sync", work, server.endpoint,
                                write_instances_file(work / "instances.json", accounts, regions), args.concurrency)
            rows.append(measured_row("sync (parallel)", args.accounts, args.regions, figures, before,
                                     server.call("stats")))
            load.append(os.getloadavg())
            if args.one_process:
                before = server.call("reset")
                figures = run_phase("sync", work, server.endpoint, work / "instances.json", args.concurrency,
                                    folder="sync-one-process", environ={"AWS_ASSETS_SYNC_PROCESSES": "1"})
                rows.append(measured_row("sync, every account in one process", args.accounts, args.regions, figures,
                                         before, server.call("stats")))
                load.append(os.getloadavg())
            if baseline_accounts:
                before = server.call("reset")
                instances_file = write_instances_file(work / "baseline-instances.json", accounts[:baseline_accounts],
                                                      regions)
                figures = run_phase("baseline", work, server.endpoint, instances_file, args.concurrency)
                rows.append(measured_row("baseline (a run per partition)", baseline_accounts, args.regions, figures,
                                         before, server.call("stats")))
                load.append(os.getloadavg())
                if baseline_accounts < args.accounts:
                    rows.append(extrapolated_row(rows[-1], args.accounts))
            server_peak = server.call("stats")["peak_rss_mib"]
        finally:
            server.stop()
    return Results(rows, seed_seconds, seeded["requests"], server_peak, load)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from aws_assets.collection.limits import DEFAULT_CONCURRENCY

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--estate", choices=sorted(ESTATES), default="normal")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the server's latency per request")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="aws-assets sync --concurrency")
    parser.add_argument("--baseline-accounts", type=int, help="accounts the baseline syncs (default min(N, 3))")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--one-process", action="store_true",
                        help="also sync with AWS_ASSETS_SYNC_PROCESSES=1 (the accounts on threads of one process)")
    parser.add_argument("--work-dir", help="keep the lakes, Dagster homes and instances files here")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here, as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["phase"]:
        options = dict(zip(argv[2::2], argv[3::2]))
        if argv[1] == "sync":
            figures = phase_sync(options["--instances"], options["--lake"], options["--dagster-home"],
                                 int(options["--concurrency"]))
        else:
            figures = phase_baseline(options["--instances"], options["--lake"], options["--dagster-home"])
        print(json.dumps(figures))
        return 0
    args = parse_args(argv)
    results = run(args)
    print(f"\n{args.accounts} uniform accounts x {args.regions} regions, {args.estate} estate "
          f"({asdict(ESTATES[args.estate])}), {args.latency_ms:g} ms per request, --concurrency {args.concurrency}; "
          f"seeded in {results.seed_seconds:.1f}s ({results.seed_requests} requests)")
    print("events: written to the Dagster instance (event-write s: the seconds spent writing them, graph build "
          "included); graph s: the graph build after the collection; server CPU s: the moto process's; "
          "collected s: when the last partition was collected, before the op had written its events")
    print("serial: the requests' service times (latency + moto's CPU) one after another; busiest serial: the same for "
          "the account with the most; requests: as the server counted them; product calls: the SyncReport's count\n")
    print(table(results.rows))
    print(f"\nmoto server peak RSS {results.server_peak_rss_mib:.0f} MiB (its own process); "
          f"{os.cpu_count()} CPUs shared with the server and whatever else runs: load average (1/5/15 min) "
          "before the sync and after each phase: "
          + ", ".join("/".join(f"{x:.1f}" for x in three) for three in results.load))
    measured_baseline = next((r for r in results.rows if r.label.startswith("baseline")), None)
    for row in results.rows:
        if row.extrapolated and measured_baseline:
            print(f"{row.label}: the measured baseline's partition runs x {row.accounts}/{measured_baseline.accounts} "
                  "accounts, plus its graph build as measured; an extrapolation, not a measurement")
        for failure in row.failures:
            print(f"  {row.label} FAILED {failure}")
    for line in targets(results.rows[0], args.estate):
        print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "arguments": vars(args), "seed_seconds": results.seed_seconds, "seed_requests": results.seed_requests,
            "server_peak_rss_mib": results.server_peak_rss_mib, "load": results.load,
            "rows": [{**asdict(row), "ratio": row.ratio} for row in results.rows]}, indent=1))
    return 0 if all(r.ok for r in results.rows) else 1


if __name__ == "__main__":
    sys.exit(main())

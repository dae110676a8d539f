"""The `aws-assets` command: sync real accounts, run the demo, query the lake, regenerate the data dictionary."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from importlib.resources import files
from pathlib import Path

from aws_assets.app.times import parse_since, parse_timestamp, positive_days
from aws_assets.collection.limits import DEFAULT_CONCURRENCY, PARTITIONS_PER_ACCOUNT
from aws_assets.inputs.instances import Instance, InstanceError, load_instances
from aws_assets.inputs.organization import Membership
from aws_assets.inputs.people import PeopleFileError, load_directory
from aws_assets.model.settings import HISTORY_DAYS, INSTANCES, LAKE, PEOPLE, from_environment, settings

DEFAULT_DAGSTER_HOME = "data/dagster_home"
SIMULATOR_COMMANDS = ("can", "who-can")
LAKE_HELP = f"lake root: a path or s3://bucket/prefix (default ${LAKE.name}, else {LAKE.default})"
# The instance configuration a new DAGSTER_HOME starts with, shipped in the package; deploy/dagster.yaml links to it.
DAGSTER_YAML = files("aws_assets.app") / "dagster.yaml"


class StorageError(Exception):
    """The Dagster instance's folder cannot be written (read-only, full, permission denied); one line says why."""


def dagster_home_path(path: str | None) -> Path:
    return Path(path or os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()


def use_dagster_home(path: str | None):
    """The persistent Dagster instance the UI reads: $DAGSTER_HOME, else data/dagster_home."""
    from dagster import DagsterInstance

    home = dagster_home_path(path)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


PROBE_BYTES = 65536  # what a run's first events take, about: a disk that cannot hold them is full


def check_writable(folder: Path) -> None:
    """Before any AWS call: the folder takes a file of PROBE_BYTES (removed again), or StorageError says why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".aws-assets-probe-") as probe:
            probe.write(b"\0" * PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        raise StorageError(f"cannot write the Dagster instance at {folder}: {error.strerror or error}") from None


def storage_cause(error: Exception) -> str:
    """sqlite's or the OS's own words, without SQLAlchemy's wrapping and SQL."""
    original = getattr(error, "orig", None) or error
    return getattr(original, "strerror", None) or " ".join(str(original).split())


def check_people_file(people_file: str | None) -> None:
    """Reads the people directory before any API call: an unreadable file stops the sync, skipped rows are listed."""
    directory = load_directory(people_file)
    for rejected in directory.rejected:
        print(f"aws-assets: warning: {rejected.message} (row skipped)", file=sys.stderr)
    if directory.rejected:
        print(f"aws-assets: warning: {len(directory.rejected)} row(s) of {people_file} skipped, "
              f"{len(directory.people)} people read", file=sys.stderr)


def run_sync(instances_file: str, lake_root: str, dagster_home: str | None, people_file: str | None = None,
             concurrency: int = DEFAULT_CONCURRENCY) -> int:
    from aws_assets.app.progress import SyncProgress
    from aws_assets.app.report import print_summary
    from aws_assets.defs.definitions import build_definitions
    from aws_assets.defs.sync import sync

    instances = load_instances(instances_file)
    if not instances:
        raise InstanceError(f"{instances_file}: lists no integration instances")
    check_people_file(people_file)
    defs = build_definitions(
        instances_file=str(Path(instances_file).resolve()),
        lake_root=lake_root,
        people_file=str(Path(people_file).resolve()) if people_file else None,
    )
    home = dagster_home_path(dagster_home)
    check_writable(home)
    membership = defs.resources["aws"].members(refresh=True)
    print_membership(membership, instances)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with use_dagster_home(dagster_home) as dagster_instance, SyncProgress(len(membership.instances)) as progress:
            report = sync(membership.instances, defs, dagster_instance, progress, concurrency)
    except (OSError, SQLAlchemyError) as error:
        raise StorageError(f"cannot write the Dagster instance at {home}: {storage_cause(error)}") from None
    print_summary(report, lake_root)
    return 0 if report.ok and not membership.failed else 1


def print_membership(membership: Membership, entries: list[Instance]) -> None:
    """What the organisation entries stood for: before the sync, so that a skipped account is never a surprise."""
    members = len(membership.instances) - len(entries)
    if any(entry.organization for entry in entries):
        print(f"aws-assets: {len(membership.instances)} account(s) to sync: {len(entries)} from the instances file, "
              f"{members} organisation member(s); {len(membership.skipped)} skipped", file=sys.stderr)
    for account_id, reason in sorted(membership.skipped.items()):
        print(f"    skipped {account_id}: {reason}", file=sys.stderr)
    for reason in membership.failed.values():
        print(f"aws-assets: error: {reason}; its members are not synced", file=sys.stderr)


def cmd_sync(args: argparse.Namespace) -> int:
    return run_sync(args.instances, args.lake, args.dagster_home, args.people, args.concurrency)


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from aws_assets.app.sql import interactive, print_query
    from aws_assets.graph.tables import open_lake, table_schemas
    from aws_assets.lake.sql import lake_tables
    from aws_assets.lake.storage import Lake

    if args.as_of and args.write_db:
        print("aws-assets sql: --as-of reads the lake's history into memory: it cannot --write-db", file=sys.stderr)
        return 2
    lake = Lake(args.lake)
    try:
        if not lake.exists():
            print(f"aws-assets sql: no lake at {args.lake}: sync into it first (`aws-assets sync --lake {args.lake}`), "
                  "or name the lake with --lake (the demo's is data/demo/lake)", file=sys.stderr)
            return 2
        if not lake_tables(lake) & set(table_schemas()):
            print(f"aws-assets sql: {lake.url} holds no lake (none of its tables): name the lake with --lake (the "
                  "demo's is data/demo/lake)", file=sys.stderr)
            return 2
        con = open_lake(args.lake, args.write_db, args.as_of)
    except (OSError, duckdb.Error) as error:
        print(f"aws-assets sql: cannot read the lake at {lake.url}: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    if args.write_db:
        print(f"wrote {args.write_db}: open it with `duckdb {args.write_db}`", file=sys.stderr)
    if args.query:
        return print_query(con, args.query, args.format)
    if not args.write_db:
        interactive(con)
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    from aws_assets.app.changes import run_changes

    return run_changes(args.lake, args.since, args.account)


def cmd_prune(args: argparse.Namespace) -> int:
    from aws_assets.app.changes import run_prune
    from aws_assets.lake.prune import history_days
    from aws_assets.model.settings import SettingError

    try:
        days = args.days or history_days()
    except SettingError as error:
        print(f"aws-assets prune: {error}", file=sys.stderr)
        return 2
    return run_prune(args.lake, days)


def cmd_can(args: argparse.Namespace) -> int:
    from aws_assets.app.simulate import run_can

    return run_can(args.lake, args.principal, args.action, args.resource, args.context, args.json,
                   args.context_complete)


def cmd_who_can(args: argparse.Namespace) -> int:
    from aws_assets.app.simulate import run_who_can

    return run_who_can(args.lake, args.action, args.resource, args.json)


def cmd_demo(args: argparse.Namespace) -> int:
    from aws_assets.sim.demo import start_demo, stop_org

    if args.stop:
        return stop_org()
    environment = start_demo(args.port)
    if args.org_only:
        return 0
    demo = from_environment(environment)
    status = run_sync(demo.instances_file, demo.lake, environment["DAGSTER_HOME"], demo.people_file,
                      args.concurrency)
    print(
        "\nThe simulated organisation keeps running: `make ui` opens the Dagster UI on these materializations, "
        "`make demo-stop` stops it."
    )
    return status


def cmd_compliance(args: argparse.Namespace) -> int:
    from aws_assets.app.compliance import run_compliance

    return run_compliance(args.lake, args.framework, args.account, args.format)


def cmd_findings(args: argparse.Namespace) -> int:
    from aws_assets.app.export import run_findings

    return run_findings(args.lake, args.format, args.account)


def cmd_report(args: argparse.Namespace) -> int:
    from aws_assets.app.pictures import write_pictures

    for line in write_pictures(args.lake, args.output):
        print(line)
    return 0


def cmd_dictionary(args: argparse.Namespace) -> int:
    from aws_assets.app.dictionary import DICTIONARY_PATH, render_data_dictionary

    path = args.output or DICTIONARY_PATH
    text = render_data_dictionary()
    if args.check:
        if not path.exists() or path.read_text() != text:
            print(f"{path} is out of date: run `aws-assets dictionary`", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")
    return 0


def add_concurrency(command: argparse.ArgumentParser) -> None:
    command.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
                         help=f"accounts synced at a time (default {DEFAULT_CONCURRENCY}; each account syncs up to "
                         f"{PARTITIONS_PER_ACCOUNT} of its regions at a time)")


def parser() -> argparse.ArgumentParser:
    config = settings()
    main_parser = argparse.ArgumentParser(prog="aws-assets", description=__doc__)
    commands = main_parser.add_subparsers(dest="command", required=True)

    sync_parser = commands.add_parser("sync", help="collect every instance's accounts and regions into the lake")
    sync_parser.add_argument("--instances", default=config.instances_file,
                             help=f"instances file, JSON or YAML (default ${INSTANCES.name}, else {INSTANCES.default})")
    sync_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    sync_parser.add_argument("--dagster-home", help="Dagster instance directory (default $DAGSTER_HOME)")
    sync_parser.add_argument(
        "--people", metavar="FILE", default=config.people_file,
        help=f"people directory, CSV or Parquet with email, firstName, lastName (default ${PEOPLE.name}); "
        "IAM users map to these people",
    )
    add_concurrency(sync_parser)
    sync_parser.set_defaults(run=cmd_sync)

    sql_parser = commands.add_parser("sql", help="DuckDB SQL over the lake; no query opens a prompt")
    sql_parser.add_argument("query", nargs="?", help="a SQL query; views: one per _type, and `entities`")
    sql_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    sql_parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql_parser.add_argument("--write-db", metavar="FILE", help="also write a .duckdb file holding the views")
    sql_parser.add_argument("--as-of", metavar="TIMESTAMP", type=parse_timestamp,
                            help="answer from the lake as it was then (ISO 8601; UTC unless it says otherwise)")
    sql_parser.set_defaults(run=cmd_sql)

    changes_parser = commands.add_parser("changes", help="what changed since a time: counts, then the "
                                         "security-relevant changes first")
    changes_parser.add_argument("--since", type=parse_since, default="1d", metavar="DURATION|TIMESTAMP",
                                help="1d, 12h, 2w, 1d12h or an ISO 8601 time (default 1d)")
    changes_parser.add_argument("--account", metavar="ID", help="only this account's changes")
    changes_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    changes_parser.set_defaults(run=cmd_changes)
    prune_parser = commands.add_parser("prune", help="remove the lake's history older than the retention")
    prune_parser.add_argument("--days", type=positive_days, metavar="N",
                              help=f"days of history to keep (default ${HISTORY_DAYS.name}, else "
                              f"{HISTORY_DAYS.default})")
    prune_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    prune_parser.set_defaults(run=cmd_prune)

    can_parser = commands.add_parser(
        "can", help="decide one request on the lake's policies (exit 0 allowed, 1 denied)")
    can_parser.add_argument("principal", help="a user or role ARN, or a role session "
                            "(arn:aws:sts::<account>:assumed-role/<role>/<session>)")
    can_parser.add_argument("action", help="e.g. s3:GetObject")
    can_parser.add_argument("resource", help="a resource ARN, e.g. arn:aws:s3:::bucket/key")
    can_parser.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                            help="a request context key, e.g. aws:SourceIp=203.0.113.5 (repeatable; a key given "
                            "twice is a list)")
    can_parser.add_argument("--context-complete", action="store_true",
                            help="the --context keys are the request's whole context: any other key is absent "
                            "(default: unknown, and a decision that depends on it is conditional)")
    can_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    can_parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    can_parser.set_defaults(run=cmd_can)

    who_can_parser = commands.add_parser(
        "who-can", help="every principal that may make a request on the lake, with role chains")
    who_can_parser.add_argument("action", help="e.g. s3:GetObject")
    who_can_parser.add_argument("resource", help="a resource ARN")
    who_can_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    who_can_parser.add_argument("--json", action="store_true", help="print the principals as JSON")
    who_can_parser.set_defaults(run=cmd_who_can)

    demo_parser = commands.add_parser("demo", help="sync a simulated AWS organisation (a local moto server)")
    demo_parser.add_argument("--port", type=int, default=5055, help="port of the simulated organisation")
    demo_parser.add_argument("--org-only", action="store_true", help="only make sure the organisation is running")
    demo_parser.add_argument("--stop", action="store_true", help="stop the simulated organisation")
    add_concurrency(demo_parser)
    demo_parser.set_defaults(run=cmd_demo)

    # The names are spelled here, not imported: the modules that declare them load the analysis.
    compliance_parser = commands.add_parser(
        "compliance", help="each CIS control per account and region: pass, fail, not-applicable, not-assessed")
    compliance_parser.add_argument("--framework", choices=("cis-aws-4.0", "cis-aws-3.0"), default="cis-aws-4.0")
    compliance_parser.add_argument("--account", metavar="ID", help="one account (default: every account)")
    compliance_parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    compliance_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    compliance_parser.set_defaults(run=cmd_compliance)

    findings_parser = commands.add_parser(
        "findings", help="the lake's findings as OCSF Detection Findings, ASFF (Security Hub), CSV or JSON")
    findings_parser.add_argument("--format", choices=("ocsf", "asff", "csv", "json"), default="json")
    findings_parser.add_argument("--account", metavar="ID", help="one account (default: every account)")
    findings_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    findings_parser.set_defaults(run=cmd_findings)

    report_parser = commands.add_parser(
        "report", help="draw who trusts whom and what the internet reaches as PNG files")
    report_parser.add_argument("--lake", default=config.lake, help=LAKE_HELP)
    report_parser.add_argument("--output", metavar="DIR", type=Path, default=Path("data/report"),
                               help="where to write trust.png and internet.png (default data/report)")
    report_parser.set_defaults(run=cmd_report)

    dictionary_parser = commands.add_parser("dictionary", help="regenerate the data dictionary")
    # No default here: the dictionary module, which names it, is slow to import for the other commands.
    dictionary_parser.add_argument("--output", metavar="FILE", type=Path,
                                   help="where to write it (default docs/data-dictionary.md in the current directory)")
    dictionary_parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    dictionary_parser.set_defaults(run=cmd_dictionary)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command not in SIMULATOR_COMMANDS:  # they answer in under a second: importing Dagster alone takes one
        from dagster import BetaWarning

        # Dagster warns of its own beta parameters whenever the definitions load: nothing a user of the command can
        # act on.
        warnings.filterwarnings("ignore", category=BetaWarning)
    from aws_assets.app.simulate import UsageError

    try:
        return args.run(args)
    except (InstanceError, PeopleFileError) as error:
        print(f"aws-assets: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"aws-assets {args.command}: {error}", file=sys.stderr)
        return 2
    except StorageError as error:
        print(f"aws-assets {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

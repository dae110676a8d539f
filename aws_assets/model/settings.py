"""aws-assets' own configuration: every `AWS_ASSETS_*` environment variable, declared here once with its default
and meaning, and read through `settings()` (or `from_environment` on a given environment) where it is used.

An empty variable counts as unset, so `AWS_ASSETS_LAKE=` in a shell, a compose file or a ConfigMap means the
default. Values are read as given: each is checked where it is used (the schedule when the definitions load, the
deployment when they pick an executor), and a bad one is an error naming its variable. The README's table of these
variables is checked against the declarations (aws_assets_tests/unit/test_settings.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

# A variable's default: a value, or None when unset means "none" (no people directory) or a default that depends on
# the rest of the environment (the cache folder); its description then says what.
Default = TypeVar("Default", str, None)


@dataclass(frozen=True)
class Variable(Generic[Default]):
    name: str
    default: Default
    description: str

    def read(self, environ: Mapping[str, str]) -> str | Default:
        return environ.get(self.name) or self.default


INSTANCES = Variable(
    "AWS_ASSETS_INSTANCES", "instances.json",
    "The instances file (JSON or YAML): each account's role ARN and external ID; the registry the instance events "
    "write",
)
LAKE = Variable("AWS_ASSETS_LAKE", "data/lake", "The lake: a local directory or `s3://bucket/prefix`")
PEOPLE = Variable(
    "AWS_ASSETS_PEOPLE", None,
    "The people directory (CSV or Parquet with `email`, `firstName`, `lastName`); unset: people come only from IAM "
    "users' `Email` tags",
)
INBOX = Variable(
    "AWS_ASSETS_INBOX", "data/inbox",
    "Where instance events arrive: a directory, or an SQS queue URL (any `http://` or `https://` location)",
)
REJECTED = Variable(
    "AWS_ASSETS_REJECTED", "data/inbox/rejected",
    "Where rejected SQS messages are recorded (a directory inbox keeps its rejections in its own `rejected/`)",
)
SYNC_SCHEDULE = Variable(
    "AWS_ASSETS_SYNC_SCHEDULE", "0 2 * * *",
    "Cron schedule (UTC) on which every registered instance is re-synced",
)
DEPLOYMENT = Variable(
    "AWS_ASSETS_DEPLOYMENT", "local",
    "Where runs execute: `local` (Dagster's default executor) or `production` (the graph's steps in Kubernetes pods)",
)
CACHE = Variable(
    "AWS_ASSETS_CACHE", None,
    "Local folder of the lake snapshots the graph and analysis assets read; unset: `$XDG_CACHE_HOME/aws-assets`, "
    "else `~/.cache/aws-assets`",
)
RATE_LIMITS = Variable(
    "AWS_ASSETS_RATE_LIMITS", None,
    "Client-side request rates per account, region and service, overriding the defaults: `iam=5,ec2=40,default=20` "
    "(requests a second); unset: the defaults in the README's table",
)
ORGANIZATION_RUNS = Variable(
    "AWS_ASSETS_ORGANIZATION_RUNS", "1",
    "How many runs the schedule and the sensor spread an organisation entry's members over (each a pod in "
    "production; every account in exactly one of them)",
)
HISTORY_DAYS = Variable(
    "AWS_ASSETS_HISTORY_DAYS", "90",
    "Days of history the lake keeps (every sync's version of each partition, the change tables); "
    "`aws-assets prune` and each change computation remove what is older",
)
ALERT_WEBHOOK = Variable(
    "AWS_ASSETS_ALERT_WEBHOOK", None,
    "URL the alert sensor posts a JSON message (Slack-compatible `text`) to when a sync opens findings or adds an "
    "external trust; unset: no alerts",
)
ALERT_SEVERITY = Variable(
    "AWS_ASSETS_ALERT_SEVERITY", "high",
    "Lowest severity of a newly opened finding that is alerted: critical, high, medium or low",
)
ANALYSIS_WORKERS = Variable(
    "AWS_ASSETS_ANALYSIS_WORKERS", None,
    "Processes the largest analyses (`principal_access`) spread their rows over; unset: the cores the process may "
    "use (its CPU affinity and container quota), at most 8",
)
SYNC_PROCESSES = Variable(
    "AWS_ASSETS_SYNC_PROCESSES", None,
    "Processes a sync spreads its accounts over, each collecting its accounts on threads; unset: the cores the "
    "process may use but one (which writes the events), at most 8, and one per 4 accounts; 1: every account in the "
    "sync's own process",
)
VARIABLES: tuple[Variable, ...] = (
    INSTANCES, LAKE, PEOPLE, INBOX, REJECTED, SYNC_SCHEDULE, DEPLOYMENT, CACHE, RATE_LIMITS, ORGANIZATION_RUNS,
    HISTORY_DAYS, ALERT_WEBHOOK, ALERT_SEVERITY, ANALYSIS_WORKERS, SYNC_PROCESSES,
)


@dataclass(frozen=True)
class Settings:
    instances_file: str
    lake: str
    people_file: str | None
    inbox: str
    rejected_dir: str
    sync_schedule: str
    deployment: str
    cache_folder: str
    rate_limits: str | None
    organization_runs: str
    history_days: str
    alert_webhook: str | None
    alert_severity: str
    analysis_workers: str | None
    sync_processes: str | None


class SettingError(ValueError):
    """An `AWS_ASSETS_*` variable holds a value its use cannot take."""


def positive_count(variable: Variable, value: str, counting: str) -> int:
    """The value of a variable that counts something, 1 or more; else an error naming the variable and its value."""
    if not value.isdigit() or int(value) < 1:
        raise SettingError(f"{variable.name}={value!r}: expected {counting}, 1 or more")
    return int(value)


def from_environment(environ: Mapping[str, str]) -> Settings:
    return Settings(
        instances_file=INSTANCES.read(environ),
        lake=LAKE.read(environ),
        people_file=PEOPLE.read(environ),
        inbox=INBOX.read(environ),
        rejected_dir=REJECTED.read(environ),
        sync_schedule=SYNC_SCHEDULE.read(environ),
        deployment=DEPLOYMENT.read(environ),
        cache_folder=CACHE.read(environ) or _user_cache_folder(environ),
        rate_limits=RATE_LIMITS.read(environ),
        organization_runs=ORGANIZATION_RUNS.read(environ),
        history_days=HISTORY_DAYS.read(environ),
        alert_webhook=ALERT_WEBHOOK.read(environ),
        alert_severity=ALERT_SEVERITY.read(environ),
        analysis_workers=ANALYSIS_WORKERS.read(environ),
        sync_processes=SYNC_PROCESSES.read(environ),
    )


def settings() -> Settings:
    """The settings of this process's environment, as it is now."""
    return from_environment(os.environ)


def _user_cache_folder(environ: Mapping[str, str]) -> str:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "aws-assets")

"""The settings (aws_assets/model/settings.py): every AWS_ASSETS_* variable declared there once, read from the
environment with its default, listed in the README as declared, and named by no other module."""

import ast
import re
from pathlib import Path

from aws_assets.model import settings as settings_module
from aws_assets.model.settings import (
    ALERT_SEVERITY,
    ALERT_WEBHOOK,
    ANALYSIS_WORKERS,
    CACHE,
    DEPLOYMENT,
    HISTORY_DAYS,
    INBOX,
    INSTANCES,
    LAKE,
    ORGANIZATION_RUNS,
    PEOPLE,
    RATE_LIMITS,
    REJECTED,
    SYNC_PROCESSES,
    SYNC_SCHEDULE,
    VARIABLES,
    Settings,
    from_environment,
    settings,
)
from aws_assets_tests.conftest import REPO

PACKAGE = REPO / "aws_assets"
README = PACKAGE.parent / "README.md"
FIELDS = {
    INSTANCES: "instances_file", LAKE: "lake", PEOPLE: "people_file", INBOX: "inbox", REJECTED: "rejected_dir",
    SYNC_SCHEDULE: "sync_schedule", DEPLOYMENT: "deployment", CACHE: "cache_folder",
    RATE_LIMITS: "rate_limits", ORGANIZATION_RUNS: "organization_runs", HISTORY_DAYS: "history_days",
    ALERT_WEBHOOK: "alert_webhook", ALERT_SEVERITY: "alert_severity",
    ANALYSIS_WORKERS: "analysis_workers", SYNC_PROCESSES: "sync_processes",
}


def test_an_unset_environment_gives_the_defaults(monkeypatch):
    monkeypatch.setenv("HOME", "/home/operator")
    assert from_environment({}) == Settings(
        instances_file="instances.json", lake="data/lake", people_file=None, inbox="data/inbox",
        rejected_dir="data/inbox/rejected", sync_schedule="0 2 * * *", deployment="local",
        cache_folder="/home/operator/.cache/aws-assets", rate_limits=None, organization_runs="1",
        history_days="90", alert_webhook=None, alert_severity="high", analysis_workers=None,
        sync_processes=None,
    )


def test_each_variable_sets_its_own_setting():
    assert set(FIELDS) == set(VARIABLES)
    read = from_environment({variable.name: f"from {variable.name}" for variable in VARIABLES})
    assert {variable.name: getattr(read, field) for variable, field in FIELDS.items()} == {
        variable.name: f"from {variable.name}" for variable in VARIABLES}


def test_an_empty_variable_counts_as_unset():
    assert from_environment({variable.name: "" for variable in VARIABLES}) == from_environment({})


def test_the_cache_folder_defaults_to_the_users_cache_directory():
    assert from_environment({"XDG_CACHE_HOME": "/var/cache/me"}).cache_folder == "/var/cache/me/aws-assets"


def test_settings_are_read_from_the_environment_as_it_is_now(monkeypatch):
    monkeypatch.setenv(LAKE.name, "s3://bucket/graph")
    assert settings().lake == "s3://bucket/graph"
    monkeypatch.delenv(LAKE.name)
    assert settings().lake == "data/lake"


def test_every_variable_is_an_aws_assets_variable_declared_once():
    names = [variable.name for variable in VARIABLES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"AWS_ASSETS_[A-Z_]+", name) for name in names)
    declared = {value for value in vars(settings_module).values() if isinstance(value, settings_module.Variable)}
    assert declared == set(VARIABLES)


def test_the_readme_lists_exactly_the_declared_variables():
    """The Configuration table of the README, row by row: the variable, its default (a dash where the description
    says what unset means) and its description."""
    rows = [line for line in README.read_text().splitlines() if re.match(r"\| `AWS_ASSETS_", line)]
    expected = [
        f"| `{v.name}` | {f'`{v.default}`' if v.default is not None else '—'} | {v.description} |" for v in VARIABLES]
    assert rows == expected, "the README's Configuration table should read:\n" + "\n".join(expected)


def test_no_other_module_names_an_aws_assets_variable():
    """Every module reads its settings through aws_assets.model.settings, so no other holds a variable's name."""
    naming = sorted(
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.value}"
        for path in PACKAGE.rglob("*.py") if path != Path(settings_module.__file__)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and re.fullmatch(r"\$?AWS_ASSETS_[A-Z_]+", node.value)
    )
    assert naming == []

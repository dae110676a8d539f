"""A non-editable install finds the files it ships: the package built as a wheel, installed into a folder of its
own and run from outside the repository, where nothing above the package holds deploy/, examples/ or docs/."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aws_assets_tests.conftest import REPO

PIP = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check", "--no-input"]
# Run by the installed package: where its files resolve, and what reading them gives.
REPORT = """
import json
from pathlib import Path

import yaml

import aws_assets
from aws_assets.app.cli import DAGSTER_YAML, use_dagster_home
from aws_assets.defs.deployment import executor_config
from aws_assets.inputs.people import load_directory
from aws_assets.sim.demo import EXAMPLE_PEOPLE

use_dagster_home("home")
print(json.dumps({
    "package": str(Path(aws_assets.__file__).parent),
    "files": [str(DAGSTER_YAML), str(EXAMPLE_PEOPLE)],
    "home_runs": yaml.safe_load(Path("home/dagster.yaml").read_text())["concurrency"]["runs"]["max_concurrent_runs"],
    "executor_max_concurrent": executor_config()["max_concurrent"],
    "people": len(load_directory(str(EXAMPLE_PEOPLE)).people),
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The folder the wheel was installed into (pip --target), as PYTHONPATH would name it."""
    work = tmp_path_factory.mktemp("installed")
    # Built from a copy of the sources: a build writes build/ and *.egg-info beside them.
    source = work / "source"
    shutil.copytree(REPO / "aws_assets", source / "aws_assets", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.cfg"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir",
                    str(work / "dist"), str(source)], check=True)
    (wheel,) = (work / "dist").glob("aws_assets-*.whl")
    subprocess.run([*PIP, "install", "--no-deps", "--no-index", "--target", str(work / "site"), str(wheel)],
                   check=True)
    return work / "site"


def run_installed(site: Path, cwd: Path, command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True,
                          text=True, timeout=120, check=True)


def test_the_installed_package_finds_its_dagster_yaml_executor_config_and_example_people(installed, tmp_path):
    report = json.loads(run_installed(installed, tmp_path, [sys.executable, "-c", REPORT]).stdout)
    assert report["package"] == str(installed / "aws_assets")
    assert all(Path(file).is_relative_to(installed) for file in report["files"])
    assert report["home_runs"] == 4
    assert report["executor_max_concurrent"] == 8
    assert report["people"] == 5


def test_the_installed_command_writes_the_dictionary_in_the_current_directory(installed, tmp_path):
    result = run_installed(installed, tmp_path, [str(installed / "bin" / "aws-assets"), "dictionary"])
    assert result.stdout == "wrote docs/data-dictionary.md\n"
    assert (tmp_path / "docs" / "data-dictionary.md").read_text() == (REPO / "docs" / "data-dictionary.md").read_text()

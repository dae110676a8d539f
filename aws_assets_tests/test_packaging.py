"""What the package ships: the files it reads are package data, and deploy/ and examples/ only link to them."""

from pathlib import Path

from aws_assets.app.cli import DAGSTER_YAML
from aws_assets.defs.deployment import EXECUTOR_CONFIG
from aws_assets.sim.demo import EXAMPLE_PEOPLE

REPO = Path(__file__).resolve().parents[1]
# Where the repository shows each file the package reads, for the people who copy or read it there.
SHOWN_AT = {"deploy/dagster.yaml": DAGSTER_YAML, "deploy/production/executor.yaml": EXECUTOR_CONFIG,
            "examples/people.csv": EXAMPLE_PEOPLE}


def test_the_files_the_package_reads_are_in_the_package_and_only_linked_from_the_repository():
    for shown, shipped in SHOWN_AT.items():
        assert Path(str(shipped)).is_relative_to(REPO / "aws_assets")
        assert (REPO / shown).is_symlink(), f"{shown} should link to {shipped}, not be a second copy"
        assert (REPO / shown).resolve() == Path(str(shipped)).resolve()


"""What the package ships and what it needs: the files it reads are package data (deploy/ and examples/ only link to
them), and the demo, whose simulated organisation needs the `demo` extra, says so when moto is missing."""

import os
import subprocess
import sys
from pathlib import Path

from aws_assets.app.cli import DAGSTER_YAML
from aws_assets.defs.deployment import EXECUTOR_CONFIG
from aws_assets.sim.demo import EXAMPLE_PEOPLE
from aws_assets_tests.conftest import REPO

# Where the repository shows each file the package reads, for the people who copy or read it there.
SHOWN_AT = {"deploy/dagster.yaml": DAGSTER_YAML, "deploy/production/executor.yaml": EXECUTOR_CONFIG,
            "examples/people.csv": EXAMPLE_PEOPLE}
# Loaded by site at start-up from PYTHONPATH: moto cannot be imported, as in an install without the demo extra.
BLOCK_MOTO = '''
import sys


class BlockMoto:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "moto":
            raise ImportError(f"No module named {name!r}")
        return None


sys.meta_path.insert(0, BlockMoto())
'''


def test_the_files_the_package_reads_are_in_the_package_and_only_linked_from_the_repository():
    for shown, shipped in SHOWN_AT.items():
        assert Path(str(shipped)).is_relative_to(REPO / "aws_assets")
        assert (REPO / shown).is_symlink(), f"{shown} should link to {shipped}, not be a second copy"
        assert (REPO / shown).resolve() == Path(str(shipped)).resolve()


def test_demo_without_moto_names_the_extra_and_starts_nothing(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCK_MOTO)
    (tmp_path / "work").mkdir()
    python_path = os.pathsep.join(filter(None, [str(tmp_path / "site"), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "aws-assets"), "demo"], cwd=tmp_path / "work", capture_output=True,
        text=True, timeout=120, env={**os.environ, "PYTHONPATH": python_path},
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "aws-assets demo: the simulated organisation needs moto: pip install 'aws-assets[demo]'\n")
    assert not (tmp_path / "work" / "data").exists()

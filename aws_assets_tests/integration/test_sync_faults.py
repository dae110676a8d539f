"""`aws-assets sync` as a user runs it, with faults in front of the moto server (aws_assets_tests/faults.py) or under
the lake: for each, the one line that says what went wrong, the exit code, and that the lake keeps what it held."""

from __future__ import annotations

import errno
import json
import subprocess
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aws_assets.app.cli import main
from aws_assets.aws.session import assume_role_session
from aws_assets.inputs.instances import Instance
from aws_assets_tests.conftest import REGION
from aws_assets_tests.faults import FaultServer
from aws_assets_tests.integration.test_lambda import create_function, create_role

ACCOUNT = "210000000101"
INSTANCE = Instance(f"arn:aws:iam::{ACCOUNT}:role/aws-assets-readonly", "faults-external-id", regions=(REGION,))


@pytest.fixture
def fault_server(aws_env, monkeypatch, tmp_path):
    """A fault server (a child process, so that it can die) holding one account: a VPC and a Lambda function; the
    instances file naming it."""
    server = FaultServer()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    session = assume_role_session(INSTANCE)
    session.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.3.0.0/16")
    create_function(session, create_role(session), "worker")
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps([{"roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id,
                                      "regions": [REGION]}]))
    yield server
    server.stop()


def sync(tmp_path: Path, capsys, lake: Path | str | None = None, home: Path | None = None) -> tuple[int, str]:
    status = main(["sync", "--instances", str(tmp_path / "instances.json"), "--lake", str(lake or tmp_path / "lake"),
                   "--dagster-home", str(home or tmp_path / "home")])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def lake_files(lake: Path) -> dict[str, bytes]:
    return {str(path.relative_to(lake)): path.read_bytes() for path in sorted(lake.rglob("data.parquet"))}


def lake_rows(lake: Path) -> dict[str, list[str]]:
    """The rows of each partition the sync collects (the graph's tables are rebuilt from them)."""
    return {name: sorted(str(row) for row in pq.read_table(lake / name).to_pylist())
            for name in lake_files(lake) if "/account=" in name}


def test_a_denied_service_loses_its_type_in_each_partition_and_keeps_its_data(fault_server, tmp_path, capsys):
    assert sync(tmp_path, capsys)[0] == 0
    lambda_file = f"aws_lambda_function/account={ACCOUNT}/region={REGION}/data.parquet"
    before = lake_files(tmp_path / "lake")
    assert pq.read_table(tmp_path / "lake" / lambda_file).num_rows == 1

    fault_server.configure(deny="lambda")
    status, output = sync(tmp_path, capsys)

    assert status == 1
    assert "2 of 2 partitions synced (1 of them incomplete)" in output
    assert ("  1 partition lost aws_lambda_function: AccessDeniedException on ListFunctions (the integration role "
            "lacks this read permission, or an SCP denies it)\n") in output
    assert "FAILED" in output and "Traceback" not in output and "DagsterExecutionStepExecutionError" not in output
    assert lake_files(tmp_path / "lake")[lambda_file] == before[lambda_file]  # the function kept, byte for byte
    collected = {name for name in lake_files(tmp_path / "lake") if "/account=" in name}
    assert collected == {name for name in before if "/account=" in name}  # no partition lost or added


def test_a_dead_endpoint_fails_the_account_naming_it_and_the_lake_keeps_its_rows(fault_server, tmp_path, capsys):
    # How soon a dead endpoint fails a partition is measured by benchmarks/faults.py; that each call to one is tried
    # only twice, by test_resilience.py. Here: the one line, the exit code and the lake.
    assert sync(tmp_path, capsys)[0] == 0
    rows_before = lake_rows(tmp_path / "lake")
    requests_of_a_sync = fault_server.call("reset")["requests"]
    killed = threading.Event()

    def kill_a_third_of_the_way() -> None:
        while fault_server.call("stats")["requests"] < requests_of_a_sync // 3:
            time.sleep(0.02)
        fault_server.kill()
        killed.set()

    threading.Thread(target=kill_a_third_of_the_way, daemon=True).start()
    status, output = sync(tmp_path, capsys)

    assert status == 1 and killed.is_set()
    endpoint = fault_server.endpoint
    cause_lines = [line for line in output.splitlines() if line.startswith("  ") and endpoint in line]
    assert cause_lines and all(line.endswith(f"cannot connect to {endpoint}: Connection refused")
                               for line in cause_lines)
    assert "Traceback" not in output and "DagsterExecutionStepExecutionError" not in output
    assert lake_rows(tmp_path / "lake") == rows_before  # each table as the last sync wrote it, or written anew alike


def test_a_lake_in_the_way_of_a_file_is_one_line_and_the_file_stays(fault_server, tmp_path, capsys):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("kept\n")
    status, output = sync(tmp_path, capsys, lake=blocker / "lake")
    assert status == 1
    assert (f"  2 partitions failed: cannot write the lake at {blocker / 'lake'}: Not a directory\n") in output
    assert "The graph was not rebuilt: no partition was written" in output
    assert "total" not in output and "Try:" not in output and "Traceback" not in output
    assert blocker.read_text() == "kept\n"


def test_a_lake_in_a_bucket_that_does_not_exist_is_one_line(fault_server, tmp_path, capsys):
    status, output = sync(tmp_path, capsys, lake="s3://no-such-bucket/lake")
    assert status == 1
    assert ("  2 partitions failed: cannot write the lake at s3://no-such-bucket/lake: AWS Error NO_SUCH_BUCKET "
            "during CreateMultipartUpload operation: The specified bucket does not exist\n") in output
    assert "The graph was not rebuilt: no partition was written" in output and "Traceback" not in output


def mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"a small filesystem for the lake needs mount (root): {error}")


def break_disk(disk: Path, fault: str) -> None:
    if fault == "read-only":
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        return
    try:  # the rest of the disk; a disk the first sync already filled refuses even the file
        with open(disk / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise


DISK_FAULTS = [("read-only", "Read-only file system"), ("full", "No space left on device")]


@pytest.mark.parametrize(("fault", "reason"), DISK_FAULTS)
def test_a_lake_on_a_read_only_or_full_disk_is_one_line_and_unchanged(fault_server, tmp_path, capsys, fault, reason):
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "4m")
    try:
        lake = disk / "lake"
        assert sync(tmp_path, capsys, lake=lake)[0] == 0
        before = lake_files(lake)
        break_disk(disk, fault)
        status, output = sync(tmp_path, capsys, lake=lake)
        assert status == 1
        assert f"  2 partitions failed: cannot write the lake at {lake}: {reason}\n" in output
        assert "The graph was not rebuilt: no partition was written" in output
        assert "total" not in output and "Try:" not in output and "findings" not in output
        assert "Traceback" not in output and "DagsterExecutionStepExecutionError" not in output
        assert lake_files(lake) == before
        assert not [path for path in lake.rglob("*.tmp")]
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


@pytest.mark.parametrize(("fault", "reason"), DISK_FAULTS)
def test_a_dagster_home_on_a_read_only_or_full_disk_is_one_line_before_any_aws_call(
        fault_server, tmp_path, capsys, fault, reason):
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "64m")
    home = disk / "home"
    try:
        status, output = sync(tmp_path, capsys, home=home)
        assert status == 0, output
        before = lake_files(tmp_path / "lake")
        break_disk(disk, fault)
        fault_server.call("reset")
        status, output = sync(tmp_path, capsys, home=home)
        assert status == 1
        assert output == f"aws-assets sync: cannot write the Dagster instance at {home}: {reason}\n"
        assert fault_server.call("stats")["requests"] == 0
        assert lake_files(tmp_path / "lake") == before
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)

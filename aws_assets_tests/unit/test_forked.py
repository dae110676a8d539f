"""`analysis.forked`: answers in order from forked workers that inherit what the function reads, and the setting
that caps them."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from aws_assets.analysis.forked import analysis_workers, map_in_forks
from aws_assets.model.cores import DEFAULT_PROCESSES_LIMIT, available_cores, cpu_quota
from aws_assets.model.settings import SettingError


def test_answers_come_in_order_from_other_processes_inheriting_what_the_function_reads():
    lock = threading.Lock()  # unpicklable: a worker can only have it by inheritance
    table = {number: number * number for number in range(40)}

    def square_and_where(number: int) -> tuple[int, int]:
        with lock:
            return table[number], os.getpid()

    answers = list(map_in_forks(square_and_where, list(range(40)), workers=2))
    assert [square for square, _ in answers] == [number * number for number in range(40)]
    assert os.getpid() not in {pid for _, pid in answers}


def test_one_worker_or_one_item_runs_here():
    assert {pid for pid in map_in_forks(lambda _: os.getpid(), [1, 2, 3], workers=1)} == {os.getpid()}
    assert list(map_in_forks(lambda _: os.getpid(), [1], workers=4)) == [os.getpid()]


def test_a_failing_item_fails_the_caller_with_its_error():
    def fail_on_three(number: int) -> int:
        if number == 3:
            raise ValueError(f"item {number}")
        return number

    with pytest.raises(ValueError, match="item 3"):
        list(map_in_forks(fail_on_three, [1, 2, 3, 4], workers=2))
    assert list(map_in_forks(abs, [-1, -2], workers=2)) == [1, 2]  # and the next call runs


def test_the_workers_setting_caps_them_and_a_bad_value_names_the_variable(monkeypatch):
    monkeypatch.delenv("AWS_ASSETS_ANALYSIS_WORKERS", raising=False)
    assert analysis_workers() == min(available_cores(), DEFAULT_PROCESSES_LIMIT) >= 1
    monkeypatch.setenv("AWS_ASSETS_ANALYSIS_WORKERS", "3")
    assert analysis_workers() == 3
    monkeypatch.setenv("AWS_ASSETS_ANALYSIS_WORKERS", "none")
    with pytest.raises(SettingError, match=r"AWS_ASSETS_ANALYSIS_WORKERS='none': expected a number of processes"):
        analysis_workers()


def test_a_containers_cpu_quota_bounds_the_cores(tmp_path):
    v2, v1_quota, v1_period = tmp_path / "cpu.max", tmp_path / "cfs_quota_us", tmp_path / "cfs_period_us"
    v2.write_text("150000 100000\n")
    assert cpu_quota(((str(v2), None),)) == 2
    v2.write_text("max 100000\n")
    assert cpu_quota(((str(v2), None),)) is None
    v1_quota.write_text("400000\n")
    v1_period.write_text("100000\n")
    assert cpu_quota(((str(tmp_path / "absent"), None), (str(v1_quota), str(v1_period)))) == 4
    v1_quota.write_text("-1\n")
    assert cpu_quota(((str(v1_quota), str(v1_period)),)) is None


def _workers_seen_by_a_daemon(pipe) -> None:
    pipe.send(sorted({pid for pid in map_in_forks(lambda _: os.getpid(), [1, 2, 3], workers=2)}) == [os.getpid()])


def test_a_daemonic_process_which_may_not_fork_computes_it_alone():
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    daemon = context.Process(target=_workers_seen_by_a_daemon, args=(sending,), daemon=True)
    daemon.start()
    assert receiving.recv() is True
    daemon.join()

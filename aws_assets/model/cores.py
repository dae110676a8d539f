"""The cores this process may use: what the sync and the analyses size their worker processes by."""

from __future__ import annotations

import os

# The most worker processes the sync or an analysis starts by default: each holds its own memory (its share of the
# accounts, or of the principals), and past 8 the parent's merging of their results, not the cores, bounds the time.
DEFAULT_PROCESSES_LIMIT = 8

# A container's CPU limit (cgroup v2, then v1): a pod limited to 2 CPUs on a 64-core node sees 64 in its affinity.
CPU_QUOTA_FILES = (("/sys/fs/cgroup/cpu.max", None),
                   ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"))


def available_cores() -> int:
    """The cores this process may use: its CPU affinity, bounded by its container's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = cpu_quota()
    return max(1, min(cores, quota)) if quota is not None else cores


def cpu_quota(files: tuple[tuple[str, str | None], ...] = CPU_QUOTA_FILES) -> int | None:
    """The container's CPU limit in whole cores (rounded up), None where it has none."""
    for quota_file, period_file in files:
        try:
            with open(quota_file) as found:
                fields = found.read().split()
            if period_file is not None:
                with open(period_file) as found:
                    fields += found.read().split()
        except OSError:
            continue
        if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[1]) > 0:
            return -(-int(fields[0]) // int(fields[1]))
        return None  # "max" or -1: no quota
    return None

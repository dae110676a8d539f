"""Peak memory of a benchmark's process, as its own.

Linux keeps a process's largest RSS across exec: a child started by fork and exec (subprocess, multiprocessing's
spawn) begins with its parent's RSS at the fork as its `ru_maxrss`. A phase started by a parent holding a seeded
moto server would report the server's size as its own peak. VmHWM, the high-water mark of the process's own memory
map, starts afresh at exec.
"""

from __future__ import annotations

import resource


def peak_rss_mib() -> float:
    """This process's peak RSS since it started (VmHWM), in MiB; `ru_maxrss` where /proc is not there."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mib() -> float:
    """The largest `ru_maxrss` of this process's finished children: each counts what it shares with this process,
    and at least this process's RSS when it started them."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

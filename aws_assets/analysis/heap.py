"""How the analyses that build millions of rows keep Python's cyclic garbage collector out of their way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The analyses make millions of small objects that hold no reference cycle (reference counting frees them):
    the cyclic collector would only walk the whole heap again and again to free nothing, a third of the time on
    a large estate (benchmarks/policy_analysis.py). It runs again, as before, once the tables are built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

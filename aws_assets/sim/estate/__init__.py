"""The simulated organisation's estate: one module per AWS service, each declaring ``SEEDER``, its
:class:`~aws_assets.sim.seeder.Seeder`. A module's docstring describes what it seeds; adding a service to the
simulated organisation is adding its module here.
"""

from __future__ import annotations

import functools
import graphlib
import importlib
import pkgutil

from aws_assets.sim.seeder import Seeder


@functools.cache
def seeders() -> tuple[Seeder, ...]:
    """Every estate module's seeder, each after the seeders it names in ``after``."""
    found: dict[Seeder, tuple[Seeder, ...]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        seeder = getattr(module, "SEEDER", None)
        if not isinstance(seeder, Seeder):
            raise TypeError(f"{module.__name__} declares no SEEDER: every estate module seeds one AWS service")
        found[seeder] = seeder.after
    return tuple(graphlib.TopologicalSorter(found).static_order())

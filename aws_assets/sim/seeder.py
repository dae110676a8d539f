"""What each module of aws_assets/sim/estate declares: a :class:`Seeder` of its AWS service.

A seeder creates its service's resources in one account at a time (``seed``) and says how many entities of each
type aws-assets will find in an account once it has run (``counts``), computed from the same plan data it seeds
from. What later seeders build on (the instance profile EC2 launches hosts with, the function API Gateway
integrates with) it hands on through the account's :class:`AccountContext`, under :class:`Output` keys its module
declares; a seeder reading one names the writer in its ``after``, which also orders the seeding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aws_assets.sim.clients import AccountClients

T = TypeVar("T")


class Output(Generic[T]):
    """The key under which a seeder hands a value of type ``T`` to the seeders after it."""

    def __init__(self, description: str) -> None:
        self.description = description


@dataclass
class AccountContext:
    """One account as its seeders see it: which account, its clients, the scale, what earlier seeders handed on."""

    account_id: str
    name: str  # the <env> that starts the account's resource names
    scale: int  # the multiplier of the bulk tiers
    clients: AccountClients
    _outputs: dict[Output[Any], Any] = field(default_factory=dict)

    def __getitem__(self, key: Output[T]) -> T:
        if key not in self._outputs:
            raise LookupError(
                f"{key.description} is not seeded in account {self.name} yet: "
                "the seeder reading it must name the seeder writing it in its `after`"
            )
        return self._outputs[key]

    def __setitem__(self, key: Output[T], value: T) -> None:
        if key in self._outputs:
            raise ValueError(f"{key.description} is already seeded in account {self.name}")
        self._outputs[key] = value


@dataclass(frozen=True, eq=False)
class Seeder:
    """How one AWS service is seeded into each account of the simulated organisation, and what that creates."""

    seed: Callable[[AccountContext], None]
    # (account id, scale) -> entity type, as aws-assets names it -> how many aws-assets finds in the account
    counts: Callable[[str, int], Mapping[str, int]]
    after: tuple[Seeder, ...] = ()  # the seeders whose outputs or resources this one needs

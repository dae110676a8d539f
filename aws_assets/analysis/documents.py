"""Reading IAM policy documents, trust and identity policies alike, without ever raising.

A document arrives as IAM or the lake holds it: JSON text, URL-encoded JSON text (some IAM APIs answer so), bytes or
an object; or as anything malformed. `DocumentReader.decode` returns the JSON object or None, and every problem met
(unreadable JSON, a key the JSON repeats, a document that is not an object) is recorded, never raised: the analyses
turn problems into rows and findings, so that a document they cannot read is never a silent gap. `elements` reads an
object's elements under their canonical names, matched case-insensitively: an analysis would rather read a document
IAM might refuse than miss a grant in one it accepts. `glob_match` and `glob_match_case` are IAM's wildcards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

_UNREADABLE = object()


@dataclass(frozen=True)
class DocumentProblem:
    """Something in the document the analysis could not read (`error`: a grant may be missing or unsure) or that is
    unusual but understood (`warning`). `statement` is the statement's index when the problem is inside one."""

    code: str
    message: str
    statement: int | None = None
    severity: str = "error"


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def listify(value: Any) -> list[Any] | None:
    """A string or a list as a list (IAM accepts both for most elements); None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    return None


def glob_match_case(pattern: str, text: str, star: str = "*", any_one: str = "?") -> bool:
    """IAM's wildcard match (`star` any run, `any_one` one character), case-sensitive as IAM matches ARNs; linear in
    practice (no regex, so no catastrophic backtracking on patterns full of stars)."""
    if star not in pattern and any_one not in pattern:
        return pattern == text  # most ARN fields of a pattern are literal
    p = t = 0
    star_at, star_t = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == any_one or pattern[p] == text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == star:
            star_at, star_t, p = p, t, p + 1
        elif star_at >= 0:
            star_t += 1
            p, t = star_at + 1, star_t
        else:
            return False
    while p < len(pattern) and pattern[p] == star:
        p += 1
    return p == len(pattern)


@lru_cache(maxsize=1 << 16)
def glob_match(pattern: str, text: str) -> bool:
    """IAM's wildcard match ignoring case, as IAM matches actions and condition keys. Remembered: the same few
    thousand action patterns meet the same few thousand actions across every policy of an estate."""
    return glob_match_case(pattern.lower(), text.lower())


class DocumentReader:
    """Collects the problems met while reading one document of a kind ("trust policy", "identity policy")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.problems: list[DocumentProblem] = []

    def problem(self, code: str, message: str, statement: int | None = None, severity: str = "error") -> None:
        self.problems.append(DocumentProblem(code, message, statement, severity))

    def elements(
        self, obj: Mapping[Any, Any], allowed: Mapping[str, str], where: str, statement: int | None,
        unknown: tuple[str, str] = ("unsupported_element", "warning"),
    ) -> dict[str, Any]:
        """The object's elements under their canonical names (`allowed`: lower-case name -> canonical name); an
        unknown one is the `unknown` (code, severity) problem, one given twice in different case an error."""
        found: dict[str, Any] = {}
        for key, value in obj.items():
            canonical = allowed.get(key.lower()) if isinstance(key, str) else None
            if canonical is None:
                self.problem(unknown[0], f"{where}: {short(key)} is not part of a {self.kind}", statement, unknown[1])
            elif canonical in found:
                self.problem("duplicate_element", f"{where}: {canonical} is given twice (in different case)",
                             statement)
            else:
                found[canonical] = value
        return found

    def decode(self, document: Any) -> dict[Any, Any] | None:
        """The document as a JSON object, or None (with the problem recorded) when it cannot be one."""
        if document is None:
            self.problem("missing_document", f"the {self.kind} has no document")
            return None
        if isinstance(document, (bytes, bytearray)):
            try:
                document = bytes(document).decode("utf-8")
            except UnicodeDecodeError:
                self.problem("unreadable_json", f"the {self.kind} is not UTF-8 text")
                return None
        if isinstance(document, str):
            if not document.strip():
                self.problem("missing_document", f"the {self.kind} document is empty")
                return None
            decoded = self._load_json(document)
            if decoded is _UNREADABLE and "%" in document:
                decoded = self._load_json(unquote(document))
            if decoded is _UNREADABLE:
                self.problem("unreadable_json", f"the {self.kind} is not valid JSON (nor URL-encoded JSON)")
                return None
            document = decoded
        if not isinstance(document, Mapping):
            self.problem("document_not_object", f"the {self.kind} is a {type(document).__name__}, not a JSON object")
            return None
        return dict(document)

    def _load_json(self, text: str) -> Any:
        duplicates: list[str] = []

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            seen: dict[str, Any] = {}
            for key, value in items:
                if key in seen:
                    duplicates.append(key)
                seen[key] = value
            return seen

        try:
            decoded = json.loads(text, object_pairs_hook=pairs)
        except (ValueError, RecursionError):
            return _UNREADABLE
        for key in dict.fromkeys(duplicates):
            self.problem("duplicate_element", f"the JSON repeats the key {short(key)}: only its last value is read")
        return decoded

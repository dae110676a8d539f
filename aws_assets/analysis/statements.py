"""Policy documents read into statements for the evaluator: a document as JSON text or a parsed object
(`documents.DocumentReader.decode`), element names matched case-insensitively, a string or a list wherever IAM
accepts a list. A statement IAM would refuse (no Effect Allow/Deny, no Action nor NotAction) is dropped: it can never
apply. A statement without Resource or NotResource is kept only outside identity-type policies (a resource-based
policy's statements are about the resource they are attached to; SCPs and RCPs default to every resource)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from aws_assets.analysis.documents import DocumentReader, listify


class Layer(Enum):
    IDENTITY = "identity"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"
    RESOURCE = "resource"
    AWS_RULE = "aws"  # what AWS decides whatever the policies say


IDENTITY_TYPE_LAYERS = frozenset({Layer.IDENTITY, Layer.BOUNDARY, Layer.SESSION})
PRINCIPAL_LAYERS = frozenset({Layer.RESOURCE, Layer.RCP})  # the policy types whose statements name principals

_ELEMENTS = {name.lower(): name for name in (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition",
)}


class Policy(NamedTuple):
    """A document with the name a decision cites it by (a policy ARN, `inline:<name>`, ...)."""

    name: str
    document: Any


@dataclass(frozen=True)
class Statement:
    layer: Layer
    policy: str
    index: int
    sid: str | None
    allow: bool
    actions: tuple[Any, ...]
    not_action: bool
    resources: tuple[Any, ...] | None  # None: the element is absent (any resource)
    not_resource: bool
    principal: Any
    not_principal: bool
    condition: Any

    @property
    def label(self) -> str:
        return self.sid or str(self.index)


# Documents already read, by (id of the document, name, layer), each kept with its document so that the id cannot
# be reused while its entry lives: a simulation or an access table evaluates the same policies millions of times.
# A document is read as it was first seen: the lake's documents are never changed once loaded.
_READ: OrderedDict[tuple[int, str, Layer], tuple[Any, tuple[Statement, ...]]] = OrderedDict()
_READ_LIMIT = 100_000
_READ_LOCK = threading.Lock()


def read_statements(policy: Policy | Mapping[str, Any] | str, layer: Layer, default_name: str) -> list[Statement]:
    name, document = policy if isinstance(policy, Policy) else (default_name, policy)
    key = (id(document), name, layer)
    with _READ_LOCK:
        known = _READ.get(key)
        if known is not None and known[0] is document:
            _READ.move_to_end(key)
            return list(known[1])
    statements = _read_document(document, layer, name)
    if isinstance(document, (str, Mapping)):
        with _READ_LOCK:
            _READ[key] = (document, tuple(statements))
            if len(_READ) > _READ_LIMIT:
                _READ.popitem(last=False)
    return statements


def _read_document(document: Any, layer: Layer, name: str) -> list[Statement]:
    reader = DocumentReader(f"{layer.value} policy")
    decoded = reader.decode(document)
    if decoded is None:
        return []
    body = reader.elements(decoded, {"version": "Version", "id": "Id", "statement": "Statement"}, "document", None)
    raw = body.get("Statement")
    raw_statements = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    statements = []
    for index, item in enumerate(raw_statements):
        statement = _read(item, index, layer, name, reader)
        if statement is not None:
            statements.append(statement)
    return statements


def _read(item: Any, index: int, layer: Layer, name: str, reader: DocumentReader) -> Statement | None:
    if not isinstance(item, dict):
        return None
    found = reader.elements(item, _ELEMENTS, f"statement {index}", index)
    effect = found.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        return None
    not_action = "Action" not in found
    actions = listify(found.get("NotAction" if not_action else "Action"))
    if actions is None:
        return None
    not_resource = "Resource" not in found and "NotResource" in found
    resources = listify(found.get("NotResource" if not_resource else "Resource"))
    if resources is None and layer in IDENTITY_TYPE_LAYERS:
        return None
    not_principal = "Principal" not in found and "NotPrincipal" in found
    principal = found.get("NotPrincipal" if not_principal else "Principal")
    sid = found.get("Sid")
    return Statement(layer, name, index, sid if isinstance(sid, str) and sid else None, effect.lower() == "allow",
                     tuple(actions), not_action, None if resources is None else tuple(resources), not_resource,
                     principal, not_principal, found.get("Condition"))

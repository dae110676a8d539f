"""`aws-assets can` and `aws-assets who-can`: the offline policy simulator on the lake
(`aws_assets.analysis.simulator`), its answers printed for people or as JSON."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aws_assets.analysis.evaluation import Decision
from aws_assets.analysis.policy_sets import PolicyIndex, UnknownPrincipal
from aws_assets.analysis.simulator import Access, WhoCan, can

if TYPE_CHECKING:
    from aws_assets.lake.snapshot import LakeSnapshot

EXIT_ALLOWED, EXIT_DENIED, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """Input the simulator cannot read: printed as one line, exit code 2."""


def parse_context(pairs: Sequence[str]) -> dict[str, str | list[str]]:
    """`key=value` pairs; a key given twice holds a list of its values (keys compared case-insensitively)."""
    context: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--context {pair!r}: expected key=value, e.g. aws:SourceIp=203.0.113.5")
        key = key.strip()
        spelled.setdefault(key.lower(), key)
        context.setdefault(key.lower(), []).append(value)
    return {spelled[key]: values[0] if len(values) == 1 else values for key, values in context.items()}


def existing_lake_snapshot(lake_root: str) -> LakeSnapshot:
    """The snapshot of a lake that exists, else a UsageError saying how to make one or name it."""
    from aws_assets.lake.snapshot import LakeSnapshot
    from aws_assets.lake.storage import Lake
    from aws_assets.model.settings import settings

    lake = Lake(lake_root)
    if not lake.exists():
        raise UsageError(f"no lake at {lake_root}: sync into it first (`aws-assets sync --lake {lake_root}`), or "
                         "name the lake with --lake (the demo's is data/demo/lake)")
    return LakeSnapshot(lake, settings().cache_folder)


def load_index(lake_root: str, command: str) -> PolicyIndex:
    from aws_assets.graph.policy_index import load_policy_index

    snapshot = existing_lake_snapshot(lake_root)
    started = time.monotonic()
    index = load_policy_index(snapshot)
    if not index.principals():
        raise UsageError(f"the lake at {lake_root} holds no IAM users or roles: sync IAM into it first")
    print(f"aws-assets {command}: loaded the lake's policies in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return index


def decision_json(decision: Decision) -> dict[str, Any]:
    conditional = decision.conditional
    return {
        "result": decision.result.value,
        "reason": decision.reason,
        "lacking": decision.lacking.value if decision.lacking else None,
        "statements": [{"layer": ref.layer.value, "policy": ref.policy, "statement": ref.statement,
                        "effect": "Allow" if ref.allow else "Deny"} for ref in decision.statements],
        "conditional": None if conditional is None else {
            "missingKeys": list(conditional.missing_keys),
            "ifConditionsHold": conditional.if_conditions_hold.value,
            "ifConditionsFail": conditional.if_conditions_fail.value,
            "bestCase": conditional.best_case.value,
            "worstCase": conditional.worst_case.value,
        },
    }


def decision_lines(decision: Decision) -> list[str]:
    lines = [f"  {decision.reason}"] if decision.reason else []
    for ref in decision.statements:
        effect = "Allow" if ref.allow else "Deny"
        lines.append(f"  {effect:<5} {ref.layer.value:<8} {ref.policy}  statement {ref.statement}")
    if decision.lacking is not None:
        lines.append(f"  no Allow from: {decision.lacking.value}")
    conditional = decision.conditional
    if conditional is not None:
        lines.append(f"  conditional on {', '.join(conditional.missing_keys)}: "
                     f"{conditional.if_conditions_hold.value} if the conditions hold, "
                     f"{conditional.if_conditions_fail.value} if they fail "
                     f"(best case {conditional.best_case.value}, worst case {conditional.worst_case.value})")
    return lines


def run_can(lake_root: str, principal: str, action: str, resource: str, context_pairs: Sequence[str],
            as_json: bool, context_complete: bool = False) -> int:
    context = parse_context(context_pairs)
    index = load_index(lake_root, "can")
    started = time.monotonic()
    try:
        assembled, decision = can(index, principal, action, resource, context, context_complete)
    except UnknownPrincipal as error:
        raise UsageError(str(error)) from None
    except ValueError as error:  # a principal AWS cannot authenticate
        raise UsageError(str(error)) from None
    elapsed = time.monotonic() - started
    if as_json:
        print(json.dumps({"principal": assembled.request.principal_arn, "action": action, "resource": resource,
                          "context": context, **decision_json(decision), "notes": list(assembled.notes)}, indent=2))
    else:
        print(f"{decision.result.value}: {assembled.request.principal_arn} {action} {resource}")
        print("\n".join(decision_lines(decision) + [f"  note: {note}" for note in assembled.notes]))
    print(f"aws-assets can: decided in {elapsed * 1000:.1f} ms", file=sys.stderr)
    return EXIT_ALLOWED if decision.allowed else EXIT_DENIED


def access_json(access: Access) -> dict[str, Any]:
    return {"principal": access.principal, "result": "allowed" if access.allowed else "conditional",
            "path": list(access.path), "outside": access.outside, "missingKeys": list(access.missing_keys)}


def access_line(access: Access) -> str:
    status = "allowed" if access.allowed else "conditional"
    if access.outside:
        where = f"outside  {access.path_names}"
    elif len(access.path) > 1:
        where = f"chain    {access.path_names}"
    else:
        where = f"direct   {access.principal}"
    needs = f"  (needs {', '.join(access.missing_keys)})" if access.missing_keys else ""
    return f"{status:<12} {where}{needs}"


def run_who_can(lake_root: str, action: str, resource: str, as_json: bool) -> int:
    index = load_index(lake_root, "who-can")
    started = time.monotonic()
    search = WhoCan(index, action, resource)
    found = search.run()
    elapsed = time.monotonic() - started
    if as_json:
        print(json.dumps({"action": action, "resource": resource, "principals": [access_json(a) for a in found],
                          "notes": list(search.notes)}, indent=2))
    else:
        for note in search.notes:
            print(f"note: {note}")
        for access in found:
            print(access_line(access))
        if not found:
            print(f"no principal the lake holds may {action} on {resource}")
    print(f"aws-assets who-can: {len(found)} principal(s) in {elapsed:.1f}s", file=sys.stderr)
    return 0

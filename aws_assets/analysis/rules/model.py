"""What a rule is: its declaration (`Rule`), what it flags (`Detection`), what it raises (`Finding`) and the rows it
reads with what several rules derive from them (`RuleInputs`). Pure: no AWS call, no Dagster, no DuckDB."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from aws_assets.analysis.trust import RoleTrust, analyse_roles

SEVERITIES = ("critical", "high", "medium", "low")  # most urgent first

Row = Mapping[str, Any]
Tables = Mapping[str, Sequence[Row]]

T = TypeVar("T")
Detector = Callable[["RuleInputs"], Iterable["Detection"]]  # what a rule runs: the resources it flags

_RULE_ID = re.compile(r"AWS-[A-Z0-9]+-[0-9]{3}")
_CONTROL_ID = re.compile(r"[0-9]+(\.[0-9]+){1,2}")


@dataclass(frozen=True)
class Detection:
    """A resource a rule flags, and why."""

    resource_type: str
    account_id: str
    region: str
    resource_key: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str
    title: str
    resource_type: str
    account_id: str
    region: str
    resource_key: str
    evidence: dict[str, Any]

    @property
    def finding_id(self) -> str:
        return finding_id(self.rule_id, self.resource_key)

    def as_row(self, observed_at: datetime) -> dict[str, Any]:
        return {
            "findingId": self.finding_id,
            "ruleId": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "accountId": self.account_id,
            "region": self.region,
            "resourceKey": self.resource_key,
            "resourceType": self.resource_type,
            "evidence": json.dumps(self.evidence, sort_keys=True, default=json_default),
            "observedAt": observed_at,
        }


def finding_id(rule_id: str, resource_key: str) -> str:
    return hashlib.sha256(f"{rule_id}|{resource_key}".encode()).hexdigest()[:32]


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"evidence holds a {type(value).__name__}, which JSON cannot carry: {value!r}")


@dataclass(frozen=True)
class Rule:
    """A rule: `description` says what it flags and how it decides, `remediation` how to fix it (README, data
    dictionary, the asset check, the exported findings). `reads` is table -> columns (the asset selects exactly
    those, and they are its upstream assets). `cis` names the CIS AWS Foundations Benchmark v4.0 controls it checks
    (aws_assets.analysis.cis declares them). `subject` is the table whose rows it judges, the first it reads unless
    given: a control is assessed, passed or failed, where that table has rows."""

    id: str
    severity: str
    title: str
    description: str
    reads: Mapping[str, tuple[str, ...]]
    detect: Detector
    remediation: str = ""
    cis: tuple[str, ...] = ()
    subject: str | None = None
    # Whether a finding fails one of its CIS controls, when the rule checks several that each see part of it (an
    # ingress rule from 0.0.0.0/0 fails the IPv4 control, not the IPv6 one); None: every finding fails each.
    fails_control: Callable[[str, Finding], bool] | None = None

    def __post_init__(self) -> None:
        if not _RULE_ID.fullmatch(self.id):
            raise ValueError(f"rule {self.id!r}: an ID reads AWS-<SERVICE>-<three digits>, e.g. AWS-IAM-001")
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")
        for control in self.cis:
            if not _CONTROL_ID.fullmatch(control):
                raise ValueError(f"rule {self.id}: CIS control {control!r} is not a control ID such as 1.10 or 2.1.4")
        if self.subject is not None and self.subject not in self.reads:
            raise ValueError(f"rule {self.id}: its subject {self.subject} is not a table it reads")

    @property
    def check_name(self) -> str:
        """The Dagster asset check's name (check names allow no hyphen)."""
        return self.id.lower().replace("-", "_")

    @property
    def subject_table(self) -> str:
        return self.subject or next(iter(self.reads))

    def fails(self, control: str, finding: Finding) -> bool:
        return self.fails_control is None or self.fails_control(control, finding)

    def findings(self, inputs: RuleInputs) -> list[Finding]:
        return [
            Finding(self.id, self.severity, self.title, d.resource_type, d.account_id, d.region, d.resource_key,
                    d.evidence)
            for d in self.detect(inputs)
        ]


@dataclass
class RuleInputs:
    """The rows the rules read, the time they judge ages against, and what several rules derive from the rows
    (computed once per evaluation). A table that is not given counts as empty, as a table the lake has no
    partition of yet."""

    tables: Tables
    now: datetime

    def rows(self, table: str) -> Sequence[Row]:
        return self.tables.get(table, ())

    def shared(self, compute: Callable[[RuleInputs], T]) -> T:
        """What `compute` derives from the rows, computed once however many rules ask."""
        memo = self.__dict__.setdefault("_shared", {})
        if compute not in memo:
            memo[compute] = compute(self)
        return memo[compute]

    @cached_property
    def ingested_accounts(self) -> frozenset[str]:
        return frozenset(
            r["accountId"] for table in ("aws_account", "aws_iam_role") for r in self.rows(table) if r["accountId"]
        )

    @cached_property
    def role_trusts(self) -> list[RoleTrust]:
        """Every role's trust policy read by the engine, with the TRUSTS edges it grants."""
        return analyse_roles(self.rows("aws_iam_role"), self.ingested_accounts)

    @cached_property
    def workloads_by_group(self) -> dict[tuple[str, str, str], dict[str, list[str]]]:
        """(account, region, group ID) -> the keys of the EC2 and DB instances the security group is attached to."""
        exposed: dict[tuple[str, str, str], dict[str, list[str]]] = {}
        for table, column, label in (
            ("aws_instance", "securityGroupIds", "exposedInstances"),
            ("aws_db_instance", "vpcSecurityGroupIds", "exposedDbInstances"),
        ):
            for row in self.rows(table):
                for group_id in row[column] or ():
                    by_label = exposed.setdefault((row["accountId"], row["region"], group_id), {})
                    by_label.setdefault(label, []).append(row["_key"])
        return exposed


def statement_list(document: str | None) -> list[Any]:
    """The statements of a JSON policy document, as written (one statement given as an object is a list of one);
    none when the document cannot be read."""
    try:
        decoded = json.loads(document) if document else None
    except ValueError:
        return []
    if not isinstance(decoded, dict):
        return []
    statements = next((value for key, value in decoded.items() if str(key).lower() == "statement"), None)
    if isinstance(statements, dict):
        return [statements]
    return statements if isinstance(statements, list) else []


def policy_statements(document: str | None, indexes: Iterable[int]) -> list[dict[str, Any]]:
    """The statements at `indexes` of a policy document, with their index: what a reviewer reads to fix it."""
    statements = statement_list(document)
    return [{"index": i, "statement": statements[i]} for i in sorted(set(indexes)) if 0 <= i < len(statements)]


PLACE = ("_key", "accountId", "region")

"""Integration instances: which accounts to ingest, through which role, and where they are listed.

An instances file is a JSON (or YAML) list of objects:

    [{"name": "prod", "roleArn": "arn:aws:iam::111111111111:role/aws-assets-readonly",
      "externalId": "...", "regions": ["us-east-1", "eu-west-1"]}]

`roleArn` and `externalId` are required; `name`, `regions` (a subset of the commercial regions; default: every
region enabled for the account) and `zoneOfTrust` (`account` or `organization`: what external access is judged
against, as IAM Access Analyzer's zone of trust; default: the organisation when the lake holds the account's, else
the account) are optional. Everything is validated before any AWS call, and an error names the
file, the instance and the field. The external ID is a shared secret: it is never part of a repr, log or error.

An entry with `organization` stands for its own account and for the members of the AWS Organization its role may
list (the management account, or a delegated administrator of Organizations):

    "organization": {"memberRoleName": "aws-assets-readonly", "memberExternalId": "...",
                     "excludeAccounts": ["444455556666"], "organizationalUnits": ["ou-ab12-cdef3456"]}

Only `memberRoleName` is required; the members are found at run time (:mod:`aws_assets.inputs.organization`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from aws_assets.model.regions import commercial_regions

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):role/(?P<path_and_name>[\w+=,.@/-]{1,512})$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
KNOWN_FIELDS = {"name", "roleArn", "externalId", "regions", "organization", "zoneOfTrust"}
ZONES_OF_TRUST = ("account", "organization")
ORGANIZATION_FIELDS = {"memberRoleName", "memberExternalId", "excludeAccounts", "organizationalUnits"}
# IAM's role path and name characters; a path is `/`-separated before the name.
ROLE_PATH_AND_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ROLE_ARN_FORM = "arn:aws:iam::<12-digit account>:role/<name>"


class InstanceError(ValueError):
    """An integration instance is not usable as given; the message says which and why."""


def validate_account_id(value: object) -> str:
    if not isinstance(value, str) or not ACCOUNT_ID.match(value):
        raise InstanceError(f"account ID {value!r} is not 12 digits")
    return value


@dataclass(frozen=True)
class OrganizationScope:
    """Which members of the organisation an entry stands for, and the role to assume in each."""

    member_role_name: str
    member_external_id: str | None = field(default=None, repr=False)  # None: the entry's own external ID
    exclude_accounts: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()  # empty: every account of the organisation

    @classmethod
    def from_mapping(cls, raw: object, where: str) -> OrganizationScope:
        where = f"{where}: field 'organization'"
        if not isinstance(raw, dict):
            raise InstanceError(f"{where} must be an object with memberRoleName")
        _refuse_unknown_fields(raw, ORGANIZATION_FIELDS, where)
        role_name = raw.get("memberRoleName")
        if not role_name:
            raise InstanceError(f"{where}: field 'memberRoleName' is missing")
        if not isinstance(role_name, str) or not ROLE_PATH_AND_NAME.match(role_name) or role_name.startswith("/"):
            raise InstanceError(f"{where}: field 'memberRoleName' {role_name!r} is not an IAM role name (or path/name)")
        external_id = raw.get("memberExternalId")
        if external_id is not None:
            _check_external_id(external_id, "memberExternalId", where)
        excluded = _list_of(raw, "excludeAccounts", where, ACCOUNT_ID, "12-digit account IDs")
        units = _list_of(raw, "organizationalUnits", where, OU_ID, "OU IDs (ou-...)")
        return cls(role_name, external_id, excluded, units)

    def as_mapping(self) -> dict:
        mapping: dict = {"memberRoleName": self.member_role_name}
        if self.member_external_id is not None:
            mapping["memberExternalId"] = self.member_external_id
        if self.exclude_accounts:
            mapping["excludeAccounts"] = list(self.exclude_accounts)
        if self.organizational_units:
            mapping["organizationalUnits"] = list(self.organizational_units)
        return mapping


def _refuse_unknown_fields(raw: dict, known: set[str], where: str) -> None:
    unknown = raw.keys() - known
    if unknown:
        raise InstanceError(f"{where}: unknown field(s) {sorted(unknown)}; expected {sorted(known)}")


def _check_external_id(value: object, name: str, where: str) -> None:
    """The message never quotes the value: an external ID is a secret, even a malformed one."""
    if not isinstance(value, str) or not EXTERNAL_ID.match(value):
        raise InstanceError(f"{where}: field {name!r} must be 2-1224 characters of letters, digits and +=,.@:/-")


def _list_of(mapping: dict, name: str, where: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    raw, where = mapping.get(name), f"{where}: field {name!r}"
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InstanceError(f"{where} must be a list of {what}")
    wrong = [item for item in raw if not pattern.match(item)]
    if wrong:
        raise InstanceError(f"{where}: {wrong} are not {what}")
    return tuple(dict.fromkeys(raw))


@dataclass(frozen=True)
class Instance:
    role_arn: str
    external_id: str = field(repr=False)
    name: str = ""
    regions: tuple[str, ...] | None = None
    organization: OrganizationScope | None = None
    zone_of_trust: str | None = None  # one of ZONES_OF_TRUST; None: the default

    @property
    def account_id(self) -> str:
        match = ROLE_ARN.match(self.role_arn)
        if match is None:  # load_instances refuses such an instance; one built in code is told the same
            raise InstanceError(f"{self.role_arn!r} is not an IAM role ARN ({ROLE_ARN_FORM})")
        return match["account"]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.account_id})" if self.name else self.account_id

    @classmethod
    def from_mapping(cls, raw: object, where: str) -> Instance:
        if not isinstance(raw, dict):
            raise InstanceError(f"{where}: expected an object with roleArn and externalId, got {type(raw).__name__}")
        name = raw.get("name", "")
        if name:
            where = f"{where} ({name})"
        if not isinstance(name, str):
            raise InstanceError(f"{where}: field 'name' must be a string")
        _refuse_unknown_fields(raw, KNOWN_FIELDS, where)
        role_arn = raw.get("roleArn")
        if not role_arn:
            raise InstanceError(f"{where}: field 'roleArn' is missing")
        if not isinstance(role_arn, str) or not ROLE_ARN.match(role_arn):
            raise InstanceError(
                f"{where}: field 'roleArn' {role_arn!r} is not an IAM role ARN ({ROLE_ARN_FORM})"
            )
        external_id = raw.get("externalId")
        if not external_id:
            raise InstanceError(f"{where}: field 'externalId' is missing")
        _check_external_id(external_id, "externalId", where)
        organization = raw.get("organization")
        scope = None if organization is None else OrganizationScope.from_mapping(organization, where)
        return cls(role_arn, external_id, name, _regions(raw.get("regions"), where), scope,
                   _zone_of_trust(raw.get("zoneOfTrust"), where))


def _zone_of_trust(raw: object, where: str) -> str | None:
    if raw is None or raw in ZONES_OF_TRUST:
        return raw  # type: ignore[return-value]  # None or one of the strings
    raise InstanceError(f"{where}: field 'zoneOfTrust' {raw!r} must be one of {', '.join(ZONES_OF_TRUST)}")


def _regions(raw: object, where: str) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
        raise InstanceError(f"{where}: field 'regions' must be a non-empty list of region names")
    unknown = sorted(set(raw) - set(commercial_regions()))
    if unknown:
        raise InstanceError(f"{where}: field 'regions' names {unknown}, not regions of the commercial partition")
    return tuple(sorted(set(raw)))


def parse_instances(text: str, source: str) -> list[Instance]:
    try:
        raw = yaml.safe_load(text) if source.endswith((".yaml", ".yml")) else json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    except yaml.YAMLError as error:
        raise InstanceError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(raw, list):
        raise InstanceError(f"{source}: expected a list of integration instances")
    instances = [Instance.from_mapping(item, f"{source}: instance {i + 1}") for i, item in enumerate(raw)]
    seen: dict[str, int] = {}
    for i, instance in enumerate(instances, start=1):
        if instance.account_id in seen:
            raise InstanceError(
                f"{source}: instance {i} repeats account {instance.account_id} of instance {seen[instance.account_id]}"
            )
        seen[instance.account_id] = i
    return instances


def load_instances(path: str | Path) -> list[Instance]:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InstanceError(f"{path}: instances file not found") from None
    except OSError as error:
        raise InstanceError(f"{path}: cannot read the instances file: {error.strerror}") from None
    return parse_instances(text, str(path))


def regions_to_request(instance: Instance) -> tuple[str, ...]:
    """The instance's regions, else every commercial region.

    Which regions an account has enabled is learnt by the run itself (one DescribeRegions, cached): a region that is
    not enabled makes no collection call and shows as an empty partition with a note. Sensors and schedules make no
    call into the customer's account: a role that cannot be assumed (yet) fails that account's runs, named, not the
    tick.
    """
    return instance.regions if instance.regions is not None else commercial_regions()

"""People: the `person` table, from a directory file and from IAM users' `Email` tags (pure, no Dagster).

The directory is a CSV or Parquet file with at least `email`, `firstName` and `lastName` (other columns are
ignored). A row whose email is empty, is not an email address or repeats an earlier row's is skipped and reported
with its file and line (CSV) or row (Parquet); a missing file or column stops the load. An IAM user's valid
`Email` tag that no directory row has becomes a Person of its own, marked `createdFromEmailTag`.

Emails are compared normalised: surrounding spaces removed, lower case.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aws_assets.model.entity import COMMON_COLUMNS, Column, boolean, schema_of, string

PERSON_TYPE = "person"
PERSON_CLASS = "Person"
REQUIRED_COLUMNS = ("email", "firstName", "lastName")
DIRECTORY_SOURCE = "directory"
EMAIL_TAG_SOURCE = "aws_iam_user Email tag"
KEY_PREFIX = "person:"

PERSON_COLUMNS: tuple[Column, ...] = (
    string("email", "E-mail address, normalised: surrounding spaces removed, lower case"),
    string("firstName", "First name, from the directory (empty for a Person created from an Email tag)"),
    string("lastName", "Last name, from the directory (empty for a Person created from an Email tag)"),
    string("source", f"Where the Person comes from: `{DIRECTORY_SOURCE}` or `{EMAIL_TAG_SOURCE}`"),
    boolean(
        "createdFromEmailTag",
        "True when no directory row has the email and the Person exists only because an IAM user's `Email` tag "
        "names it",
    ),
)
PERSON_SCHEMA = schema_of((*COMMON_COLUMNS, *PERSON_COLUMNS))
PERSON_DESCRIPTION = (
    "People of the organisation: every valid row of the people directory (`AWS_ASSETS_PEOPLE`, `--people`), plus "
    "a Person for each valid IAM user `Email` tag that the directory lacks. `_key` is `person:<email>`; a person "
    "belongs to no AWS account, so `accountId`, `region` and `arn` are empty."
)

# A pragmatic address check, not RFC 5322: one `@`, a local part without spaces, a domain of dot-separated labels
# with at least one dot. It rejects what shows up by mistake in tags and spreadsheets (`not-an-email`, `bob`,
# `alice@`, `a b@x.com`).
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_EMAIL = re.compile(rf"[^@\s]+@{_LABEL}(?:\.{_LABEL})+")


class PeopleFileError(ValueError):
    """The people directory cannot be read at all: missing file, unknown format, missing column."""


def normalise_email(text: str) -> str:
    return text.strip().lower()


def is_email(normalised: str) -> bool:
    return _EMAIL.fullmatch(normalised) is not None


@dataclass(frozen=True)
class DirectoryPerson:
    email: str  # normalised
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class RejectedRow:
    location: str  # `people.csv:4` or `people.parquet: row 3`
    reason: str

    @property
    def message(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(frozen=True)
class Directory:
    path: str | None  # None: no directory configured
    people: tuple[DirectoryPerson, ...] = ()
    rejected: tuple[RejectedRow, ...] = ()


def load_directory(path: str | None) -> Directory:
    """The people of a CSV or Parquet directory file; None reads no file (only Email tags make people)."""
    if path is None:
        return Directory(None)
    if not Path(path).is_file():
        raise PeopleFileError(f"{path}: people file not found")
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path)
    elif suffix == ".parquet":
        records = _parquet_records(path)
    else:
        raise PeopleFileError(f"{path}: a people file must be .csv or .parquet, not {suffix or 'without a suffix'}")
    return directory_from_records(path, records)


Record = tuple[str, dict[str, Any], str | None]  # location, values by column, why the row is unreadable


def directory_from_records(path: str, records: Iterable[Record]) -> Directory:
    people: list[DirectoryPerson] = []
    rejected: list[RejectedRow] = []
    first_seen: dict[str, str] = {}
    for location, values, unreadable in records:
        raw_email = _text(values.get("email"))
        email = normalise_email(raw_email)
        if unreadable:
            reason = unreadable
        elif not email:
            reason = "email is empty"
        elif not is_email(email):
            reason = f"email {raw_email!r} is not an email address"
        elif email in first_seen:
            reason = f"email {email!r} repeats {first_seen[email]}"
        else:
            first_seen[email] = location
            people.append(
                DirectoryPerson(email, _text(values.get("firstName")) or None, _text(values.get("lastName")) or None)
            )
            continue
        rejected.append(RejectedRow(location, reason))
    return Directory(path, tuple(people), tuple(rejected))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _check_columns(path: str, columns: Sequence[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise PeopleFileError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(c) for c in missing)} "
            f"(columns found: {', '.join(repr(c) for c in columns) or 'none'}); "
            f"a people file needs {', '.join(REQUIRED_COLUMNS)}"
        )


def _csv_records(path: str) -> list[Record]:
    """Rows located by line number; `utf-8-sig` accepts the byte order mark spreadsheet exports start with."""
    records: list[Record] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip() for name in next(reader, [])]
            if not header:
                raise PeopleFileError(
                    f"{path}: the file is empty; its first line must name the columns {', '.join(REQUIRED_COLUMNS)}"
                )
            _check_columns(path, header)
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue
                unreadable = None
                if len(fields) != len(header):
                    # Most often a name with an unquoted comma: the columns after it are shifted.
                    unreadable = f"{len(fields)} fields where the header has {len(header)}"
                records.append((f"{path}:{reader.line_num}", dict(zip(header, fields)), unreadable))
    except UnicodeDecodeError as error:
        raise PeopleFileError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise PeopleFileError(f"{path}:{reader.line_num}: {error}") from None
    except OSError as error:
        raise PeopleFileError(f"{path}: cannot read the people file ({error.strerror})") from None
    return records


def _parquet_records(path: str) -> list[Record]:
    try:
        columns = pq.read_schema(path).names
        _check_columns(path, columns)
        table = pq.read_table(path, columns=list(REQUIRED_COLUMNS))
    except (pa.ArrowInvalid, OSError) as error:
        raise PeopleFileError(f"{path}: not a readable Parquet file ({error})") from None
    return [(f"{path}: row {number}", values, None) for number, values in enumerate(table.to_pylist(), start=1)]


@dataclass(frozen=True)
class People:
    rows: list[dict[str, Any]]  # of PERSON_SCHEMA
    created_from_tags: int
    malformed_tags: list[tuple[str, str]]  # (IAM user _key, Email tag) of tags that are not email addresses


def build_people(directory: Directory, user_emails: Iterable[tuple[str, str | None]]) -> People:
    """The directory's people, then one Person per valid `Email` tag (of `(user _key, tag)`) the directory lacks."""
    rows = [person_row(p.email, p.first_name, p.last_name, DIRECTORY_SOURCE) for p in directory.people]
    known = {p.email for p in directory.people}
    from_tags: set[str] = set()
    malformed = []
    for user_key, tag in user_emails:
        if tag is None or not tag.strip():
            continue
        email = normalise_email(tag)
        if not is_email(email):
            malformed.append((user_key, tag))
        elif email not in known:
            from_tags.add(email)
    rows += [person_row(email, None, None, EMAIL_TAG_SOURCE) for email in sorted(from_tags)]
    return People(rows, len(from_tags), sorted(malformed))


def person_row(email: str, first_name: str | None, last_name: str | None, source: str) -> dict[str, Any]:
    full_name = " ".join(part for part in (first_name, last_name) if part)
    return {
        "_key": KEY_PREFIX + email,
        "_type": PERSON_TYPE,
        "_class": [PERSON_CLASS],
        "name": full_name or email,
        "displayName": full_name or email,
        "accountId": None,
        "region": None,
        "arn": None,
        "webLink": None,
        "createdOn": None,
        "tags": [],
        "email": email,
        "firstName": first_name,
        "lastName": last_name,
        "source": source,
        "createdFromEmailTag": source == EMAIL_TAG_SOURCE,
    }


def person_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PERSON_SCHEMA)

"""The people directory, the `person` table and `aws_iam_user IS person`: loading, the two mapping rules, and the
simulated organisation end to end."""

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aws_assets.app.cli import check_people_file, main
from aws_assets.graph.edges import build_edges
from aws_assets.inputs.people import (
    EMAIL_TAG_SOURCE,
    Directory,
    DirectoryPerson,
    PeopleFileError,
    build_people,
    is_email,
    load_directory,
    normalise_email,
    person_table,
)
from aws_assets.relationships.person import USER_IS_PERSON
from aws_assets.services.iam import IAM_USER
from aws_assets.sim.demo import EXAMPLE_PEOPLE
from aws_assets_tests.conftest import DEV, PROD

ALICE = DirectoryPerson("alice@example.com", "Alice", "Liddell")
BOB = DirectoryPerson("bob.smith@example.com", "Bob", "Smith")


def user_arn(account_id: str, user_name: str) -> str:
    return f"arn:aws:iam::{account_id}:user/{user_name}"


def iam_users(account_id: str, *users: tuple[str, str | None]) -> pa.Table:
    """aws_iam_user rows of (user name, Email tag) as the collector writes them."""
    rows = [
        {"_key": user_arn(account_id, name), "name": name, "username": name, "email": email} for name, email in users
    ]
    return IAM_USER.to_table(rows, account_id, "global")


def map_users(directory: Directory, users: pa.Table) -> tuple[list[dict], set[tuple[str, str, str]]]:
    """The person rows and the (user _key, person _key, matchedBy) edges, computed as the assets compute them."""
    people = build_people(directory, [(u["_key"], u["email"]) for u in users.to_pylist()])
    con = duckdb.connect()
    con.register("aws_iam_user", users)
    con.register("person", person_table(people.rows))
    edges = build_edges(con, USER_IS_PERSON).to_pylist()
    return people.rows, {(e["_fromEntityKey"], e["_toEntityKey"], e["matchedBy"]) for e in edges}


def write_csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# ---- emails -----------------------------------------------------------------------------------------------------


def test_emails_are_normalised_then_checked():
    assert normalise_email("  Bob.Smith@Example.COM \t") == "bob.smith@example.com"
    assert [is_email(e) for e in ("alice@example.com", "engineer-01@example.com", "x@mail.example.co.uk")] == [
        True, True, True,
    ]
    malformed = ("not-an-email", "bob", "alice@", "@example.com", "a@b", "a b@example.com", "a@@example.com",
                 "a@-example.com", "")
    assert [e for e in malformed if is_email(e)] == []


# ---- the mapping rules --------------------------------------------------------------------------------------------


def test_email_tag_maps_to_the_directory_person_ignoring_case_and_spaces():
    users = iam_users(PROD, ("alice", " ALICE@Example.com  "))
    people, edges = map_users(Directory("people.csv", (ALICE,)), users)
    assert [(p["_key"], p["source"], p["createdFromEmailTag"], p["displayName"]) for p in people] == [
        ("person:alice@example.com", "directory", False, "Alice Liddell")
    ]
    assert edges == {(user_arn(PROD, "alice"), "person:alice@example.com", "Email tag")}


def test_email_tag_the_directory_lacks_creates_one_marked_person():
    users = pa.concat_tables([
        iam_users(PROD, ("engineer-03", "engineer-03@example.com"), ("alice", "alice@example.com")),
        iam_users(DEV, ("eng3", "Engineer-03@EXAMPLE.com")),
    ])
    people, edges = map_users(Directory("people.csv", (ALICE,)), users)
    created = [p for p in people if p["createdFromEmailTag"]]
    assert [(p["_key"], p["source"], p["email"], p["firstName"], p["lastName"], p["name"]) for p in created] == [
        ("person:engineer-03@example.com", EMAIL_TAG_SOURCE, "engineer-03@example.com", None, None,
         "engineer-03@example.com")
    ]
    assert len(people) == 2  # alice from the directory, not created again from her tag
    assert edges == {
        (user_arn(PROD, "engineer-03"), "person:engineer-03@example.com", "Email tag"),
        (user_arn(DEV, "eng3"), "person:engineer-03@example.com", "Email tag"),
        (user_arn(PROD, "alice"), "person:alice@example.com", "Email tag"),
    }


def test_no_directory_makes_people_from_tags_only():
    users = iam_users(PROD, ("alice", "alice@example.com"), ("bob@example.com", None))
    people, edges = map_users(Directory(None), users)
    assert [(p["email"], p["source"]) for p in people] == [("alice@example.com", EMAIL_TAG_SOURCE)]
    assert edges == {(user_arn(PROD, "alice"), "person:alice@example.com", "Email tag")}


def test_user_name_that_is_a_directory_email_maps_without_creating_a_person():
    users = iam_users(PROD, ("Bob.Smith@example.com", None))
    people, edges = map_users(Directory("people.csv", (ALICE, BOB)), users)
    assert [p["_key"] for p in people] == ["person:alice@example.com", "person:bob.smith@example.com"]
    assert edges == {(user_arn(PROD, "Bob.Smith@example.com"), "person:bob.smith@example.com", "username")}


def test_user_name_email_outside_the_directory_maps_to_nothing():
    # zoe's address is a Person only because another user's tag names it: a user name alone does not join it.
    users = iam_users(PROD, ("carl@example.com", None), ("ci-deploy", None), ("zoe@example.com", None),
                      ("z", "zoe@example.com"))
    people, edges = map_users(Directory("people.csv", (ALICE,)), users)
    assert [p["_key"] for p in people] == ["person:alice@example.com", "person:zoe@example.com"]
    assert edges == {(user_arn(PROD, "z"), "person:zoe@example.com", "Email tag")}


def test_malformed_email_tag_maps_to_nothing_and_is_reported():
    users = iam_users(PROD, ("dave", "not-an-email"), ("erin", "erin@"), ("blank", "  "))
    directory = Directory("people.csv", (ALICE,))
    people, edges = map_users(directory, users)
    assert [p["_key"] for p in people] == ["person:alice@example.com"]
    assert edges == set()
    built = build_people(directory, [(u["_key"], u["email"]) for u in users.to_pylist()])
    assert built.malformed_tags == [(user_arn(PROD, "dave"), "not-an-email"), (user_arn(PROD, "erin"), "erin@")]
    assert built.created_from_tags == 0


def test_tag_and_user_name_naming_the_same_person_make_one_edge_by_the_tag():
    users = iam_users(PROD, ("bob.smith@example.com", "Bob.Smith@example.com"))
    _, edges = map_users(Directory("people.csv", (BOB,)), users)
    assert edges == {(user_arn(PROD, "bob.smith@example.com"), "person:bob.smith@example.com", "Email tag")}


def test_tag_and_user_name_naming_different_people_make_two_edges():
    users = iam_users(PROD, ("bob.smith@example.com", "alice@example.com"))
    _, edges = map_users(Directory("people.csv", (ALICE, BOB)), users)
    assert edges == {
        (user_arn(PROD, "bob.smith@example.com"), "person:alice@example.com", "Email tag"),
        (user_arn(PROD, "bob.smith@example.com"), "person:bob.smith@example.com", "username"),
    }


# ---- the directory file -------------------------------------------------------------------------------------------

DIRECTORY_CSV = (
    "email,firstName,lastName,team\n"
    "alice@example.com,Alice,Liddell,platform\n"
    '"  Bob.Smith@Example.com ",Bob,Smith,payments\n'
    "bob,Bob,Jones,payments\n"
    ",No,Email,\n"
    "\n"
    "ALICE@example.com,Alice,Again,platform\n"
    "carol@example.com,Nguyen, Carol,finance,extra\n"
    "dan@example.com,,,\n"
)


def test_csv_directory_keeps_valid_rows_and_reports_the_others_by_line(tmp_path):
    path = write_csv(tmp_path / "people.csv", DIRECTORY_CSV)
    directory = load_directory(path)
    assert directory.people == (ALICE, BOB, DirectoryPerson("dan@example.com", None, None))
    assert [r.message for r in directory.rejected] == [
        f"{path}:4: email 'bob' is not an email address",
        f"{path}:5: email is empty",
        f"{path}:7: email 'alice@example.com' repeats {path}:2",
        f"{path}:8: 5 fields where the header has 4",
    ]


def test_parquet_directory_reports_rows_by_number(tmp_path):
    path = str(tmp_path / "people.parquet")
    pq.write_table(
        pa.table({
            "email": [" Alice@Example.com", "not-an-email", None, "bob.smith@example.com"],
            "firstName": ["Alice", "Dave", "Nobody", "Bob"],
            "lastName": ["Liddell", "Jones", None, "Smith"],
        }),
        path,
    )
    directory = load_directory(path)
    assert directory.people == (ALICE, BOB)
    assert [r.message for r in directory.rejected] == [
        f"{path}: row 2: email 'not-an-email' is not an email address",
        f"{path}: row 3: email is empty",
    ]


def test_missing_column_names_the_column_and_the_file(tmp_path):
    csv_path = write_csv(tmp_path / "people.csv", "email,first_name,lastName\nalice@example.com,Alice,Liddell\n")
    with pytest.raises(PeopleFileError, match=rf"^{csv_path}: missing column 'firstName' \(columns found: 'email', "
                                              r"'first_name', 'lastName'\)"):
        load_directory(csv_path)
    parquet_path = str(tmp_path / "people.parquet")
    pq.write_table(pa.table({"mail": ["alice@example.com"], "firstName": ["Alice"]}), parquet_path)
    with pytest.raises(PeopleFileError, match=rf"^{parquet_path}: missing columns 'email', 'lastName'"):
        load_directory(parquet_path)


def test_unreadable_directory_files_are_errors_naming_the_file(tmp_path):
    with pytest.raises(PeopleFileError, match=rf"^{tmp_path}/absent.csv: people file not found$"):
        load_directory(str(tmp_path / "absent.csv"))
    with pytest.raises(PeopleFileError, match=r"people.xlsx: a people file must be .csv or .parquet, not .xlsx"):
        load_directory(write_csv(tmp_path / "people.xlsx", "email\n"))
    with pytest.raises(PeopleFileError, match=r"empty.csv: the file is empty"):
        load_directory(write_csv(tmp_path / "empty.csv", ""))
    with pytest.raises(PeopleFileError, match=r"fake.parquet: not a readable Parquet file"):
        load_directory(write_csv(tmp_path / "fake.parquet", "email,firstName,lastName\n"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,firstName,lastName\nzoe@example.com,Zoë,Ames\n".encode("latin-1"))
    with pytest.raises(PeopleFileError, match=r"latin1.csv: not UTF-8 text"):
        load_directory(str(latin1))


def test_example_directory_is_clean_and_normalised():
    directory = load_directory(str(EXAMPLE_PEOPLE))
    assert directory.rejected == ()
    assert BOB in directory.people
    assert "engineer-03@example.com" not in {p.email for p in directory.people}


def test_sync_stops_on_an_unreadable_people_file_before_any_api_call(tmp_path, capsys):
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps([{"roleArn": "arn:aws:iam::111122223333:role/r", "externalId": "an-external-id"}]))
    people = write_csv(tmp_path / "people.csv", "mail,firstName,lastName\n")
    status = main(["sync", "--instances", str(instances), "--lake", str(tmp_path / "lake"),
                   "--dagster-home", str(tmp_path / "home"), "--people", people])
    assert status == 2
    assert capsys.readouterr().err == (
        f"aws-assets: {people}: missing column 'email' (columns found: 'mail', 'firstName', 'lastName'); "
        "a people file needs email, firstName, lastName\n"
    )
    assert not (tmp_path / "lake").exists()


def test_sync_lists_skipped_rows_of_the_people_file(tmp_path, capsys):
    path = write_csv(tmp_path / "people.csv", "email,firstName,lastName\nbob,Bob,Jones\nalice@example.com,A,L\n")
    check_people_file(path)
    assert capsys.readouterr().err.splitlines() == [
        f"aws-assets: warning: {path}:2: email 'bob' is not an email address (row skipped)",
        f"aws-assets: warning: 1 row(s) of {path} skipped, 1 people read",
    ]

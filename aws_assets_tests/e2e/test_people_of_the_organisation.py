"""The people of the simulated organisation, synced: IS Person over every account's users."""



from dagster import AssetKey

from aws_assets.defs.jobs import build_graph_job
from aws_assets.inputs.people import (
    EMAIL_TAG_SOURCE,
)
from aws_assets.sim.estate.iam import ENGINEER_USERS

# ---- the simulated organisation, synced --------------------------------------------------------------------------

# The simulated organisation's users (aws_assets/sim/organisation.py) in every account: alice (Email tag),
# bob.smith@example.com (user name), dave (malformed tag), and engineer-01..N (Email tag) with N per account.
ENGINEERS = ENGINEER_USERS


def test_people_of_the_simulated_organisation(sql):
    # examples/people.csv lists alice, bob, carol, engineer-01 and engineer-02; engineer-03's tag creates a Person.
    assert sql("SELECT email, source, createdFromEmailTag, accountId FROM person ORDER BY email") == [
        ("alice@example.com", "directory", False, None),
        ("bob.smith@example.com", "directory", False, None),
        ("carol.nguyen@example.com", "directory", False, None),
        ("engineer-01@example.com", "directory", False, None),
        ("engineer-02@example.com", "directory", False, None),
        ("engineer-03@example.com", EMAIL_TAG_SOURCE, True, None),
    ]
    assert sql("SELECT count(*) FROM entities WHERE _type = 'person'") == [(6,)]


def test_iam_users_of_the_simulated_organisation_are_their_people(sql):
    edges = sql(
        "SELECT e.accountId, u.username, p.email, e.matchedBy FROM aws_iam_user_is_person e "
        "JOIN aws_iam_user u ON u._key = e._fromEntityKey JOIN person p ON p._key = e._toEntityKey"
    )
    expected = {
        *((account, "alice", "alice@example.com", "Email tag") for account in ENGINEERS),
        *((account, "bob.smith@example.com", "bob.smith@example.com", "username") for account in ENGINEERS),
        *(
            (account, f"engineer-{n:02d}", f"engineer-{n:02d}@example.com", "Email tag")
            for account, count in ENGINEERS.items()
            for n in range(1, count + 1)
        ),
    }
    assert len(edges) == len(expected) == 12
    assert set(edges) == expected
    assert sql("SELECT count(*) FROM aws_iam_user_is_person e JOIN aws_iam_user u ON u._key = e._fromEntityKey "
               "WHERE u.username = 'dave'") == [(0,)]


def test_person_asset_runs_in_the_graph_job_before_the_is_relationship(synced):
    defs, instance = synced["defs"], synced["instance"]
    graph = defs.resolve_asset_graph()
    assert AssetKey("person") in graph.get(AssetKey("aws_iam_user_is_person")).parent_keys
    assert graph.get(AssetKey("person")).parent_keys == {AssetKey("aws_iam_user")}
    assert AssetKey("person") in defs.resolve_job_def(build_graph_job.name).asset_layer.selected_asset_keys
    report = synced["report"].graph
    assert report.ok and not report.failed_checks
    assert report.edges_by_type["aws_iam_user_is_person"] == 12
    metadata = instance.get_latest_materialization_event(AssetKey("person")).asset_materialization.metadata
    counts = {name: metadata[name].value for name in (
        "dagster/row_count", "people_from_directory", "people_created_from_email_tags", "rejected_rows",
        "malformed_email_tags")}
    # dave's `not-an-email` tag, once per account
    assert counts == {"dagster/row_count": 6, "people_from_directory": 5, "people_created_from_email_tags": 1,
                      "rejected_rows": 0, "malformed_email_tags": 3}

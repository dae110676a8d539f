"""The pictures of the graph: which trusts and which internet paths are drawn, how they are drawn, and
`aws-assets report` writing them from a lake."""

from __future__ import annotations

import io

import pyarrow as pa
import pytest

from aws_assets.analysis.trust_graph import TRUSTS_SCHEMA, TRUSTS_TABLE
from aws_assets.app.cli import main
from aws_assets.graph import pictures
from aws_assets.graph.drawing import draw_png, positions
from aws_assets.graph.pictures import INTERNET, internet_picture, trust_picture
from aws_assets.graph.tables import relationship_schemas
from aws_assets.lake.storage import Lake

PROD, DEV = "111111111111", "222222222222"


def trust(role: str, to_key: str, to_type: str, zone: str, target: str | None, target_account: str | None,
          account: str = PROD) -> dict:
    return {"_fromEntityKey": f"arn:aws:iam::{account}:role/{role}", "_toEntityKey": to_key, "_toEntityType": to_type,
            "accountId": account, "targetName": target, "targetAccountId": target_account, "trustZone": zone}


TRUSTS = [
    trust("org-readonly", "everyone", "everyone", "public", None, None),
    trust("auditor", "arn:aws:iam::999999999999:root", "aws_account", "external_account", "999999999999",
          "999999999999"),
    trust("deploy", f"arn:aws:iam::{DEV}:role/pipeline", "aws_iam_role", "ingested_account", "pipeline", DEV),
    trust("recorder", f"aws_config:{PROD}", "aws_config", "same_account", "config.amazonaws.com", PROD),
    trust("recorder", f"aws_config:{DEV}", "aws_config", "same_account", "config.amazonaws.com", DEV, account=DEV),
    trust("engineer", f"arn:aws:iam::{PROD}:saml-provider/okta", "aws_iam_saml_provider", "same_account", "okta",
          PROD),
    trust("escalation", f"arn:aws:iam::{PROD}:user/alice", "aws_iam_user", "same_account", "alice", PROD),
    # A role of the lake trusted by another, and trusting a service itself: two nodes, not one.
    trust("pipeline", f"aws_codebuild:{DEV}", "aws_codebuild", "same_account", "codebuild.amazonaws.com", DEV,
          account=DEV),
]


def test_the_trust_picture_draws_who_may_assume_each_role_but_the_roles_own_accounts_principals():
    graph = trust_picture(TRUSTS).graph
    role = f"arn:aws:iam::{PROD}:role/"
    assert {node: (data["kind"], data["label"]) for node, data in graph.nodes(data=True)} == {
        "everyone": ("everyone", "everyone (*)"),
        "principal:arn:aws:iam::999999999999:root": ("external account", "account 999999999999\n(outside the lake)"),
        f"principal:arn:aws:iam::{DEV}:role/pipeline": ("other lake account", f"{DEV}\npipeline"),
        "service:config.amazonaws.com": ("AWS service", "config.amazonaws.com"),
        "service:codebuild.amazonaws.com": ("AWS service", "codebuild.amazonaws.com"),
        f"principal:arn:aws:iam::{PROD}:saml-provider/okta": ("identity provider", f"{PROD}\nokta"),
        # The trusted pipeline is also a role that trusts: two nodes.
        f"arn:aws:iam::{DEV}:role/pipeline": ("role", f"{DEV}\npipeline"),
        f"arn:aws:iam::{DEV}:role/recorder": ("role", f"{DEV}\nrecorder"),
        **{role + name: ("role", f"{PROD}\n{name}")
           for name in ("org-readonly", "auditor", "deploy", "recorder", "engineer")},
    }
    # One node per service, whatever the accounts it acts in; alice is escalation's own account's user.
    assert sorted(graph.successors("service:config.amazonaws.com")) == [
        role + "recorder", f"arn:aws:iam::{DEV}:role/recorder"]
    assert graph.number_of_edges() == 7


def test_a_picture_of_too_many_trusts_draws_the_most_exposed_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(pictures, "MOST_EDGES", 2)
    picture = trust_picture(TRUSTS)
    assert sorted(picture.graph.nodes) == sorted(["everyone", "principal:arn:aws:iam::999999999999:root",
                                                  f"arn:aws:iam::{PROD}:role/org-readonly",
                                                  f"arn:aws:iam::{PROD}:role/auditor"])
    assert picture.left_out == 5


def sg(account: str, region: str, group: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:security-group/{group}"


def test_the_internet_picture_goes_through_open_security_groups_to_instances_and_databases():
    web, closed = sg(PROD, "eu-west-1", "sg-web"), sg(PROD, "eu-west-1", "sg-closed")
    instance = f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-1"
    database = f"arn:aws:rds:eu-west-1:{PROD}:db:orders"
    open_rules = [{"_fromEntityKey": web, "ingress": True, "ipProtocol": "tcp", "portRange": "443"},
                  {"_fromEntityKey": web, "ingress": True, "ipProtocol": "tcp", "portRange": "22"},
                  {"_fromEntityKey": closed, "ingress": False, "ipProtocol": "-1", "portRange": "all"}]
    behind_closed = f"arn:aws:ec2:eu-west-1:{PROD}:instance/i-2"
    protected = {"aws_instance": [{"_fromEntityKey": web, "_toEntityKey": instance},
                                  {"_fromEntityKey": closed, "_toEntityKey": behind_closed}],
                 "aws_db_instance": [{"_fromEntityKey": web, "_toEntityKey": database}]}
    graph = internet_picture(open_rules, protected, {web: "web", instance: "web-01"}).graph
    assert sorted(graph.edges) == sorted([(INTERNET, web), (web, instance), (web, database)])
    assert graph.nodes[web]["label"] == f"web\n{PROD} eu-west-1\ntcp/22, tcp/443"
    assert graph.nodes[instance]["label"] == "web-01\ninstance"
    assert graph.nodes[database] == {"layer": 2, "kind": "database", "label": "orders\ndb_instance"}


def test_each_column_is_ordered_to_follow_the_one_before():
    graph = trust_picture(TRUSTS).graph
    pos = positions(graph)
    assert {x for x, _ in pos.values()} == {0.0, 1.0}
    # The public role comes first, as everyone does; a service's roles sit together.
    assert max(pos.values(), key=lambda p: (p[0], p[1])) == pos[f"arn:aws:iam::{PROD}:role/org-readonly"]
    recorder_rows = sorted(-pos[f"arn:aws:iam::{a}:role/recorder"][1] for a in (PROD, DEV))
    assert recorder_rows[1] - recorder_rows[0] == 1


def test_a_picture_is_a_png_tall_enough_for_its_tallest_column():
    from matplotlib.image import imread  # here, as the product imports matplotlib: only where a picture is drawn

    small = imread(io.BytesIO(draw_png(trust_picture(TRUSTS[:1]))), format="png")
    large = imread(io.BytesIO(draw_png(trust_picture(TRUSTS))), format="png")
    assert large.shape[0] > 1.5 * small.shape[0]  # seven rows against one, under the same title and legend
    assert large.shape[2] in (3, 4)


@pytest.fixture
def lake(tmp_path) -> Lake:
    lake = Lake(str(tmp_path / "lake"))
    lake.write_table(TRUSTS_TABLE, pa.Table.from_pylist(TRUSTS, schema=TRUSTS_SCHEMA))
    allows = relationship_schemas()["aws_security_group_allows_internet"]
    lake.write_table("aws_security_group_allows_internet", allows.empty_table())
    return lake


def test_report_writes_both_pictures(lake, tmp_path, capsys):
    output = tmp_path / "report"
    assert main(["report", "--lake", lake.root, "--output", str(output)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"wrote {output / 'trust.png'}: who may assume the roles (trust policies), 7 edges",
                     f"wrote {output / 'internet.png'}: what the internet reaches (security groups open to it), "
                     "0 edges"]
    for name in ("trust.png", "internet.png"):
        assert (output / name).read_bytes().startswith(b"\x89PNG")


def test_report_on_no_lake_or_an_unwritable_folder_is_one_line(lake, tmp_path, capsys):
    assert main(["report", "--lake", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == (f"aws-assets report: no lake at {tmp_path / 'missing'}: sync into it first "
                                       f"(`aws-assets sync --lake {tmp_path / 'missing'}`), or name the lake with "
                                       "--lake (the demo's is data/demo/lake)\n")
    (tmp_path / "file").write_text("")
    unwritable = tmp_path / "file" / "report"
    assert main(["report", "--lake", lake.root, "--output", str(unwritable)]) == 2
    message = f"aws-assets report: cannot write the pictures into {unwritable}: Not a directory\n"
    assert capsys.readouterr().err == message

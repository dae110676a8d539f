"""Seconds of `aws-assets can` and `who-can` on a large synthetic lake written as Parquet partitions.

Every account holds users (in groups, with attached and inline policies, every fifth with a permissions boundary),
roles (trusting their account, every tenth the first account's deploy role), customer managed policies, the AWS
managed policies every account repeats, S3 buckets (a tenth with a bucket policy granting the next account) and
DynamoDB tables, which make up the bulk of the entities. The organisation puts every account under one OU with an
SCP denying `s3:DeleteBucket`.

Printed: the policy index's load from the lake with a cold snapshot cache and with a warm one (the second
`aws-assets can` of a session), the milliseconds of one request (`can`, a sample of users, roles and sessions on
objects and tables), the whole `aws-assets can` command with a warm snapshot, and one `who-can`.

On this project's 2-core machine, shared with other jobs (ranges over three runs), the defaults (1,018,400 entities,
5,000 principals): load 2.3-3.3 s cold and 0.3-1.0 s warm, one request 0.28 ms median (at most 34 ms, a DynamoDB
table found by ARN in Arrow), the whole `aws-assets can` 0.6-1.0 s warm, `who-can` 3-6 s.

    .venv/bin/python benchmarks/simulator.py [--accounts 50] [--users 60] [--roles 40] [--tables 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from aws_assets.analysis.simulator import can, who_can
from aws_assets.graph.policy_index import load_policy_index
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.storage import Lake
from aws_assets.model.settings import CACHE
from aws_assets.services.catalog import ENTITY_TYPES

AWS_MANAGED = {
    "arn:aws:iam::aws:policy/ReadOnlyAccess": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*",
                                                                             "dynamodb:Get*"], "Resource": "*"}],
    "arn:aws:iam::aws:policy/AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "arn:aws:iam::aws:policy/PowerUserAccess": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"],
                                                 "Resource": "*"}],
}
REGION = "us-east-1"


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def table_of(entity: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as the entity type's Arrow table: the columns they give, nulls elsewhere."""
    schema = ENTITY_TYPES[entity].schema
    columns = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if field.name == "tags":
            values = [list((value or {}).items()) for value in values]
        columns[field.name] = pa.array(values, field.type)
    return pa.Table.from_pydict(columns, schema=schema)


def customer_policies(account: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    shapes = [
        lambda n: [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": f"arn:aws:s3:::bucket-{account}-{n % 10}/*"}],
        lambda n: [{"Effect": "Allow", "Action": "dynamodb:*",
                    "Resource": f"arn:aws:dynamodb:{REGION}:{account}:table/orders-{n}*"}],
        lambda n: [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account}:role/*"}],
        lambda n: [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
                   {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}],
        lambda n: [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
    ]
    return [{"_key": f"arn:aws:iam::{account}:policy/p{n}", "arn": f"arn:aws:iam::{account}:policy/p{n}",
             "name": f"p{n}", "document": doc(shapes[rng.randrange(len(shapes))](n))} for n in range(count)]


def write_account(lake: Lake, n: int, accounts: int, args: argparse.Namespace, rng: random.Random) -> None:
    account = account_id(n)
    neighbour = account_id((n + 1) % accounts)
    policies = customer_policies(account, args.policies, rng)
    managed = policies + [{"_key": f"{arn}@{account}", "arn": arn, "name": arn.rsplit("/", 1)[-1],
                           "document": doc(statements)} for arn, statements in AWS_MANAGED.items()]
    policy_arns = [policy["arn"] for policy in managed]
    groups = [{"_key": f"arn:aws:iam::{account}:group/g{g}", "arn": f"arn:aws:iam::{account}:group/g{g}",
               "name": f"g{g}", "groupName": f"g{g}", "attachedPolicyArns": rng.sample(policy_arns, 2)}
              for g in range(5)]
    users = [{"_key": f"arn:aws:iam::{account}:user/u{u}", "arn": f"arn:aws:iam::{account}:user/u{u}",
              "name": f"u{u}", "username": f"u{u}", "path": "/", "groupNames": [f"g{u % 5}"],
              "attachedPolicyArns": rng.sample(policy_arns, 2),
              "permissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess" if u % 5 == 0 else None}
             for u in range(args.users)]
    deploy = f"arn:aws:iam::{account_id(0)}:role/r0"
    roles = [{"_key": f"arn:aws:iam::{account}:role/r{r}", "arn": f"arn:aws:iam::{account}:role/r{r}",
              "name": f"r{r}", "roleName": f"r{r}", "path": "/", "attachedPolicyArns": rng.sample(policy_arns, 2),
              "trustPolicy": doc([{"Effect": "Allow", "Action": "sts:AssumeRole",
                                   "Principal": {"AWS": deploy if r % 10 == 0 else account}}])}
             for r in range(args.roles)]
    inline = [{"_key": f"{user['arn']}:inline-policy/own", "name": "own", "userArn": user["arn"],
               "document": doc([{"Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": user["arn"]}])}
              for user in users]
    buckets = [{"_key": f"arn:aws:s3:::bucket-{account}-{b}", "arn": f"arn:aws:s3:::bucket-{account}-{b}",
                "name": f"bucket-{account}-{b}",
                "policy": doc([{"Effect": "Allow", "Principal": {"AWS": neighbour}, "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::bucket-{account}-{b}/*"}]) if b % 10 == 0 else None}
               for b in range(args.buckets)]
    tables = [{"_key": f"arn:aws:dynamodb:{REGION}:{account}:table/orders-{t}",
               "arn": f"arn:aws:dynamodb:{REGION}:{account}:table/orders-{t}", "name": f"orders-{t}",
               "tags": {"team": f"t{t % 7}"}} for t in range(args.tables)]
    for entity, rows, region in (("aws_iam_policy", managed, None), ("aws_iam_group", groups, None),
                                 ("aws_iam_user", users, None), ("aws_iam_role", roles, None),
                                 ("aws_iam_user_policy", inline, None), ("aws_s3_bucket", buckets, None),
                                 ("aws_dynamodb_table", tables, REGION)):
        for row in rows:
            row["accountId"] = account
        lake.write_partition(entity, account, region, table_of(entity, rows))


def write_organisation(lake: Lake, accounts: int) -> None:
    management = account_id(0)
    members = [account_id(n) for n in range(accounts)]
    rows = {
        "aws_organization": [{"_key": "o-bench", "name": "o-bench", "organizationId": "o-bench",
                              "managementAccountId": management}],
        "aws_organization_root": [{"_key": "r-bench", "name": "Root", "rootId": "r-bench",
                                   "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY"]}],
        "aws_organizational_unit": [{"_key": "ou-bench", "name": "Workloads", "organizationalUnitId": "ou-bench",
                                     "parentId": "r-bench"}],
        "aws_organization_account": [{"_key": account, "name": account, "memberAccountId": account,
                                      "parentId": "r-bench" if account == management else "ou-bench",
                                      "organizationId": "o-bench", "managementAccount": account == management}
                                     for account in members],
        "aws_organizations_policy": [
            {"_key": "p-FullAWSAccess", "name": "FullAWSAccess", "policyId": "p-FullAWSAccess",
             "policyType": "SERVICE_CONTROL_POLICY", "document": doc([{"Effect": "Allow", "Action": "*",
                                                                      "Resource": "*"}]),
             "targetIds": ["r-bench", "ou-bench", *members]},
            {"_key": "p-nodelete", "name": "no-delete", "policyId": "p-nodelete",
             "policyType": "SERVICE_CONTROL_POLICY", "document": doc([{"Effect": "Deny", "Action": "s3:DeleteBucket",
                                                                      "Resource": "*"}]),
             "targetIds": ["ou-bench"]}],
    }
    for entity, entity_rows in rows.items():
        for row in entity_rows:
            row["accountId"] = management
        lake.write_partition(entity, management, None, table_of(entity, entity_rows))


def requests(args: argparse.Namespace, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    sampled = []
    for _ in range(count):
        account, other = account_id(rng.randrange(args.accounts)), account_id(rng.randrange(args.accounts))
        principal = rng.choice([f"arn:aws:iam::{account}:user/u{rng.randrange(args.users)}",
                                f"arn:aws:iam::{account}:role/r{rng.randrange(args.roles)}",
                                f"arn:aws:sts::{account}:assumed-role/r{rng.randrange(args.roles)}/s"])
        action, resource = rng.choice([
            ("s3:GetObject", f"arn:aws:s3:::bucket-{other}-{rng.randrange(args.buckets)}/key"),
            ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{other}:table/orders-{rng.randrange(args.tables)}"),
            ("sts:AssumeRole", f"arn:aws:iam::{other}:role/r{rng.randrange(args.roles)}"),
        ])
        sampled.append((principal, action, resource))
    return sampled


def timed(step) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--users", type=int, default=60, help="per account")
    parser.add_argument("--roles", type=int, default=40, help="per account")
    parser.add_argument("--policies", type=int, default=100, help="customer managed policies per account")
    parser.add_argument("--buckets", type=int, default=100, help="per account")
    parser.add_argument("--tables", type=int, default=20000, help="DynamoDB tables per account")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(str(Path(folder) / "lake"))
        seconds, _ = timed(lambda: [write_account(lake, n, args.accounts, args, rng) for n in range(args.accounts)])
        write_organisation(lake, args.accounts)
        entities = args.accounts * (args.users + args.roles + args.policies + len(AWS_MANAGED) + 5 + args.users
                                    + args.buckets + args.tables)
        print(f"lake: {args.accounts} accounts, {entities:,} entities "
              f"({args.accounts * (args.users + args.roles):,} principals), written in {seconds:.1f}s")
        cache = str(Path(folder) / "cache")
        cold, _ = timed(lambda: load_policy_index(LakeSnapshot(lake, cache)))
        warm, index = timed(lambda: load_policy_index(LakeSnapshot(lake, cache)))
        print(f"load: {cold:.2f}s with a cold snapshot cache, {warm:.2f}s warm")
        sample = requests(args, args.queries, rng)
        durations, allowed = [], 0
        for principal, action, resource in sample:
            took, (_, decision) = timed(lambda: can(index, principal, action, resource))
            durations.append(took * 1000)
            allowed += decision.allowed
        slowest = max(range(len(durations)), key=durations.__getitem__)
        print(f"can: {statistics.median(durations):.2f} ms median per request, {durations[slowest]:.1f} ms at most "
              f"(request {slowest + 1}: {sample[slowest][1]} on {sample[slowest][2]}); {len(sample)} requests, "
              f"{allowed} allowed")
        os.environ[CACHE.name] = cache
        from aws_assets.app.cli import main as cli

        principal, action, resource = sample[0]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            command, _ = timed(lambda: cli(["can", "--lake", lake.root, principal, action, resource]))
        print(f"aws-assets can (warm snapshot, load included): {command:.2f}s")
        bucket = f"arn:aws:s3:::bucket-{account_id(1)}-0/key"
        took, found = timed(lambda: who_can(index, "s3:GetObject", bucket))
        print(f"who-can s3:GetObject {bucket}: {len(found)} principals in {took:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Seconds and peak memory of the IAM policy analysis on a synthetic estate, against a naive baseline.

The estate is generated in memory (no AWS, no lake files): every account holds buckets, DynamoDB tables, Lambda
functions, users and roles, its service entities, and customer policies of the shapes real estates hold (a bucket
and its objects, a bucket-name prefix, a table's indexes, a function's alias, service wildcards on `*`, Denies,
policy variables), plus AWS managed policies whose documents repeat in every account; users and roles have policies
attached and inline.

Each phase runs in a fresh process, so that its peak RSS (ru_maxrss) is its own:
  product    `build_access_graph` as the `analyse_access` asset runs it: the ARN index (sorted, bisected by each
             pattern's literal prefix), each document read once and matched once per account, the three tables
  baseline   the same engine with what a first version would do: every policy's document read again, and every
             pattern matched by scanning every entity's ARN. It runs on a sample of the policies (the whole estate
             would take hours), its time per policy is extrapolated, and its grants must equal the product's on the
             sample or the run fails

    .venv/bin/python benchmarks/policy_analysis.py [--accounts 200] [--policies 150] [--baseline-policies 40]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

from aws_assets.analysis.access_graph import build_access_graph
from aws_assets.analysis.policy import (
    ResourceIndex,
    Target,
    parse_identity_policy,
    policy_grants,
)

SERVICES = ("s3", "iam", "ec2", "lambda", "dynamodb", "rds", "apigateway", "config")
AWS_MANAGED = [
    {"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": ["logs:*", "cloudwatch:*", "sqs:*"], "Resource": "*"}]},
]


def account_id(n: int) -> str:
    return f"{100000000000 + n:012d}"


def estate(accounts: int, policies: int) -> tuple[list, list[dict[str, Any]], list[dict[str, Any]]]:
    entities: list[tuple[str, str, str | None, str]] = []
    rows: list[dict[str, Any]] = []
    principals: list[dict[str, Any]] = []
    for n in range(accounts):
        a = account_id(n)
        root = f"arn:aws:iam::{a}:root"
        entities.append((root, "aws_account", root, a))
        entities += [(f"aws_{s}:{a}", f"aws_{s}", None, a) for s in SERVICES]
        for k in range(100):
            arn = f"arn:aws:s3:::b-{a}-{k:03d}"
            entities.append((arn, "aws_s3_bucket", arn, a))
        for k in range(100):
            arn = f"arn:aws:dynamodb:us-east-1:{a}:table/t-{k:03d}"
            entities.append((arn, "aws_dynamodb_table", arn, a))
        for k in range(50):
            arn = f"arn:aws:lambda:eu-west-1:{a}:function:f-{k:02d}"
            entities.append((arn, "aws_lambda_function", arn, a))
        for kind in ("user", "role"):
            for k in range(30):
                arn = f"arn:aws:iam::{a}:{kind}/{kind}-{k:02d}"
                entities.append((arn, f"aws_iam_{kind}", arn, a))
        managed = []
        for k in range(policies):
            shape = k % 10
            if shape < 4:
                resource_ = [f"arn:aws:s3:::b-{a}-{k % 100:03d}", f"arn:aws:s3:::b-{a}-{k % 100:03d}/*"]
                statement = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": resource_}
            elif shape == 4:
                statement = {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::b-{a}-0{k % 10}*"}
            elif shape == 5:
                statement = {"Effect": "Allow", "Action": ["dynamodb:Query", "dynamodb:GetItem"],
                             "Resource": f"arn:aws:dynamodb:*:{a}:table/t-{k % 100:03d}/index/*"}
            elif shape == 6:
                statement = {"Effect": "Allow", "Action": "lambda:InvokeFunction",
                             "Resource": f"arn:aws:lambda:*:{a}:function:f-{k % 50:02d}:live"}
            elif shape == 7:
                statement = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::b-{a}-*"}
            elif shape == 8:
                statement = {"Effect": "Allow", "Action": "iam:ChangePassword",
                             "Resource": f"arn:aws:iam::{a}:user/${{aws:username}}"}
            else:
                statement = {"Effect": "Allow", "Action": [f"{SERVICES[k % 8]}:List*", "sqs:SendMessage"],
                             "Resource": "*"}
            key = f"arn:aws:iam::{a}:policy/p-{k:03d}"
            managed.append(key)
            rows.append({"_key": key, "_type": "aws_iam_policy", "accountId": a,
                         "document": json.dumps({"Version": "2012-10-17", "Statement": [statement]})})
        aws_managed = []
        for k, document in enumerate(AWS_MANAGED):
            arn = f"arn:aws:iam::aws:policy/Managed{k}"
            aws_managed.append(arn)
            rows.append({"_key": f"{arn}@{a}", "_type": "aws_iam_policy", "accountId": a,
                         "document": json.dumps(document)})
        for kind in ("user", "role"):
            for k in range(30):
                owner = f"arn:aws:iam::{a}:{kind}/{kind}-{k:02d}"
                attached = [managed[(k * 7 + j) % policies] for j in range(4)] + [aws_managed[k % len(aws_managed)]]
                principals.append({"_key": owner, "_type": f"aws_iam_{kind}", "accountId": a, "name": f"{kind}-{k}",
                                   "attachedPolicyArns": attached})
                rows.append({"_key": f"{owner}:inline-policy/own", "_type": f"aws_iam_{kind}_policy", "accountId": a,
                             "ownerKey": owner, "document": json.dumps({"Statement": [{
                                 "Effect": "Allow", "Action": "s3:PutObject",
                                 "Resource": f"arn:aws:s3:::b-{a}-{k:03d}/{kind}/*"}]})})
    return entities, rows, principals


class ScanningIndex(ResourceIndex):
    """The baseline's index: every entity's ARN tried against every pattern."""

    def matching(self, pattern: str) -> list[Target]:
        found = {t.key: t for arn in self._arns if self._matches(pattern, arn) for t in self._by_arn[arn]}
        return [found[key] for key in sorted(found)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def product(accounts: int, policies: int) -> dict[str, Any]:
    entities, rows, principals = estate(accounts, policies)
    floor = peak_rss_mib()
    started = time.perf_counter()
    graph = build_access_graph(rows, principals, ResourceIndex(entities))
    seconds = time.perf_counter() - started
    return {"entities": len(entities), "policies": len(rows), "principals": len(principals), "seconds": seconds,
            "edges": graph.edges.num_rows, "access_rows": graph.access.num_rows, "problems": graph.problems.num_rows,
            "rss_after_estate_mib": floor, "peak_rss_mib": peak_rss_mib()}


def _grants(reach) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(g.verb, g.target.key, tuple(sorted(g.actions | g.not_actions))) for g in reach.grants]


def baseline(accounts: int, policies: int, sample: int) -> dict[str, Any]:
    entities, rows, _ = estate(accounts, policies)
    step = max(1, len(rows) // sample)
    chosen = rows[::step][:sample]
    floor = peak_rss_mib()
    scanning = ScanningIndex(entities)
    started = time.perf_counter()
    naive = [_grants(policy_grants(r["accountId"], parse_identity_policy(r["document"]), scanning)) for r in chosen]
    seconds = time.perf_counter() - started
    index = ResourceIndex(entities)
    fast = [_grants(policy_grants(r["accountId"], parse_identity_policy(r["document"]), index)) for r in chosen]
    if naive != fast:
        raise SystemExit("the baseline's grants differ from the product's on the sample")
    return {"sample_policies": len(chosen), "sample_seconds": seconds, "seconds_per_policy": seconds / len(chosen),
            "extrapolated_seconds": seconds / len(chosen) * len(rows), "sample_grants": sum(map(len, naive)),
            "rss_after_estate_mib": floor, "peak_rss_mib": peak_rss_mib()}


def in_fresh_process(function, *args) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--policies", type=int, default=150, help="customer managed policies per account")
    parser.add_argument("--baseline-policies", type=int, default=40, help="policies the baseline analyses")
    args = parser.parse_args()
    fast = in_fresh_process(product, args.accounts, args.policies)
    print(f"estate: {args.accounts} accounts, {fast['entities']} entities, {fast['policies']} policies, "
          f"{fast['principals']} users and roles")
    print(f"product : {fast['seconds']:8.1f} s  peak RSS {fast['peak_rss_mib']:7.0f} MiB "
          f"(estate alone {fast['rss_after_estate_mib']:.0f} MiB)  {fast['edges']} edges, "
          f"{fast['access_rows']} principal_access rows, {fast['problems']} problems")
    slow = in_fresh_process(baseline, args.accounts, args.policies, args.baseline_policies)
    print(f"baseline: {slow['sample_seconds']:8.1f} s for {slow['sample_policies']} policies "
          f"({slow['seconds_per_policy'] * 1000:.0f} ms each, {slow['extrapolated_seconds']:.0f} s extrapolated to "
          f"the estate)  peak RSS {slow['peak_rss_mib']:7.0f} MiB; same grants as the product on the sample")
    print(f"speed-up: {slow['extrapolated_seconds'] / fast['seconds']:.0f}x")


if __name__ == "__main__":
    main()

"""Seconds and peak memory of the IAM policy analysis on a synthetic estate, against a naive baseline.

The estate is generated in memory (no AWS, no lake files): every account holds buckets, DynamoDB tables, Lambda
functions, users and roles, its service entities, and customer policies of the shapes real estates hold (a bucket
and its objects, a bucket-name prefix, a table's indexes, a function's alias, service wildcards on `*`, Denies,
policy variables), plus AWS managed policies whose documents repeat in every account; users and roles have policies
attached and inline, a user and a role of the same number the same attached ones, and every third role a
permissions boundary.

The same estate as the lake holds it feeds the request evaluator's `principal_access`
(`aws_assets.analysis.principal_access`), with what only it reads: an organisation of three levels (root, OU,
account) with SCPs at each and an RCP, resource policies on a tenth of the buckets and functions granting the next
account (cross-account grants), and every role's trust policy (its account, and for a tenth of the roles the
previous account's role-01).

Each phase runs in a fresh process, so that its peak RSS (ru_maxrss) is its own:
  principal_access  the policy index and `PrincipalAccess(...).table(workers=...)` as `analyse_access` runs them,
             its rows spread over forked workers (`--workers`, default the cores), then in one process (the
             same for resource_access below); then a
             sample of its rows re-evaluated request by request (`PolicyIndex.assemble` + `evaluate`, every action
             of the target's type): the run fails unless every one agrees with its row
  resource_access  `resource_access_from_tables` as the `resource_access` asset runs it, over every bucket and
             function policy and every role's trust policy of the same estate
  product    `build_access_graph` as the `analyse_access` asset runs it for the ALLOWS and DENIES edges: the ARN
             index (sorted, bisected by each pattern's literal prefix), each document read once and matched once
             per account, and the edges stamped from row templates (one per grant of a shared reach) converted to
             Arrow column by column, a batch of rows at a time
  baseline   the same engine with what a first version would do: every policy's document read again, and every
             pattern matched by scanning every entity's ARN. It runs on a sample of the policies (the whole estate
             would take hours), its time per policy is extrapolated, and its grants must equal the product's on the
             sample or the run fails
  check      the product on the whole estate again, against the edges built row by row (one dict per edge, every
             list sorted again, pyarrow from the dicts) for a sample of the accounts: every row must be equal, in
             order, or the run fails

Figures: README, Performance.

    .venv/bin/python benchmarks/policy_analysis.py [--accounts 200] [--policies 150] [--baseline-policies 40]
        [--check-accounts 4] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from memory import peak_rss_mib  # noqa: E402 - beside this file

from aws_assets.analysis.access_graph import EDGES_SCHEMA, build_access_graph, read_policies
from aws_assets.analysis.evaluation import Result, evaluate
from aws_assets.analysis.forked import analysis_workers
from aws_assets.analysis.policy import (
    READ,
    WRITE,
    Grant,
    ResourceIndex,
    Target,
    parse_identity_policy,
    policy_grants,
)
from aws_assets.analysis.policy_sets import PolicyIndex
from aws_assets.analysis.principal_access import PrincipalAccess, Targets, target_actions
from aws_assets.model.relationship import relationship_type_name

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
                statement = {"Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:GetObject", "s3:PutObject"],
                             "Resource": f"arn:aws:s3:::b-{a}-*"}
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
                principal = {"_key": owner, "_type": f"aws_iam_{kind}", "accountId": a, "name": f"{kind}-{k}",
                             "attachedPolicyArns": attached}
                if kind == "role" and k % 3 == 0:  # S3 reads only, whatever else its policies allow
                    principal["permissionsBoundaryArn"] = aws_managed[0]
                principals.append(principal)
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


# ---- the estate as the lake holds it, for the request evaluator ----------------------------------------------------

ORGANIZATION = "o-bench"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _organization(accounts: int) -> dict[str, list[dict[str, Any]]]:
    """Account 0 manages; the others sit in ou-prod or ou-dev under ou-workloads. SCPs at three levels besides
    FullAWSAccess everywhere: the root denies leaving the organisation, ou-workloads denies deleting buckets, and a
    tenth of the accounts deny creating users; an RCP keeps S3 and KMS inside the organisation."""
    full_targets = ["r-bench", "ou-workloads", "ou-prod", "ou-dev", *(account_id(n) for n in range(accounts))]
    parents = {account_id(n): "r-bench" if n == 0 else ("ou-prod" if n % 2 else "ou-dev") for n in range(accounts)}
    policies = [
        {"policyId": "p-FullAWSAccess", "arn": "arn:aws:organizations::aws:policy/FullAWSAccess",
         "policyType": "SERVICE_CONTROL_POLICY", "document": _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
         "targetIds": full_targets},
        {"policyId": "p-stay", "arn": "p-stay", "policyType": "SERVICE_CONTROL_POLICY", "targetIds": ["r-bench"],
         "document": _doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})},
        {"policyId": "p-keep-buckets", "arn": "p-keep-buckets", "policyType": "SERVICE_CONTROL_POLICY",
         "targetIds": ["ou-workloads"],
         "document": _doc({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})},
        {"policyId": "p-no-users", "arn": "p-no-users", "policyType": "SERVICE_CONTROL_POLICY",
         "targetIds": [account_id(n) for n in range(1, accounts, 10)],
         "document": _doc({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"})},
        {"policyId": "p-org-only", "arn": "p-org-only", "policyType": "RESOURCE_CONTROL_POLICY",
         "targetIds": ["r-bench"], "document": _doc({
             "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "kms:*"], "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORGANIZATION},
                           "Bool": {"aws:PrincipalIsAWSService": "false"}}})},
    ]
    return {
        "aws_organization": [{"organizationId": ORGANIZATION, "managementAccountId": account_id(0)}],
        "aws_organization_root": [{"rootId": "r-bench", "enabledPolicyTypes": [
            "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]}],
        "aws_organizational_unit": [{"organizationalUnitId": "ou-workloads", "parentId": "r-bench"},
                                    {"organizationalUnitId": "ou-prod", "parentId": "ou-workloads"},
                                    {"organizationalUnitId": "ou-dev", "parentId": "ou-workloads"}],
        "aws_organization_account": [
            {"memberAccountId": account, "parentId": parent, "organizationId": ORGANIZATION,
             "managementAccount": account == account_id(0)} for account, parent in parents.items()],
        "aws_organizations_policy": policies,
    }


def lake_tables(accounts: int, policies: int) -> tuple[dict[str, list[dict[str, Any]]], Targets]:
    """The estate of `estate` as the policy index reads it, with the organisation, resource policies on a tenth of
    the buckets and functions (granting the next account: cross-account grants) and the roles' trust policies (the
    account, and for a tenth of the roles the previous account's pipeline role)."""
    entities, rows, principals = estate(accounts, policies)
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "aws_iam_user", "aws_iam_group", "aws_iam_role", "aws_iam_policy", "aws_iam_user_policy",
        "aws_iam_role_policy", "aws_s3_bucket", "aws_lambda_function")}
    tables.update(_organization(accounts))
    seen_aws = set()
    for row in rows:
        if row["_type"] == "aws_iam_policy":
            arn = row["_key"].split("@", 1)[0]
            if arn not in seen_aws:
                seen_aws.add(arn)
                tables["aws_iam_policy"].append(
                    {"arn": arn, "accountId": row["accountId"], "document": row["document"]})
        else:
            owner = "userArn" if row["_type"] == "aws_iam_user_policy" else "roleArn"
            tables[row["_type"]].append({"_key": row["_key"], "document": row["document"], owner: row["ownerKey"]})
    for principal in principals:
        arn, account = principal["_key"], principal["accountId"]
        common = {"arn": arn, "accountId": account, "path": "/", "tags": [],
                  "attachedPolicyArns": principal["attachedPolicyArns"],
                  "permissionsBoundaryArn": principal.get("permissionsBoundaryArn")}
        name = arn.rsplit("/", 1)[-1]
        if principal["_type"] == "aws_iam_user":
            tables["aws_iam_user"].append({**common, "username": name, "groupNames": []})
        else:
            n = int(account) - 100000000000
            trusted: list[str] = [f"arn:aws:iam::{account}:root"]
            if name.endswith("0"):
                trusted.append(f"arn:aws:iam::{account_id((n - 1) % accounts)}:role/role-01")
            tables["aws_iam_role"].append({**common, "roleName": name, "serviceLinked": False, "trustPolicy": _doc(
                {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"})})
    for _, type_, arn, account in entities:
        if type_ not in ("aws_s3_bucket", "aws_lambda_function"):
            continue
        n = int(account) - 100000000000
        other = f"arn:aws:iam::{account_id((n + 1) % accounts)}:root"
        policy = None
        if arn.endswith("0"):  # a tenth
            if type_ == "aws_s3_bucket":
                policy = _doc({"Effect": "Allow", "Principal": {"AWS": other},
                               "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [arn, f"{arn}/*"]},
                              {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucketPolicy", "Resource": arn})
            else:
                policy = _doc({"Effect": "Allow", "Principal": {"AWS": other}, "Action": "lambda:InvokeFunction",
                               "Resource": arn})
        column = "policy" if type_ == "aws_s3_bucket" else "resourcePolicy"
        tables[type_].append({"arn": arn, "accountId": account, "tags": [], column: policy})
    return tables, Targets.of((key, type_, arn, account) for key, type_, arn, account in entities)


def principal_access_run(accounts: int, policies: int, sample: int, workers: int) -> dict[str, Any]:
    """The new `principal_access` on the estate (its rows spread over `workers` forked processes), and a sample of
    its rows re-evaluated request by request."""
    tables, targets = lake_tables(accounts, policies)
    floor = peak_rss_mib()
    started = time.perf_counter()
    engine = PrincipalAccess(PolicyIndex(tables), targets)
    table = engine.table(workers=workers)
    seconds = time.perf_counter() - started
    peak = peak_rss_mib()
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    step = max(1, table.num_rows // sample)
    checked = 0
    index = engine.index
    for row in table.take(list(range(0, table.num_rows, step))[:sample]).to_pylist():
        listed = {**dict.fromkeys(row["actions"], "allowed"), **dict.fromkeys(row["conditionalActions"], "maybe"),
                  **dict.fromkeys(row["deniedActions"], "denied")}
        for action in target_actions(row["targetArn"]):
            assembled = index.assemble(row["principalArn"], action, row["targetArn"])
            decision = evaluate(assembled.request, assembled.policies)
            best = decision.conditional.best_case if decision.conditional else decision.result
            expected = "allowed" if decision.allowed else "maybe" if best is Result.ALLOWED else (
                "denied" if decision.result is Result.EXPLICITLY_DENIED else None)
            if listed.get(action) != expected and not (expected == "denied" and action not in listed):
                raise SystemExit(f"principal_access row {row['principalArn']} -> {row['targetArn']}: {action} is "
                                 f"{listed.get(action)} in the row, {decision.result.value} by the evaluator")
            checked += 1
    return {"seconds": seconds, "rows": table.num_rows, "evaluations": engine.evaluations,
            "cross_account_rows": sum(table.column("crossAccount").to_pylist()), "workers": workers,
            "rss_after_estate_mib": floor, "peak_rss_mib": peak, "worker_peak_rss_mib": worker_peak,
            "checked_requests": checked}


def resource_access_run(accounts: int, policies: int, workers: int) -> dict[str, Any]:
    """`resource_access` on the same estate: every bucket and function policy and every role's trust policy, the
    resources spread over `workers` forked processes."""
    from aws_assets.analysis.resource_access import policy_table_columns, resource_access_from_tables

    tables, _ = lake_tables(accounts, policies)
    for table in policy_table_columns():  # the columns only resource_access reads
        for row in tables.get(table, ()):
            row.setdefault("_key", row["arn"])
            row.setdefault("region", "global" if table == "aws_iam_role" else "us-east-1")
    floor = peak_rss_mib()
    started = time.perf_counter()
    access = resource_access_from_tables(tables, {}, workers=workers)
    return {"seconds": time.perf_counter() - started, "rows": access.num_rows,
            "external_rows": sum(access.column("external").to_pylist()),
            "rss_after_estate_mib": floor, "peak_rss_mib": peak_rss_mib(),
            "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def product(accounts: int, policies: int) -> dict[str, Any]:
    entities, rows, principals = estate(accounts, policies)
    floor = peak_rss_mib()
    started = time.perf_counter()
    graph = build_access_graph(rows, ResourceIndex(entities))
    seconds = time.perf_counter() - started
    return {"entities": len(entities), "policies": len(rows), "principals": len(principals), "seconds": seconds,
            "edges": graph.edges.num_rows, "problems": graph.problems.num_rows,
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


# ---- the tables built row by row, as a first version did ------------------------------------------------------------


def row_by_row(policies: list[dict[str, Any]], index: ResourceIndex) -> pa.Table:
    """The edges with one dict per row, each row's lists sorted for it."""
    read = read_policies(policies, index)
    edges = [_edge_row(policy, grant) for policy in read.values() for grant in policy.reach.grants]
    return pa.Table.from_pylist(edges, schema=EDGES_SCHEMA)


def _flags(grant: Grant, account: str) -> dict[str, Any]:
    return {"actions": sorted(grant.actions), "notActions": sorted(grant.not_actions), "notAction": grant.not_action,
            "read": READ in grant.levels, "write": WRITE in grant.levels, "admin": grant.admin,
            "conditional": grant.conditional, "crossAccount": grant.target.account_id != account}


def _edge_row(policy, grant: Grant) -> dict[str, Any]:
    target = grant.target
    return {
        "_key": f"{policy.key}|{grant.verb.lower()}|{target.key}",
        "_type": relationship_type_name(policy.type, grant.verb, target.type), "_class": grant.verb,
        "_fromEntityKey": policy.key, "_toEntityKey": target.key, "_fromEntityType": policy.type,
        "_toEntityType": target.type, "accountId": policy.account_id, "targetAccountId": target.account_id,
        **_flags(grant, policy.account_id), "resources": sorted(grant.resources),
        "conditions": "[" + ", ".join(sorted(grant.conditions)) + "]", "statements": sorted(grant.statements),
        "notResource": grant.not_resource, "policyVariables": grant.policy_variables,
    }


def check(accounts: int, policies: int, sample: int) -> dict[str, Any]:
    entities, rows, _ = estate(accounts, policies)
    index = ResourceIndex(entities)
    graph = build_access_graph(rows, index)
    chosen = sorted({account_id(n) for n in range(0, accounts, max(1, accounts // sample))[:sample]})
    started = time.perf_counter()
    edges = row_by_row([r for r in rows if r["accountId"] in chosen], index)
    seconds = time.perf_counter() - started
    mine = graph.edges.filter(pc.is_in(graph.edges.column("accountId"), pa.array(chosen)))
    if mine.num_rows != edges.num_rows or mine.to_pylist() != edges.to_pylist():
        raise SystemExit(f"the product's iam_policy_allows differs from the row-by-row construction on {chosen}")
    return {"accounts": len(chosen), "edges": edges.num_rows, "seconds": seconds,
            "extrapolated_seconds": seconds / len(chosen) * accounts}


def _answer_to(pipe, function, args) -> None:
    pipe.send(function(*args))


def in_fresh_process(function, *args) -> dict[str, Any]:
    """function(*args) in a new process, not a daemonic one (a pool's), which could not fork the analyses'
    workers."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_answer_to, args=(sending, function, args))
    process.start()
    sending.close()
    try:
        answer = receiving.recv()
    except EOFError:
        process.join()
        raise SystemExit(f"{function.__name__} failed (exit code {process.exitcode})") from None
    process.join()
    return answer


def phase_figures(figures: dict[str, Any], workers: int) -> str:
    """An access table's seconds and memory, in one process or over forked workers."""
    forks = (f", each of {workers} forked workers at most {figures['worker_peak_rss_mib']:.0f} MiB"
             if figures["worker_peak_rss_mib"] else "")
    return (f"(evaluator, {workers} process{'es' if workers > 1 else ''}): {figures['seconds']:8.1f} s  peak RSS "
            f"{figures['peak_rss_mib']:7.0f} MiB{forks} (estate alone {figures['rss_after_estate_mib']:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--policies", type=int, default=150, help="customer managed policies per account")
    parser.add_argument("--baseline-policies", type=int, default=40, help="policies the baseline analyses")
    parser.add_argument("--check-accounts", type=int, default=4,
                        help="accounts whose tables are compared with the row-by-row construction")
    parser.add_argument("--check-rows", type=int, default=300,
                        help="principal_access rows re-evaluated action by action")
    parser.add_argument("--workers", type=int, default=analysis_workers(),
                        help="processes principal_access spreads over (default: AWS_ASSETS_ANALYSIS_WORKERS, else "
                        "the cores); the same in one process is the baseline")
    args = parser.parse_args()
    for workers in dict.fromkeys((args.workers, 1)):
        new = in_fresh_process(principal_access_run, args.accounts, args.policies, args.check_rows, workers)
        print(f"principal_access {phase_figures(new, workers)}  {new['rows']} rows ({new['cross_account_rows']} "
              f"cross-account), {new['evaluations']} evaluations; {new['checked_requests']} requests of sampled "
              "rows re-evaluated, all equal")
    for workers in dict.fromkeys((args.workers, 1)):
        shared = in_fresh_process(resource_access_run, args.accounts, args.policies, workers)
        print(f"resource_access {phase_figures(shared, workers)}  {shared['rows']} rows "
              f"({shared['external_rows']} external)")
    fast = in_fresh_process(product, args.accounts, args.policies)
    print(f"estate: {args.accounts} accounts, {fast['entities']} entities, {fast['policies']} policies, "
          f"{fast['principals']} users and roles")
    print(f"product : {fast['seconds']:8.1f} s  peak RSS {fast['peak_rss_mib']:7.0f} MiB "
          f"(estate alone {fast['rss_after_estate_mib']:.0f} MiB)  {fast['edges']} edges, "
          f"{fast['problems']} problems")
    slow = in_fresh_process(baseline, args.accounts, args.policies, args.baseline_policies)
    print(f"baseline: {slow['sample_seconds']:8.1f} s for {slow['sample_policies']} policies "
          f"({slow['seconds_per_policy'] * 1000:.0f} ms each, {slow['extrapolated_seconds']:.0f} s extrapolated to "
          f"the estate)  peak RSS {slow['peak_rss_mib']:7.0f} MiB; same grants as the product on the sample")
    print(f"speed-up: {slow['extrapolated_seconds'] / fast['seconds']:.0f}x")
    same = in_fresh_process(check, args.accounts, args.policies, args.check_accounts)
    print(f"check   : the product's edges equal the row-by-row construction on {same['accounts']} accounts "
          f"({same['edges']} edges; row by row "
          f"{same['seconds']:.1f} s, {same['extrapolated_seconds']:.0f} s extrapolated to the estate)")


if __name__ == "__main__":
    main()

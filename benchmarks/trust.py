"""Seconds and peak memory of the trust analysis over a synthetic estate of 50,000 roles, against the engine run role
by role.

The estate (200 accounts x 250 roles by default) mixes the trust policies real organisations hold, in the shares
below: AWS service roles (one document shared by every account), roles the account's own root may assume with MFA,
deployment roles trusted by a tooling account, vendor roles with an ExternalId (and auditor roles without one), SAML
federation, GitHub Actions OIDC roles pinned to one repository each (a document per role), service-linked roles,
organisation-wide roles (`*` with aws:PrincipalOrgID) and roles with a Deny beside the Allow. Roles are rows as the
`aws_iam_role` table holds them.

Measured, each in a fresh process so that its peak RSS is its own:
  product    what the `analyse_trust` asset computes: `lake_targets` and `build_trust_graph` (TRUSTS edges,
             placeholders, problems, role chaining), then what the `findings` asset derives from the same roles
             (`RuleInputs.role_trusts` and the three trust rules)
  baseline   the engine role by role: `parse_trust_policy` and `trust_edges` for every role, with no reuse of a
             document read before; edges only (no placeholders, chaining or findings)
Both must find the same TRUSTS edge keys, or the run fails.

    .venv/bin/python benchmarks/trust.py [--accounts 200] [--roles-per-account 250]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memory import peak_rss_mib  # noqa: E402 - beside this file

TOOLING_ACCOUNT_INDEX = 0  # the account whose deployment role every other account trusts
VENDORS = ("999999999991", "999999999992", "999999999993")  # accounts outside the estate
SERVICES = ("lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com")
# (kind, share of the roles)
MIX = (
    ("service", 0.38), ("own_root_mfa", 0.12), ("tooling_deploy", 0.10), ("vendor", 0.08), ("auditor", 0.02),
    ("saml", 0.06),
    ("github", 0.10), ("service_linked", 0.06), ("organisation", 0.04), ("deny_beside_allow", 0.04),
)


def account_id(index: int) -> str:
    return f"{310_000_000_000 + 7919 * index:012d}"


def statement(principal: dict[str, Any], action: str = "sts:AssumeRole", condition: dict | None = None,
              effect: str = "Allow") -> dict[str, Any]:
    out = {"Effect": effect, "Principal": principal, "Action": action}
    if condition:
        out["Condition"] = condition
    return out


def trust_policy(kind: str, account: str, tooling: str, role: int) -> dict[str, Any]:
    if kind == "service":
        statements = [statement({"Service": SERVICES[role % len(SERVICES)]})]
    elif kind == "own_root_mfa":
        statements = [statement({"AWS": f"arn:aws:iam::{account}:root"},
                                condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})]
    elif kind == "tooling_deploy":
        statements = [statement({"AWS": f"arn:aws:iam::{tooling}:role/deployment-pipeline"})]
    elif kind == "vendor":
        statements = [statement({"AWS": f"arn:aws:iam::{VENDORS[role % len(VENDORS)]}:root"},
                                condition={"StringEquals": {"sts:ExternalId": "<redacted>"}})]
    elif kind == "auditor":  # an outside account without an ExternalId: a finding (AWS-IAM-002)
        statements = [statement({"AWS": f"arn:aws:iam::{VENDORS[0]}:root"})]
    elif kind == "saml":
        statements = [statement({"Federated": f"arn:aws:iam::{account}:saml-provider/okta"},
                                "sts:AssumeRoleWithSAML",
                                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})]
    elif kind == "github":
        provider = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
        statements = [statement({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:acme/service-{role}:*"},
        })]
    elif kind == "service_linked":
        statements = [statement({"Service": "elasticloadbalancing.amazonaws.com"})]
    elif kind == "organisation":
        statements = [statement({"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})]
    else:
        statements = [
            statement({"AWS": [f"arn:aws:iam::{account}:root", f"arn:aws:iam::{tooling}:root"]}),
            statement({"AWS": f"arn:aws:iam::{tooling}:root"}, "sts:AssumeRole", effect="Deny"),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def role_rows(accounts: int, roles_per_account: int) -> list[dict[str, Any]]:
    kinds = [kind for kind, share in MIX for _ in range(round(share * roles_per_account))]
    kinds += ["service"] * (roles_per_account - len(kinds))
    tooling = account_id(TOOLING_ACCOUNT_INDEX)
    rows = []
    for a in range(accounts):
        account = account_id(a)
        for r, kind in enumerate(kinds):
            name = "deployment-pipeline" if a == TOOLING_ACCOUNT_INDEX and r == 0 else f"{kind}-{r}"
            document = trust_policy(kind, account, tooling, r)
            rows.append({
                "_key": f"arn:aws:iam::{account}:role/{name}", "accountId": account, "region": "global",
                "roleName": name, "trustPolicy": json.dumps(document, sort_keys=True),
            })
    return rows


def phase_product(args: argparse.Namespace) -> dict[str, Any]:
    from aws_assets.analysis.findings import RULES, TRUST_READS, RuleInputs
    from aws_assets.analysis.trust_graph import build_trust_graph, lake_targets

    roles = role_rows(args.accounts, args.roles_per_account)
    accounts = sorted({role["accountId"] for role in roles})
    floor = peak_rss_mib()
    started = time.perf_counter()
    keys = [role["_key"] for role in roles] + [f"arn:aws:iam::{a}:root" for a in accounts]
    graph = build_trust_graph(roles, lake_targets(keys, accounts, roles))
    graph_seconds = time.perf_counter() - started
    began = time.perf_counter()
    tables = {"aws_iam_role": roles, "aws_account": [{"accountId": a} for a in accounts]}
    inputs = RuleInputs(tables, datetime.now(UTC))
    findings = [f for rule in RULES if set(rule.reads) <= set(TRUST_READS) for f in rule.findings(inputs)]
    findings_seconds = time.perf_counter() - began
    return {
        "roles": len(roles),
        "distinct_documents": len({role["trustPolicy"] for role in roles}),
        "edges": graph.edges.num_rows,
        "edge_keys": sorted(graph.edges.column("_key").to_pylist()),
        "placeholders": graph.placeholders.num_rows,
        "reachability": graph.reachability.num_rows,
        "findings": len(findings),
        "graph_seconds": graph_seconds,
        "findings_seconds": findings_seconds,
        "rss_after_inputs_mib": floor,
        "peak_rss_mib": peak_rss_mib(),
    }


def phase_baseline(args: argparse.Namespace) -> dict[str, Any]:
    from aws_assets.analysis.trust import parse_trust_policy, trust_edges

    roles = role_rows(args.accounts, args.roles_per_account)
    accounts = {role["accountId"] for role in roles}
    floor = peak_rss_mib()
    started = time.perf_counter()
    keys = []
    for role in roles:
        analysis = parse_trust_policy(role["trustPolicy"])
        keys += [edge.key for edge in trust_edges(role["_key"], role["accountId"], analysis, accounts)]
    return {
        "edges": len(keys),
        "edge_keys": sorted(keys),
        "seconds": time.perf_counter() - started,
        "rss_after_inputs_mib": floor,
        "peak_rss_mib": peak_rss_mib(),
    }


PHASES = {"product": phase_product, "baseline": phase_baseline}


def run_phase(phase: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    result = folder / f"{phase}.json"
    command = [sys.executable, __file__, "--phase", phase, "--result", str(result),
               "--accounts", str(args.accounts), "--roles-per-account", str(args.roles_per_account)]
    subprocess.run(command, check=True)
    return json.loads(result.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--roles-per-account", type=int, default=250)
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        Path(args.result).write_text(json.dumps(PHASES[args.phase](args)))
        return 0
    with tempfile.TemporaryDirectory(prefix="trust-benchmark-") as temporary:
        product = run_phase("product", args, Path(temporary))
        baseline = run_phase("baseline", args, Path(temporary))
    same = product["edge_keys"] == baseline["edge_keys"]
    total = product["graph_seconds"] + product["findings_seconds"]
    print(f"== trust analysis: {product['roles']:,} roles in {args.accounts} accounts, "
          f"{product['distinct_documents']:,} distinct trust policies ==")
    print(f"  product  build_trust_graph          {product['graph_seconds']:7.2f}s  {product['edges']:,} edges, "
          f"{product['placeholders']:,} placeholders, {product['reachability']:,} reachability rows")
    findings_seconds, findings = product["findings_seconds"], product["findings"]
    print(f"           trust findings (3 rules)   {findings_seconds:7.2f}s  {findings:,} findings")
    print(f"           total                      {total:7.2f}s  peak RSS {product['peak_rss_mib']:,.0f} MiB "
          f"(inputs {product['rss_after_inputs_mib']:,.0f} MiB)")
    print(f"  baseline role by role, edges only   {baseline['seconds']:7.2f}s  {baseline['edges']:,} edges, "
          f"peak RSS {baseline['peak_rss_mib']:,.0f} MiB (inputs {baseline['rss_after_inputs_mib']:,.0f} MiB)")
    print(f"  same TRUSTS edge keys: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

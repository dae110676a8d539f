"""API calls, seconds and peak memory of a full sync of the simulated organisation, against a baseline.

The baseline, in the same run and against the same server, is IAM collected principal by principal (ListUsers, then
per user its policies, attachments, groups; the same for groups, roles and policies), the way Cartography does it;
aws-assets reads IAM with one paginated GetAccountAuthorizationDetails per account.

    .venv/bin/python benchmarks/sync_api_calls.py [--scale N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(variable, None)

from dagster import DagsterInstance  # noqa: E402
from memory import peak_rss_mib  # noqa: E402 - beside this file

from aws_assets.aws.calls import CallCounter  # noqa: E402
from aws_assets.aws.session import assume_role_session  # noqa: E402
from aws_assets.defs.definitions import build_definitions  # noqa: E402
from aws_assets.defs.sync import sync  # noqa: E402
from aws_assets.inputs.instances import load_instances  # noqa: E402
from aws_assets.sim.organisation import seed, start_moto_server  # noqa: E402


def principal_by_principal_iam(instance) -> Counter[str]:
    """The baseline: every IAM principal and policy read with its own calls."""
    calls = CallCounter()
    session = assume_role_session(instance)
    iam = session.client("iam")
    calls.attach(iam.meta.events)

    def each(operation, key, **params):
        return [item for page in iam.get_paginator(operation).paginate(**params) for item in page[key]]

    for user in each("list_users", "Users"):
        name = user["UserName"]
        for policy in each("list_user_policies", "PolicyNames", UserName=name):
            iam.get_user_policy(UserName=name, PolicyName=policy)
        each("list_attached_user_policies", "AttachedPolicies", UserName=name)
        each("list_groups_for_user", "Groups", UserName=name)
        each("list_access_keys", "AccessKeyMetadata", UserName=name)
        each("list_mfa_devices", "MFADevices", UserName=name)
    for group in each("list_groups", "Groups"):
        name = group["GroupName"]
        for policy in each("list_group_policies", "PolicyNames", GroupName=name):
            iam.get_group_policy(GroupName=name, PolicyName=policy)
        each("list_attached_group_policies", "AttachedPolicies", GroupName=name)
        each("get_group", "Users", GroupName=name)
    for role in each("list_roles", "Roles"):
        name = role["RoleName"]
        for policy in each("list_role_policies", "PolicyNames", RoleName=name):
            iam.get_role_policy(RoleName=name, PolicyName=policy)
        each("list_attached_role_policies", "AttachedPolicies", RoleName=name)
        each("list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)
    for policy in each("list_policies", "Policies", Scope="Local"):
        iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    return Counter(calls.by_operation())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1, help="multiplier of the simulated organisation's bulk")
    args = parser.parse_args()

    server, endpoint = start_moto_server()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    started = time.monotonic()
    org = seed(endpoint, scale=args.scale)
    seed_seconds = time.monotonic() - started
    with tempfile.TemporaryDirectory() as work:
        instances_file = org.write_instances_file(Path(work) / "instances.json")
        instances = load_instances(instances_file)
        defs = build_definitions(instances_file=str(instances_file), lake_root=str(Path(work) / "lake"))
        with DagsterInstance.ephemeral() as dagster_instance:
            report = sync(instances, defs, dagster_instance)
        ours = report.calls_by_operation()
        baseline = Counter()
        for instance in instances:
            baseline.update(principal_by_principal_iam(instance))
    server.stop()

    our_iam = {op: n for op, n in ours.items() if op.startswith("iam:")}
    print(f"simulated organisation: {len(instances)} accounts, scale {args.scale}, seeded in {seed_seconds:.1f}s")
    print(f"full sync: {len(report.results)} partitions, {'ok' if report.ok else 'FAILED'}, "
          f"{report.api_calls} API calls, {report.seconds:.1f}s, peak RSS {peak_rss_mib():.0f} MiB")
    for failure in report.failures:
        print(f"  FAILED {failure.label}: {'; '.join(failure.errors)}")
    print("\nAPI calls by operation (full sync):")
    for operation, count in sorted(ours.items()):
        print(f"  {operation:<48} {count:>6}")
    print("\nIAM, aws-assets (GetAccountAuthorizationDetails) vs baseline (principal by principal):")
    print(f"  aws-assets IAM calls: {sum(our_iam.values()):>6}")
    print(f"  baseline IAM calls:   {sum(baseline.values()):>6}")
    for operation, count in sorted(baseline.items()):
        print(f"    {operation:<46} {count:>6}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

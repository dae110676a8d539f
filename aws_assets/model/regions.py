"""The regions of AWS's commercial partition, from botocore's endpoint data (GovCloud and China excluded)."""

from functools import cache

import botocore.session

COMMERCIAL_PARTITION = "aws"
GLOBAL_REGION = "global"
# Where account-wide APIs (IAM, STS, S3 ListBuckets, EC2 DescribeRegions) are called.
HOME_REGION = "us-east-1"


@cache
def commercial_regions() -> tuple[str, ...]:
    endpoints = botocore.session.get_session().get_data("endpoints")
    for partition in endpoints["partitions"]:
        if partition["partition"] == COMMERCIAL_PARTITION:
            return tuple(sorted(partition["regions"]))
    raise RuntimeError("botocore's endpoint data has no 'aws' partition")


def enabled_regions(describe_regions_response: dict) -> tuple[str, ...]:
    """Commercial regions an account can use: opt-in regions count only once the account has opted in."""
    enabled = {
        region["RegionName"]
        for region in describe_regions_response.get("Regions", [])
        if region.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    }
    return tuple(sorted(enabled & set(commercial_regions())))

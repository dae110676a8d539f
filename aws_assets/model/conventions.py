"""Conventions more than one layer needs: the internet's CIDRs, S3's public grantees, AWS managed policy keys."""

INTERNET_CIDRS = frozenset({"0.0.0.0/0", "::/0"})

PUBLIC_GRANTEES = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)

AWS_MANAGED_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def is_aws_managed(policy_arn: str) -> bool:
    return policy_arn.startswith(AWS_MANAGED_POLICY_PREFIX)


def managed_policy_key(arn: str, account_id: str) -> str:
    """An AWS managed policy has one ARN in every account, but each account's row (attachments, use) is its own."""
    return f"{arn}@{account_id}" if is_aws_managed(arn) else arn

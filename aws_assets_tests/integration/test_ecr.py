import json

from aws_assets.services import ecr
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT_ID}:repository"
ORGANIZATION_ID = "o-a1b2c3d4e5"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0b7fd7f6-0a3f-4a0b-9a6e-1a2b3c4d5e6f"


def seed_repositories(account_session) -> None:
    """`platform/base`: immutable tags, scan on push, KMS, a policy letting the organisation pull; `scratch`:
    defaults, no policy."""
    client = account_session.client("ecr", region_name=REGION)
    client.create_repository(
        repositoryName="platform/base", imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": KMS_KEY},
        tags=[{"Key": "team", "Value": "platform"}],
    )
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "OrganisationPulls", "Effect": "Allow", "Principal": "*",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
    }]}
    client.set_repository_policy(repositoryName="platform/base", policyText=json.dumps(policy))
    client.create_repository(repositoryName="scratch")


def collect(regional) -> dict[str, dict]:
    table = ecr.ECR_REPOSITORY.to_table(ecr.ECR_REPOSITORY.collect(regional), ACCOUNT_ID, REGION)
    return {row["name"]: row for row in table.to_pylist()}


def test_repositories_with_scanning_encryption_and_policy(account_session, regional):
    seed_repositories(account_session)

    rows = collect(regional)

    assert sorted(row["_key"] for row in rows.values()) == [f"{REPOSITORY_ARN}/platform/base",
                                                            f"{REPOSITORY_ARN}/scratch"]
    base = rows["platform/base"]
    assert base["_class"] == ["Repository"]
    assert base["repositoryUri"] == f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/platform/base"
    assert (base["registryId"], base["imageTagMutability"], base["scanOnPush"]) == (ACCOUNT_ID, "IMMUTABLE", True)
    assert (base["encrypted"], base["encryptionType"], base["kmsKeyId"]) == (True, "KMS", KMS_KEY)
    condition = json.loads(base["policy"])["Statement"][0]["Condition"]
    assert condition == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}
    assert dict(base["tags"]) == {"team": "platform"}
    scratch = rows["scratch"]
    assert (scratch["policy"], scratch["encryptionType"], scratch["kmsKeyId"]) == (None, "AES256", None)
    assert (scratch["imageTagMutability"], scratch["scanOnPush"]) == ("MUTABLE", False)
    assert all(row["collectionErrors"] == [] for row in rows.values())
    assert regional.calls.by_operation() == {
        "ecr:DescribeRepositories": 1, "ecr:GetRepositoryPolicy": 2, "ecr:ListTagsForResource": 2,
        "sts:AssumeRole": 1}


def test_a_refused_policy_read_keeps_the_repository(account_session, regional):
    seed_repositories(account_session)
    refuse(regional, "ecr", "GetRepositoryPolicy", "AccessDeniedException",
           lambda params: params["repositoryName"] == "platform/base")

    rows = collect(regional)

    assert rows["platform/base"]["collectionErrors"] == ["ecr:GetRepositoryPolicy: AccessDeniedException"]
    assert (rows["platform/base"]["policy"], rows["platform/base"]["scanOnPush"]) == (None, True)
    assert rows["scratch"]["collectionErrors"] == []


def test_repositories_are_read_past_the_first_page(account_session, regional):
    seed_repositories(account_session)
    repositories = account_session.client("ecr", region_name=REGION).describe_repositories()["repositories"]
    serve_in_pages(regional, "ecr", "DescribeRepositories", "repositories", lambda _: repositories,
                   token="nextToken")

    assert sorted(collect(regional)) == ["platform/base", "scratch"]
    assert regional.calls.by_operation()["ecr:DescribeRepositories"] == 2

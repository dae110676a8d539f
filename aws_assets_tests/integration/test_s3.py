import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSResponse

from aws_assets.services import s3
from aws_assets.services.s3 import BucketDetails
from aws_assets_tests.conftest import ACCOUNT_ID

ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
DETAIL_OPERATIONS = ("GetBucketEncryption", "GetPublicAccessBlock", "GetBucketPolicyStatus", "GetBucketPolicy",
                     "GetBucketAcl", "GetBucketVersioning", "GetBucketLogging", "GetBucketTagging",
                     "GetBucketOwnershipControls")


def public_read_policy(bucket: str, **statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        **statement}]})


def create_bucket(session, name: str, region: str):
    client = session.client("s3", region_name=region)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return client


def collect(aws) -> dict[str, dict]:
    rows = s3.AWS_S3_BUCKET.collect(aws)
    table = s3.AWS_S3_BUCKET.to_table(rows, ACCOUNT_ID, aws.region).to_pylist()
    return {row["name"]: row for row in table}


def expected_calls(buckets: int, **overrides: int) -> dict[str, int]:
    calls = {"sts:AssumeRole": 1, "s3:ListBuckets": 1, "s3control:GetPublicAccessBlock": 1,
             "s3:GetBucketLocation": buckets, **{f"s3:{op}": buckets for op in DETAIL_OPERATIONS}}
    calls.update(overrides)
    return dict(sorted(calls.items()))


def refuse(aws, service: str, operation: str, code: str = "AccessDenied") -> None:
    """Make AWS refuse every call of one operation; register before the collection creates its clients."""
    def answer(**_):
        http = AWSResponse(f"https://{service}.amazonaws.com", 403, {}, None)
        return http, {"Error": {"Code": code, "Message": "denied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
    aws.session._session.register(f"before-call.{service}.{operation}", answer)


def record_client_regions(aws) -> dict[str, set[str]]:
    """The regions of the clients that made each bucket's detail calls (GetBucketLocation aside)."""
    regions: dict[str, set[str]] = {}

    def record(model, params, context, **_):
        if model.name not in ("ListBuckets", "GetBucketLocation"):
            bucket = urlsplit(params["url"]).hostname.split(".s3.")[0]
            regions.setdefault(bucket, set()).add(context["client_region"])

    aws.session._session.register("before-call.s3.*", record)
    return regions


def test_public_by_policy_public_by_acl_and_private_buckets_in_their_regions(account_session, global_partition):
    by_policy = create_bucket(account_session, "acme-public-policy", "eu-west-1")
    by_policy.put_bucket_policy(Bucket="acme-public-policy", Policy=public_read_policy("acme-public-policy"))
    by_acl = create_bucket(account_session, "acme-public-acl", "us-west-2")
    by_acl.put_bucket_acl(Bucket="acme-public-acl", ACL="public-read")
    private = create_bucket(account_session, "acme-private", "us-east-1")
    key = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    private.put_bucket_encryption(Bucket="acme-private", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
        "BucketKeyEnabled": True}]})
    private.put_public_access_block(Bucket="acme-private", PublicAccessBlockConfiguration=ALL_BLOCKED)
    private.put_bucket_tagging(Bucket="acme-private", Tagging={"TagSet": [
        {"Key": "Classification", "Value": "confidential"}, {"Key": "team", "Value": "payments"}]})
    private.put_bucket_ownership_controls(
        Bucket="acme-private", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})

    client_regions = record_client_regions(global_partition)

    rows = collect(global_partition)

    assert set(rows) == {"acme-public-policy", "acme-public-acl", "acme-private"}
    assert {name: row["_key"] for name, row in rows.items()} == {
        name: f"arn:aws:s3:::{name}" for name in rows}
    assert {name: row["region"] for name, row in rows.items()} == {
        "acme-public-policy": "eu-west-1", "acme-public-acl": "us-west-2", "acme-private": "us-east-1"}
    assert client_regions == {
        "acme-public-policy": {"eu-west-1"}, "acme-public-acl": {"us-west-2"}, "acme-private": {"us-east-1"}}
    for row in rows.values():
        assert row["_class"] == ["DataStore"]
        assert row["arn"] == row["_key"]
        assert row["webLink"] == f"https://s3.console.aws.amazon.com/s3/buckets/{row['name']}"
        assert row["createdOn"].tzinfo is not None
        assert row["accountBlockPublicAccess"] is False
        assert row["collectionErrors"] == []

    policy_row = rows["acme-public-policy"]
    assert (policy_row["policyPublic"], policy_row["aclPublic"], policy_row["public"]) == (True, False, True)
    assert json.loads(policy_row["policy"])["Statement"][0]["Principal"] == "*"
    assert policy_row["encrypted"] is False  # moto sets no default encryption (AWS has since 2023)
    assert policy_row["blockPublicPolicy"] is False

    acl_row = rows["acme-public-acl"]
    assert (acl_row["policyPublic"], acl_row["aclPublic"], acl_row["public"]) == (False, True, True)
    assert acl_row["policy"] is None
    assert {"type": "Group", "grantee": ALL_USERS, "permission": "READ"} in json.loads(acl_row["aclGrants"])
    # The owner's canonical ID is the ACL's owner, the same for every bucket of the account, and its own grant's.
    assert {row["ownerId"] for row in rows.values()} == {acl_row["ownerId"]} and len(acl_row["ownerId"]) == 64
    assert {"type": "CanonicalUser", "grantee": acl_row["ownerId"], "permission": "FULL_CONTROL"} in json.loads(
        acl_row["aclGrants"])

    private_row = rows["acme-private"]
    assert (private_row["policyPublic"], private_row["aclPublic"], private_row["public"]) == (False, False, False)
    assert private_row["encrypted"] is True
    assert private_row["encryptionAlgorithm"] == "aws:kms"
    assert private_row["kmsKeyId"] == key
    assert private_row["bucketKeyEnabled"] is True
    assert [private_row[flag] for flag in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy",
                                           "restrictPublicBuckets")] == [True, True, True, True]
    assert private_row["tags"] == [("Classification", "confidential"), ("team", "payments")]
    assert private_row["classification"] == "confidential"
    assert private_row["objectOwnership"] == "BucketOwnerEnforced"
    assert rows["acme-public-acl"]["objectOwnership"] is None

    assert global_partition.calls.by_operation() == expected_calls(3)


def test_versioning_and_access_logging(account_session, global_partition):
    client = create_bucket(account_session, "acme-access-logs", "eu-west-1")
    # moto's put_bucket_logging fails when the target bucket's policy allows Principal "*": use the log ACL.
    client.put_bucket_acl(Bucket="acme-access-logs", ACL="log-delivery-write")
    create_bucket(account_session, "acme-data", "eu-west-1")
    client.put_bucket_logging(Bucket="acme-data", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "acme-access-logs", "TargetPrefix": "acme-data/"}})
    client.put_bucket_versioning(Bucket="acme-data", VersioningConfiguration={"Status": "Enabled"})
    create_bucket(account_session, "acme-suspended", "eu-west-1")
    client.put_bucket_versioning(Bucket="acme-suspended", VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_versioning(Bucket="acme-suspended", VersioningConfiguration={"Status": "Suspended"})

    rows = collect(global_partition)

    data = rows["acme-data"]
    assert (data["versioningStatus"], data["mfaDelete"]) == ("Enabled", False)
    assert (data["loggingEnabled"], data["loggingTargetBucket"], data["loggingTargetPrefix"]) == (
        True, "acme-access-logs", "acme-data/")
    assert rows["acme-suspended"]["versioningStatus"] == "Suspended"
    logs = rows["acme-access-logs"]
    assert (logs["versioningStatus"], logs["loggingEnabled"], logs["loggingTargetBucket"]) == ("Disabled", False, None)
    # The log-delivery group is not the public: granting it write access does not make the bucket public.
    assert (logs["aclPublic"], logs["public"]) == (False, False)


def test_account_public_access_block_overrides_a_public_policy(account_session, global_partition):
    client = create_bucket(account_session, "acme-website", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-website", Policy=public_read_policy("acme-website"))
    account_session.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=ALL_BLOCKED)

    row = collect(global_partition)["acme-website"]

    assert row["accountBlockPublicAccess"] is True
    assert row["restrictPublicBuckets"] is False
    assert row["policyPublic"] is True
    assert row["public"] is False


def test_block_public_policy_alone_does_not_neutralise_a_policy_already_in_place(account_session, global_partition):
    client = create_bucket(account_session, "acme-website", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-website", Policy=public_read_policy("acme-website"))
    account_session.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "BlockPublicAcls": True})

    row = collect(global_partition)["acme-website"]

    assert row["accountBlockPublicAccess"] is False
    assert row["public"] is True


def test_access_denied_on_a_detail_call_keeps_the_bucket(account_session, global_partition):
    client = create_bucket(account_session, "acme-website", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-website", Policy=public_read_policy("acme-website"))
    create_bucket(account_session, "acme-private", "eu-west-1")
    refuse(global_partition, "s3", "GetBucketPolicy")

    rows = collect(global_partition)

    assert set(rows) == {"acme-website", "acme-private"}
    website = rows["acme-website"]
    assert website["collectionErrors"] == ["s3:GetBucketPolicy: AccessDenied"]
    assert website["policy"] is None
    assert website["policyPublic"] is True  # from GetBucketPolicyStatus, which still answered
    assert website["public"] is True
    assert website["aclPublic"] is False
    assert rows["acme-private"]["collectionErrors"] == ["s3:GetBucketPolicy: AccessDenied"]
    assert global_partition.calls.by_operation() == expected_calls(2)


def test_refused_policy_status_is_judged_from_the_policy(account_session, global_partition):
    client = create_bucket(account_session, "acme-website", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-website", Policy=public_read_policy("acme-website"))
    create_bucket(account_session, "acme-vpc-only", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-vpc-only", Policy=public_read_policy(
        "acme-vpc-only", Condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))
    create_bucket(account_session, "acme-no-policy", "eu-west-1")
    refuse(global_partition, "s3", "GetBucketPolicyStatus")

    rows = collect(global_partition)

    assert {name: (row["policyPublic"], row["public"]) for name, row in rows.items()} == {
        "acme-website": (True, True), "acme-vpc-only": (False, False), "acme-no-policy": (False, False)}
    assert rows["acme-website"]["collectionErrors"] == ["s3:GetBucketPolicyStatus: AccessDenied"]


def test_refused_account_block_leaves_public_unknown_only_where_it_matters(account_session, global_partition):
    client = create_bucket(account_session, "acme-website", "eu-west-1")
    client.put_bucket_policy(Bucket="acme-website", Policy=public_read_policy("acme-website"))
    create_bucket(account_session, "acme-private", "eu-west-1")
    refuse(global_partition, "s3-control", "GetPublicAccessBlock")

    rows = collect(global_partition)

    assert {name: (row["accountBlockPublicAccess"], row["public"]) for name, row in rows.items()} == {
        "acme-website": (None, None), "acme-private": (None, False)}
    assert rows["acme-website"]["collectionErrors"] == ["s3control:GetPublicAccessBlock: AccessDenied"]


def test_never_lists_or_reads_objects(account_session, global_partition):
    secret = "sk_live_51HxQ-do-not-leak"
    client = create_bucket(account_session, "acme-secrets", "eu-west-1")
    client.put_object(Bucket="acme-secrets", Key="credentials.txt", Body=secret.encode())

    rows = collect(global_partition)

    assert set(rows) == {"acme-secrets"}
    assert global_partition.calls.by_operation() == expected_calls(1)
    assert secret not in repr(rows)
    assert "credentials.txt" not in repr(rows)


def test_follows_list_buckets_pages_and_uses_their_bucket_region(account_session, global_partition):
    # moto ignores MaxBuckets' continuation (it truncates); answer ListBuckets the way AWS pages it.
    for name, region in (("acme-a", "eu-west-1"), ("acme-b", "us-west-2"), ("acme-c", "eu-west-1")):
        create_bucket(account_session, name, region)
    created = datetime(2024, 5, 1, tzinfo=UTC)
    pages = {
        None: {"Buckets": [{"Name": "acme-a", "CreationDate": created, "BucketRegion": "eu-west-1"},
                           {"Name": "acme-b", "CreationDate": created, "BucketRegion": "us-west-2"}],
               "ContinuationToken": "page-2"},
        "page-2": {"Buckets": [{"Name": "acme-c", "CreationDate": created, "BucketRegion": "eu-west-1"}]},
    }
    requested = []

    def list_buckets(params, **_):
        query = params["query_string"]
        requested.append(query)
        page = pages[query.get("continuation-token")]
        return AWSResponse("https://s3.amazonaws.com", 200, {}, None), {**page, "ResponseMetadata": {}}

    global_partition.session._session.register("before-call.s3.ListBuckets", list_buckets)

    rows = collect(global_partition)

    assert [query.get("max-buckets") for query in requested] == [1000, 1000]
    assert {name: row["region"] for name, row in rows.items()} == {
        "acme-a": "eu-west-1", "acme-b": "us-west-2", "acme-c": "eu-west-1"}
    assert rows["acme-a"]["createdOn"] == created
    calls = expected_calls(3, **{"s3:ListBuckets": 2})
    del calls["s3:GetBucketLocation"]
    assert global_partition.calls.by_operation() == calls


@pytest.mark.parametrize(("location", "region"), [
    ({"LocationConstraint": None}, "us-east-1"),
    ({}, "us-east-1"),
    ({"LocationConstraint": "EU"}, "eu-west-1"),
    ({"LocationConstraint": "ap-southeast-2"}, "ap-southeast-2"),
    (None, None),
])
def test_location_region(location, region):
    assert s3.location_region(location) == region


def bucket(**responses) -> BucketDetails:
    """Details of a bucket whose settings all exist as empty, except the given responses."""
    empty = dict.fromkeys(("encryption", "public_access_block", "policy_status", "policy", "acl", "versioning",
                           "logging", "tagging", "ownership"), {})
    return BucketDetails(bucket={"Name": "acme"}, region="eu-west-1", **{**empty, **responses})


def test_mfa_delete_and_legacy_default_encryption_from_aws_shaped_responses():
    row = s3.bucket_row(bucket(
        versioning={"Status": "Enabled", "MFADelete": "Enabled"},
        encryption={"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}},
    ), {}, [])
    assert (row["versioningStatus"], row["mfaDelete"]) == ("Enabled", True)
    assert (row["encrypted"], row["encryptionAlgorithm"], row["kmsKeyId"], row["bucketKeyEnabled"]) == (
        True, "AES256", None, False)


@pytest.mark.parametrize(("statement", "public"), [
    ({"Effect": "Allow", "Principal": {"AWS": "*"}}, True),
    ({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "*"]}}, True),
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}}, False),
    ({"Effect": "Deny", "Principal": "*"}, False),
    ({"Effect": "Allow", "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
])
def test_policy_judged_public_without_policy_status(statement, public):
    policy = {"Policy": json.dumps({"Version": "2012-10-17", "Statement": statement})}
    row = s3.bucket_row(bucket(policy_status=None, policy=policy), {}, ["s3:GetBucketPolicyStatus: AccessDenied"])
    assert row["policyPublic"] is public
    assert row["public"] is public


def test_public_acl_ignored_by_account_block_and_unknown_when_acl_refused():
    acl = {"Grants": [{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/"
                                                       "AuthenticatedUsers"}, "Permission": "READ"}]}
    assert s3.bucket_row(bucket(acl=acl), {}, [])["public"] is True
    ignored = s3.bucket_row(bucket(acl=acl), {"PublicAccessBlockConfiguration": {"IgnorePublicAcls": True}}, [])
    assert (ignored["aclPublic"], ignored["public"], ignored["accountBlockPublicAccess"]) == (True, False, False)
    refused = s3.bucket_row(bucket(acl=None), {}, [])
    assert (refused["aclPublic"], refused["aclGrants"], refused["public"]) == (None, None, None)

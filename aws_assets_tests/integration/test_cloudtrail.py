from aws_assets.analysis.trust import COLLECTED_TARGET_TYPES, service_entity_type
from aws_assets.services import cloudtrail
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT_ID}:trail"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:cloudtrail:*"
ALL_OBJECT_EVENTS = {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}


def seed_trails(account_session) -> None:
    """`org-audit`: multi-region, validated, KMS-encrypted, to CloudWatch Logs, logging, S3 write data events by a
    basic selector; `local`: this region only, no validation, stopped, advanced selectors; `elsewhere`: in us-east-1."""
    s3 = account_session.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-trail-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    client = account_session.client("cloudtrail", region_name=REGION)
    client.create_trail(
        Name="org-audit", S3BucketName="acme-trail-logs", S3KeyPrefix="audit", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, KmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234",
        CloudWatchLogsLogGroupArn=LOG_GROUP_ARN,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/cloudtrail-to-logs",
    )
    client.start_logging(Name="org-audit")
    client.put_event_selectors(TrailName="org-audit", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True},
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": False,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]},
    ])
    client.create_trail(Name="local", S3BucketName="acme-trail-logs")
    client.put_event_selectors(TrailName="local", AdvancedEventSelectors=[
        {"Name": "management writes", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]},
        {"Name": "reads of one bucket", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, ALL_OBJECT_EVENTS,
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::acme-trail-logs/"]}]},
    ])
    account_session.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="elsewhere", S3BucketName="acme-trail-logs")


def collect(regional) -> dict[str, dict]:
    rows = cloudtrail.CLOUDTRAIL.to_table(cloudtrail.CLOUDTRAIL.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    return {row["name"]: row for row in rows}


def test_trails_of_their_home_region_with_status_and_what_they_record(account_session, regional):
    seed_trails(account_session)

    rows = collect(regional)

    assert sorted(rows) == ["local", "org-audit"]
    audit, local = rows["org-audit"], rows["local"]
    assert (audit["_key"], audit["_class"], audit["homeRegion"]) == (f"{TRAIL_ARN}/org-audit", ["Logs"], REGION)
    assert (audit["isMultiRegionTrail"], audit["logFileValidationEnabled"], audit["encrypted"]) == (True, True, True)
    assert audit["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234"
    assert (audit["s3BucketName"], audit["s3KeyPrefix"]) == ("acme-trail-logs", "audit")
    assert audit["cloudWatchLogsLogGroupArn"] == LOG_GROUP_ARN
    assert (audit["isLogging"], local["isLogging"]) == (True, False)
    assert (audit["managementReadEvents"], audit["managementWriteEvents"]) == (True, True)
    assert (audit["allS3ObjectReadEvents"], audit["allS3ObjectWriteEvents"]) == (False, True)
    assert audit["advancedEventSelectors"] is None
    assert (local["isMultiRegionTrail"], local["logFileValidationEnabled"], local["encrypted"]) == (False, False, False)
    # Advanced selectors: management writes only; reads of one bucket are not every bucket's.
    assert (local["managementReadEvents"], local["managementWriteEvents"]) == (False, True)
    assert (local["allS3ObjectReadEvents"], local["allS3ObjectWriteEvents"]) == (False, False)
    assert local["cloudWatchLogsLogGroupArn"] is None
    assert all(row["collectionErrors"] == [] for row in rows.values())
    assert regional.calls.by_operation() == {"cloudtrail:DescribeTrails": 1, "cloudtrail:GetTrailStatus": 2,
                                             "cloudtrail:GetEventSelectors": 2, "sts:AssumeRole": 1}


def test_a_refused_status_keeps_the_trail(account_session, regional):
    seed_trails(account_session)
    refuse(regional, "cloudtrail", "GetTrailStatus", "AccessDeniedException",
           lambda params: params["Name"].endswith("/local"))

    rows = collect(regional)

    assert rows["local"]["collectionErrors"] == ["cloudtrail:GetTrailStatus: AccessDeniedException"]
    assert rows["local"]["isLogging"] is None
    assert rows["local"]["managementWriteEvents"] is True
    assert rows["org-audit"]["isLogging"] is True


def test_a_region_without_trails_has_no_rows(regional):
    assert collect(regional) == {}


def test_a_trail_without_selectors_records_what_aws_records_by_default():
    assert cloudtrail.selector_columns({"EventSelectors": [], "AdvancedEventSelectors": []}) == {
        "eventSelectors": '[{"DataResources": [], "IncludeManagementEvents": true, "ReadWriteType": "All"}]',
        "advancedEventSelectors": None, "managementReadEvents": True, "managementWriteEvents": True,
        "allS3ObjectReadEvents": False, "allS3ObjectWriteEvents": False}


def test_advanced_selectors_count_only_what_records_every_event_of_its_kind():
    every_object = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, ALL_OBJECT_EVENTS]}]
    without_kms = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                       {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]
    only_reads = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, ALL_OBJECT_EVENTS,
                                      {"Field": "readOnly", "Equals": ["true"]}]}]

    assert cloudtrail.advanced_coverage(every_object) == {
        "managementRead": False, "managementWrite": False, "s3Read": True, "s3Write": True}
    assert not any(cloudtrail.advanced_coverage(without_kms).values())
    assert cloudtrail.advanced_coverage(only_reads) == {
        "managementRead": False, "managementWrite": False, "s3Read": True, "s3Write": False}


def test_a_basic_selector_of_some_buckets_is_not_every_bucket():
    some = [{"ReadWriteType": "All", "IncludeManagementEvents": False,
             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::acme-data/"]}]}]

    assert not any(cloudtrail.basic_coverage(some).values())


def test_another_accounts_organisation_trail_is_its_owners_row():
    theirs = {"TrailARN": f"arn:aws:cloudtrail:{REGION}:999988887777:trail/org", "HomeRegion": REGION}
    ours_elsewhere = {"TrailARN": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT_ID}:trail/org", "HomeRegion": "us-east-1"}

    assert not cloudtrail.owned_here(theirs, ACCOUNT_ID, REGION)
    assert not cloudtrail.owned_here(ours_elsewhere, ACCOUNT_ID, REGION)
    assert cloudtrail.owned_here(ours_elsewhere, ACCOUNT_ID, "us-east-1")


def test_a_trust_of_cloudtrail_points_at_the_accounts_cloudtrail_service_not_a_trail():
    assert service_entity_type("cloudtrail.amazonaws.com") == "aws_cloudtrail_service"
    assert "aws_cloudtrail_service" in COLLECTED_TARGET_TYPES

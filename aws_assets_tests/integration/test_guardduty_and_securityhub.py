from aws_assets.services import guardduty, securityhub
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse


def collect(regional, entity_type) -> list[dict]:
    return entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()


def test_an_enabled_detector(account_session, regional):
    client = account_session.client("guardduty", region_name=REGION)
    detector_id = client.create_detector(Enable=True, FindingPublishingFrequency="SIX_HOURS")["DetectorId"]

    [row] = collect(regional, guardduty.DETECTOR)

    assert row["_key"] == f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detector/{detector_id}"
    assert (row["detectorId"], row["enabled"], row["status"]) == (detector_id, True, "ENABLED")
    assert (row["findingPublishingFrequency"], row["_class"]) == ("SIX_HOURS", ["Control"])
    assert row["createdOn"] is not None
    assert regional.calls.by_operation() == {"guardduty:ListDetectors": 1, "guardduty:GetDetector": 1,
                                             "sts:AssumeRole": 1}


def test_a_suspended_detector_is_not_enabled(account_session, regional):
    account_session.client("guardduty", region_name=REGION).create_detector(Enable=False)

    [row] = collect(regional, guardduty.DETECTOR)

    assert (row["enabled"], row["status"]) == (False, "DISABLED")


def test_a_region_without_a_detector_is_a_row_saying_so(account_session, regional):
    account_session.client("guardduty", region_name="us-east-1").create_detector(Enable=True)  # another region's

    [row] = collect(regional, guardduty.DETECTOR)

    assert row["_key"] == f"aws_guardduty_detector:{ACCOUNT_ID}:{REGION}"
    assert (row["enabled"], row["detectorId"], row["region"]) == (False, None, REGION)


def test_a_refused_detector_read_keeps_the_detector_and_says_why(account_session, regional):
    account_session.client("guardduty", region_name=REGION).create_detector(Enable=True)
    refuse(regional, "guardduty", "GetDetector", "AccessDeniedException", lambda _: True)

    [row] = collect(regional, guardduty.DETECTOR)

    assert (row["enabled"], row["collectionErrors"]) == (None, ["guardduty:GetDetector: AccessDeniedException"])


def test_a_subscribed_hub(account_session, regional):
    account_session.client("securityhub", region_name=REGION).enable_security_hub(EnableDefaultStandards=False)

    [row] = collect(regional, securityhub.HUB)

    assert row["_key"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:hub/default"
    assert (row["enabled"], row["autoEnableControls"], row["controlFindingGenerator"]) == (
        True, True, "SECURITY_CONTROL")
    assert row["createdOn"] is not None


def test_a_region_not_subscribed_to_security_hub_is_a_row_saying_so(regional):
    [row] = collect(regional, securityhub.HUB)

    assert row["_key"] == f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:hub/default"
    assert (row["enabled"], row["createdOn"], row["autoEnableControls"]) == (False, None, None)
    assert regional.calls.by_operation() == {"securityhub:DescribeHub": 1, "sts:AssumeRole": 1}

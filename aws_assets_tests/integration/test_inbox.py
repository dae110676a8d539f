"""The inbox (a directory, or an SQS queue on moto), the registry file, and purging an account from the lake."""

import json
import stat

import boto3
import pyarrow as pa
import pytest

from aws_assets.inputs.inbox import DirectoryInbox, InboxError, SqsInbox, open_inbox
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import load_registry, save_registry
from aws_assets.lake.storage import Lake

ROLE = "arn:aws:iam::111111111111:role/aws-assets-readonly"
SECRET = "s3cr3t-external-id"
BODY = json.dumps({"action": "create", "roleArn": ROLE, "externalId": SECRET})


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_directory_inbox_reads_json_files_in_name_order_and_skips_dot_files(tmp_path):
    (tmp_path / "b.json").write_text(BODY)
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / ".c.json").write_text(BODY)  # still being written
    (tmp_path / "notes.txt").write_text("not an event")
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "old.json").write_text(BODY)
    assert [m.name for m in DirectoryInbox(tmp_path).receive()] == ["a.json", "b.json"]


def test_accepted_event_moves_to_processed_with_its_external_id_redacted(tmp_path):
    (tmp_path / "prod.json").write_text(BODY)
    inbox = DirectoryInbox(tmp_path)
    for _ in range(2):  # the same name twice keeps both records
        (tmp_path / "prod.json").write_text(BODY)
        [message] = inbox.receive()
        inbox.accept(message)
    assert not (tmp_path / "prod.json").exists()
    assert sorted(p.name for p in inbox.processed.iterdir()) == ["prod.2.json", "prod.json"]
    record = inbox.processed / "prod.json"
    assert json.loads(record.read_text()) == {"action": "create", "roleArn": ROLE, "externalId": "<redacted>"}
    assert mode(record) == 0o600


def test_rejected_event_moves_as_it_is_next_to_its_reason(tmp_path):
    (tmp_path / "bad.json").write_text("{oops")
    inbox = DirectoryInbox(tmp_path)
    [message] = inbox.receive()
    inbox.reject(message, "bad.json:1:2: not valid JSON")
    assert (inbox.rejected / "bad.json").read_text() == "{oops"
    assert mode(inbox.rejected / "bad.json") == 0o600
    assert (inbox.rejected / "bad.json.reason.txt").read_text() == "bad.json:1:2: not valid JSON\n"


def test_a_missing_directory_is_made_the_inbox(tmp_path):
    inbox = open_inbox(str(tmp_path / "data" / "inbox"))
    assert inbox.receive() == []
    assert (tmp_path / "data" / "inbox").is_dir()
    assert inbox.nothing_received() == f"no events in {tmp_path / 'data' / 'inbox'}"


def test_an_inbox_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "data").write_text("a file where the inbox's folder should be")
    with pytest.raises(InboxError, match=f"^cannot create the inbox {tmp_path / 'data' / 'inbox'}: Not a directory$"):
        open_inbox(str(tmp_path / "data" / "inbox")).receive()


@pytest.fixture
def queue(moto):
    return boto3.client("sqs", region_name="eu-west-1").create_queue(QueueName="instance-events")["QueueUrl"]


def test_sqs_inbox_receives_every_message_in_batches_and_deletes_what_it_accepts(queue, tmp_path):
    client = boto3.client("sqs", region_name="eu-west-1")
    for i in range(23):
        client.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": i}))
    inbox = open_inbox(queue, str(tmp_path / "rejected"))
    assert isinstance(inbox, SqsInbox)
    messages = inbox.receive()
    assert sorted(json.loads(m.body)["n"] for m in messages) == list(range(23))
    for message in messages:
        inbox.accept(message)
    attributes = client.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == (
        "0", "0")


def test_sqs_rejection_is_recorded_redacted_and_the_message_deleted(queue, tmp_path):
    client = boto3.client("sqs", region_name="eu-west-1")
    client.send_message(QueueUrl=queue, MessageBody=BODY)
    client.send_message(QueueUrl=queue, MessageBody="{not json " + SECRET)
    inbox = open_inbox(queue, str(tmp_path / "rejected"))
    messages = inbox.receive()
    for message in messages:
        inbox.reject(message, f"{message.name}: the reason")
    records = {p.name: p.read_text() for p in (tmp_path / "rejected").iterdir()}
    assert len(records) == 3  # the JSON one is kept redacted; of the other, only the reason
    for message in messages:
        assert records[f"{message.name}.json.reason.txt"] == f"{message.name}: the reason\n"
    assert not any(SECRET in text for text in records.values())
    assert "<redacted>" in "".join(records.values())
    assert client.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_queue_region_comes_from_the_queue_url(moto):
    inbox = open_inbox("https://sqs.ap-southeast-2.amazonaws.com/123456789012/events")
    assert inbox._client().meta.region_name == "ap-southeast-2"


def test_registry_round_trips_and_is_private(tmp_path):
    registry = {"111111111111": Instance(ROLE, SECRET, "prod", ("eu-west-1",)),
                "222222222222": Instance("arn:aws:iam::222222222222:role/r", "other-id")}
    for name in ("instances.json", "instances.yaml"):
        save_registry(tmp_path / name, registry)
        assert load_registry(tmp_path / name) == registry
        assert list(load_registry(tmp_path / name)) == ["111111111111", "222222222222"]
        assert mode(tmp_path / name) == 0o600
    assert load_registry(tmp_path / "absent.json") == {}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_delete_account_removes_its_partitions_from_every_table_only(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    table = pa.table({"_key": ["k"]})
    lake.write_partition("aws_vpc", "111111111111", "eu-west-1", table)
    lake.write_partition("aws_vpc", "222222222222", "eu-west-1", table)
    lake.write_partition("aws_iam_role", "111111111111", None, table)
    lake.write_table("aws_vpc_contains_subnet", table)
    removed = lake.delete_account("111111111111")
    assert removed == [f"{lake.url}/aws_iam_role/account=111111111111", f"{lake.url}/aws_vpc/account=111111111111"]
    assert lake.partition_files("aws_vpc") == [lake.partition_path("aws_vpc", "222222222222", "eu-west-1")]
    assert lake.partition_files("aws_iam_role") == []
    assert lake.has_table("aws_vpc_contains_subnet")
    assert lake.delete_account("111111111111") == []


def test_a_queue_that_cannot_be_read_is_a_clear_error(moto):
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/no-such-queue"
    with pytest.raises(InboxError) as error:
        open_inbox(url).receive()
    assert str(error.value).startswith(f"cannot receive messages from the inbox queue {url}: An error occurred "
                                       "(AWS.SimpleQueueService.NonExistentQueue)")

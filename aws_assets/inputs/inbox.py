"""Where integration instance events arrive: a local directory, or an SQS queue.

Directory: every `*.json` file directly in it (dot-files are skipped, so a writer can write `.name.json` and rename
it), in name order. An accepted event moves to `processed/`, its external ID redacted; a rejected one moves, as it
is, to `rejected/` (so that it can be fixed and dropped back), next to `<name>.reason.txt`.

SQS (any http:// or https:// location is a queue URL): an accepted message is deleted; a rejected one is recorded
in the rejected directory (`<message id>.json` with the external ID redacted, when it is a JSON object, and
`<message id>.reason.txt`) and then deleted, so that it does not come back on every tick.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from aws_assets.inputs.events import redact
from aws_assets.model.settings import settings

PROCESSED = "processed"
REJECTED = "rejected"
REASON_SUFFIX = ".reason.txt"
SQS_BATCH = 10  # the most ReceiveMessage returns at once
MAX_MESSAGES_PER_TICK = 100


class InboxError(RuntimeError):
    """The inbox cannot be read or answered; the message names it and the reason."""


@dataclass(frozen=True)
class Message:
    name: str  # how logs and rejections name the event: its file name, or its SQS message ID
    body: bytes | str
    handle: str  # the file's path, or the SQS receipt handle
    unreadable: str | None = None  # why the body could not be read, if it could not


class Inbox(Protocol):
    location: str

    def receive(self) -> list[Message]: ...

    def accept(self, message: Message) -> None: ...

    def reject(self, message: Message, reason: str) -> None: ...

    def nothing_received(self) -> str: ...


def _free_path(directory: Path, name: str) -> Path:
    """`directory/name`, or `stem.2.json`, ... when an earlier event of that name is kept there."""
    candidate, stem, suffix, n = directory / name, Path(name).stem, Path(name).suffix, 1
    while candidate.exists():
        n += 1
        candidate = directory / f"{stem}.{n}{suffix}"
    return candidate


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def record_rejection(directory: Path, name: str, body: bytes | str, reason: str) -> None:
    """Writes `<name>.reason.txt`, and `<name>`: the event's JSON with the external ID redacted, if it is JSON."""
    target = _free_path(directory, name)
    if (redacted := redact(body)) is not None:
        _write_private(target, redacted)
    _write_private(target.with_name(target.name + REASON_SUFFIX), reason + "\n")


@dataclass
class DirectoryInbox:
    path: Path

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def processed(self) -> Path:
        return self.path / PROCESSED

    @property
    def rejected(self) -> Path:
        return self.path / REJECTED

    def receive(self) -> list[Message]:
        # Made on first use, as its message used to ask the user to do every 30 s: where events are dropped.
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InboxError(f"cannot create the inbox {self.path}: {error.strerror or error}") from None
        messages = []
        for file in sorted(self.path.glob("*.json")):
            if file.name.startswith(".") or not file.is_file():
                continue
            try:
                messages.append(Message(file.name, file.read_bytes(), str(file)))
            except OSError as error:
                messages.append(Message(file.name, b"", str(file), unreadable=f"{file}: cannot read: {error.strerror}"))
        return messages

    def accept(self, message: Message) -> None:
        _write_private(_free_path(self.processed, message.name), redact(message.body))
        os.remove(message.handle)

    def reject(self, message: Message, reason: str) -> None:
        self.rejected.mkdir(parents=True, exist_ok=True)
        target = _free_path(self.rejected, message.name)
        shutil.move(message.handle, target)
        os.chmod(target, 0o600)
        _write_private(target.with_name(target.name + REASON_SUFFIX), reason + "\n")

    def nothing_received(self) -> str:
        return f"no events in {self.path}"


def _queue_region(queue_url: str) -> str | None:
    """`sqs.<region>.amazonaws.com` names its region; another host (moto, LocalStack) leaves it to the environment."""
    parts = (urlparse(queue_url).hostname or "").split(".")
    return parts[1] if len(parts) > 3 and parts[0] == "sqs" else None


@dataclass
class SqsInbox:
    queue_url: str
    rejected: Path
    session: boto3.Session

    @property
    def location(self) -> str:
        return self.queue_url

    def _client(self):
        return self.session.client("sqs", region_name=_queue_region(self.queue_url) or self.session.region_name)

    def receive(self) -> list[Message]:
        client, messages = self._client(), []
        while len(messages) < MAX_MESSAGES_PER_TICK:
            batch = self._call("receive messages from", client.receive_message, QueueUrl=self.queue_url,
                               MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=0).get("Messages", [])
            messages += [Message(m["MessageId"], m["Body"], m["ReceiptHandle"]) for m in batch]
            if len(batch) < SQS_BATCH:
                break
        return messages

    def accept(self, message: Message) -> None:
        self._delete(message)

    def reject(self, message: Message, reason: str) -> None:
        record_rejection(self.rejected, f"{message.name}.json", message.body, reason)
        self._delete(message)

    def _delete(self, message: Message) -> None:
        self._call(f"delete message {message.name} from", self._client().delete_message, QueueUrl=self.queue_url,
                   ReceiptHandle=message.handle)

    def _call(self, what: str, operation, **parameters) -> dict:
        try:
            return operation(**parameters)
        except (ClientError, BotoCoreError) as error:
            raise InboxError(f"cannot {what} the inbox queue {self.queue_url}: {error}") from None

    def nothing_received(self) -> str:
        return f"no messages in {self.queue_url}"


def open_inbox(location: str, rejected: str | None = None, profile: str | None = None) -> Inbox:
    """A queue for an http(s) URL, else a directory; `rejected` is where SQS rejections are recorded (default
    $AWS_ASSETS_REJECTED)."""
    if location.startswith(("https://", "http://")):
        rejected_dir = Path(rejected or settings().rejected_dir)
        return SqsInbox(location, rejected_dir, boto3.Session(profile_name=profile))
    return DirectoryInbox(Path(location))

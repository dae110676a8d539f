"""Takes the events of an inbox into the registry: which accounts to sync, to add to or remove from the `accounts`
partitions, and which data to purge. No Dagster here: the `instance_events` sensor turns the result into runs.

Order matters for what a crash leaves behind: the registry is written first, then data is purged, then events are
acknowledged. An event that was not acknowledged comes back and changes nothing the second time, except that an
account registered but not yet in the partitions (its runs were never requested) is synced then, and a delete
removes partitions and purges data even when the registry no longer holds the account.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from aws_assets.inputs.events import DELETE, Change, EventError, apply_event, parse_event
from aws_assets.inputs.inbox import Inbox
from aws_assets.inputs.instances import Instance, regions_to_request
from aws_assets.inputs.registry import load_registry, save_registry
from aws_assets.lake.storage import Lake


class Log(Protocol):
    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


@dataclass
class Intake:
    received: int = 0
    to_sync: dict[str, tuple[str, ...]] = field(default_factory=dict)  # account -> regions to request runs for
    to_add: list[str] = field(default_factory=list)  # accounts to add to the `accounts` partitions
    to_remove: list[str] = field(default_factory=list)  # accounts to remove from them
    purged: dict[str, list[str]] = field(default_factory=dict)  # account -> lake directories removed
    rejected: dict[str, str] = field(default_factory=dict)  # event name -> reason


def _sync_regions(new: Instance, previous: Instance | None) -> tuple[str, ...]:
    """A region dropped from the instance's list is synced once more, so that it shows as not collected."""
    regions = set(regions_to_request(new))
    if previous is not None:
        regions |= set(regions_to_request(previous))
    return tuple(sorted(regions))


def take_in(inbox: Inbox, registry_file: str, lake: Lake, partitioned: Collection[str], log: Log) -> Intake:
    registry = load_registry(registry_file)
    original = registry
    intake = Intake()
    messages = inbox.receive()
    intake.received = len(messages)
    accepted, rejected, deleted, purge = [], [], set(), set()
    for message in messages:
        try:
            if message.unreadable:
                raise EventError(message.unreadable)
            event = parse_event(message.body, message.name)
            previous = registry.get(event.account_id)
            registry, change = apply_event(registry, event, message.name)
        except EventError as error:
            rejected.append((message, str(error)))
            log.warning(f"rejected {error}")
            continue
        accepted.append(message)
        account = event.account_id
        if event.action == DELETE:
            intake.to_sync.pop(account, None)
            deleted.add(account)
            if event.purge_data:
                purge.add(account)
            else:
                purge.discard(account)
            log.info(_deleted_note(message.name, account, change, event.purge_data, lake))
            continue
        deleted.discard(account)
        purge.discard(account)
        needs_sync = change is not Change.UNCHANGED or account not in partitioned
        if needs_sync:
            regions = _sync_regions(event.instance, previous)
            intake.to_sync[account] = tuple(sorted(set(intake.to_sync.get(account, ())) | set(regions)))
        log.info(_registered_note(message.name, event.instance, change, needs_sync))

    intake.to_add = sorted(account for account in intake.to_sync if account not in partitioned)
    intake.to_remove = sorted(account for account in deleted if account in partitioned)
    if registry != original:
        save_registry(registry_file, registry)
    for account in sorted(purge):
        intake.purged[account] = lake.delete_account(account)
        log.info(f"purged account {account}: removed {len(intake.purged[account])} table directories from {lake.url}")
    for message in accepted:
        inbox.accept(message)
    for message, reason in rejected:
        inbox.reject(message, reason)
        intake.rejected[message.name] = reason
    return intake


def _registered_note(name: str, instance: Instance, change: Change, syncing: bool) -> str:
    regions = ", ".join(instance.regions) if instance.regions else "every enabled region"
    if change is Change.UNCHANGED:
        what = f"{name}: account {instance.label} is registered as the event gives it"
        return f"{what}, but not partitioned yet: syncing it ({regions})" if syncing else f"{what}: nothing to do"
    return f"{name}: {change.value} account {instance.label} in the registry; syncing it ({regions})"


def _deleted_note(name: str, account: str, change: Change, purge_data: bool, lake: Lake) -> str:
    if change is Change.NOT_REGISTERED:
        what = f"{name}: account {account} is not registered"
    else:
        what = f"{name}: deleted account {account} from the registry and the accounts partitions"
    if purge_data:
        return f"{what}; its data is removed from the lake {lake.url}"
    return f"{what}; its data stays in the lake {lake.url} (an event with \"purgeData\": true removes it)"

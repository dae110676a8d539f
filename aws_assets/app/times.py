"""The times the commands take: `sql --as-of TIMESTAMP`, `changes --since DURATION|TIMESTAMP`, `prune --days N`
(argparse types: a bad value is a one-line usage error). Light to import: the CLI imports it for every command."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 time (`2026-12-01`, `2026-12-01T08:00`, `...Z`, `...+01:00`); without a zone, UTC."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: expected ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00:00Z") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A duration back from now (`1d`, `12h`, `2w`, `1d12h`, `30m`) or a time (parse_timestamp)."""
    match = DURATION.match(text)
    if match and any(match.groups()):
        weeks, days, hours, minutes = (int(part or 0) for part in match.groups())
        delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
        return (now or datetime.now(UTC)) - delta
    try:
        return parse_timestamp(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a duration (1d, 12h, 2w, 1d12h) nor an ISO 8601 time") from None


def positive_days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of days, 1 or more")
    return int(text)

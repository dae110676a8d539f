"""Counting every AWS API call a collection makes, through botocore's event system."""

from __future__ import annotations

import threading
from collections import Counter


class CallCounter:
    """Counts API calls by `service:Operation`.

    Attach it to a client's event system (`client.meta.events`), or to a botocore session before creating clients:
    clients copy the session's handlers when they are created.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._retries: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()

    def attach(self, events) -> None:
        events.register("before-call.*.*", self._on_call)

    def _on_call(self, model, **_kwargs) -> None:
        operation = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self._calls[operation] += 1

    def record_retry(self, operation: str, *, throttled: bool) -> None:
        with self._lock:
            self._retries[operation] += 1
            if throttled:
                self._throttled[operation] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._calls.values())

    def by_operation(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def retries_by_operation(self) -> dict[str, int]:
        """Requests sent again after an error, by `service:Operation`: attempts beyond the calls counted."""
        with self._lock:
            return dict(sorted(self._retries.items()))

    def throttled_by_operation(self) -> dict[str, int]:
        """Requests AWS throttled and that were sent again, by `service:Operation`."""
        with self._lock:
            return dict(sorted(self._throttled.items()))

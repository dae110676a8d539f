"""One botocore client class per service for the whole process, instead of one per client.

botocore builds a new class for every client it creates, with a method and a docstring object for each of the
service's operations (EC2 has about 700). A sync creates a client per service and partition, so at organisation
scale building those classes was a quarter of the sync's CPU (the profile of `benchmarks/sync_scale.py`). The
class depends only on the service's model and on the `creating-client-class` handlers, which are boto3's own and
the same in every session; each client still has its own credentials, region, endpoint, configuration and event
handlers (the instance's, not the class's). So the first class built for a service and API version is kept and
given to every later client of it.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.client import ClientCreator

_classes: dict[tuple[str, str], type] = {}
_lock = threading.Lock()
_build_class = ClientCreator._create_client_class


def _shared_client_class(creator: ClientCreator, service_name: str, service_model: Any) -> type:
    key = (service_name, service_model.api_version)
    with _lock:
        if key not in _classes:
            _classes[key] = _build_class(creator, service_name, service_model)
        return _classes[key]


def share_client_classes() -> None:
    """Installs the shared classes for every botocore session of the process (idempotent)."""
    ClientCreator._create_client_class = _shared_client_class  # type: ignore[method-assign]

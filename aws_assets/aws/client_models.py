"""One botocore service model and client class per service for the whole process, instead of one per client.

botocore builds, for every client it creates, a new `ServiceModel` from the service's JSON and a new class with a
method and a docstring object for each of the service's operations (EC2 has about 700), and the new model then
walks every operation again to find whether the service uses endpoint discovery. A sync creates a client per
service and partition (about 13 per regional partition), so at organisation scale this was a third of the sync's
CPU (the profile of `benchmarks/sync_scale.py`). The model and the class depend only on the service's JSON, read
by the process's one loader (`session._shared_loader`), and on the `creating-client-class` handlers, which are
boto3's own and the same in every session; each client still has its own credentials, region, endpoint,
configuration and event handlers (the instance's, not the class's or the model's). So the first model and class
built for a service and API version are kept and given to every later client of it.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.client import ClientCreator

# Keyed by the loader's id; the loader is kept with its model so that the id cannot be reused while the key lives.
_models: dict[tuple[int, str, str | None], tuple[Any, Any]] = {}
_classes: dict[tuple[str, str], type] = {}
_lock = threading.Lock()
_build_class = ClientCreator._create_client_class
_load_model = ClientCreator._load_service_model


def _shared_client_class(creator: ClientCreator, service_name: str, service_model: Any) -> type:
    key = (service_name, service_model.api_version)
    with _lock:
        if key not in _classes:
            _classes[key] = _build_class(creator, service_name, service_model)
        return _classes[key]


def _shared_service_model(creator: ClientCreator, service_name: str, api_version: str | None = None) -> Any:
    key = (id(creator._loader), service_name, api_version)  # one model per loader: its JSON is the loader's
    with _lock:
        if key not in _models:
            _models[key] = (creator._loader, _load_model(creator, service_name, api_version))
        return _models[key][1]


def share_client_models() -> None:
    """Installs the shared models and classes for every botocore session of the process (idempotent)."""
    ClientCreator._create_client_class = _shared_client_class  # type: ignore[method-assign]
    ClientCreator._load_service_model = _shared_service_model  # type: ignore[method-assign]

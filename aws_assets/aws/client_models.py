"""One botocore service model and client class per service for the whole process, instead of one per client.

botocore builds, for every client it creates, a new `ServiceModel` from the service's JSON and a new class with a
method and a docstring object for each of the service's operations (EC2 has about 700), and the new model then
walks every operation again to find whether the service uses endpoint discovery. A sync creates a client per
service and partition (about 13 per regional partition), so at organisation scale this was a third of the sync's
CPU (the profile of `benchmarks/sync_scale.py`). The model and the class depend only on the service's JSON, read
by the process's one loader (`session.new_botocore_session`), and on the `creating-client-class` handlers, which are
boto3's own and the same in every session; each client still has its own credentials, region, endpoint,
configuration and event handlers (the instance's, not the class's or the model's). So the first model and class
built for a service and API version are kept and given to every later client of it.

Two more of a client's costs are the same for every client of a service, and were half the sync's CPU at 200 x 4
(the profile of `benchmarks/sync_scale.py`): botocore parses the service's endpoint rule set into a new
`EndpointProvider` (whose resolved endpoints it then caches per provider), and it copies the session's event
handlers with `copy.copy` on every list of the handler trie. The provider depends only on the rule set and the
partitions, read once by the loader, and resolves from its arguments alone, so one is kept per rule set; the
handlers are copied by a walk of the trie that builds the same dicts and lists without `copy.copy`.

A model is kept with its loader for the life of the process, so every session should read with the one loader
(`session.new_botocore_session`): a session with a loader of its own keeps, through its models, every document it
read (about 45 MiB an account when the benchmark's seeder made a plain `boto3.Session` per account).
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.regions
from botocore.client import ClientCreator
from botocore.hooks import NodeList, _PrefixTrie

# Keyed by the loader's id; the loader is kept with its model so that the id cannot be reused while the key lives.
_models: dict[tuple[int, str, str | None], tuple[Any, Any]] = {}
_classes: dict[tuple[str, str], type] = {}
_lock = threading.Lock()
_providers: dict[tuple[int, int, frozenset[str]], tuple[Any, Any, Any]] = {}
_build_class = ClientCreator._create_client_class
_load_model = ClientCreator._load_service_model
_new_provider = botocore.regions.EndpointProvider


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


def _shared_endpoint_provider(ruleset_data: Any, partition_data: Any, excluded_params: Any = None) -> Any:
    # Keyed by the data's ids; the data is kept with its provider so that the ids cannot be reused while it lives.
    key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
    with _lock:
        if key not in _providers:
            _providers[key] = (ruleset_data, partition_data,
                               _new_provider(ruleset_data, partition_data, excluded_params=excluded_params))
        return _providers[key][2]


def _copied_node(node: dict) -> dict:
    copied: dict = {}
    for key, value in node.items():
        if isinstance(value, NodeList):
            copied[key] = NodeList(list(value.first), list(value.middle), list(value.last))
        elif isinstance(value, dict):
            copied[key] = _copied_node(value)
        else:
            copied[key] = value
    return copied


def _copy_trie(trie: _PrefixTrie) -> _PrefixTrie:
    """What `_PrefixTrie.__copy__` makes: the trie's structure copied, its handlers shared."""
    copied = trie.__class__()
    copied.__dict__ = _copied_node(trie.__dict__)
    return copied


def share_client_models() -> None:
    """Installs the shared models, classes and endpoint providers, and the faster copy of the event handlers, for
    every botocore session of the process (idempotent)."""
    ClientCreator._create_client_class = _shared_client_class  # type: ignore[method-assign]
    ClientCreator._load_service_model = _shared_service_model  # type: ignore[method-assign]
    botocore.regions.EndpointProvider = _shared_endpoint_provider  # type: ignore[misc,assignment]
    _PrefixTrie.__copy__ = _copy_trie  # type: ignore[method-assign]

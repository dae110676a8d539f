"""The registry of integration instances is the instances file itself, so `aws-assets sync`, `dagster dev` and the
`AwsAccounts` resource read what the events registered. It holds the external IDs: it is written atomically and
readable by its owner only."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml

from aws_assets.inputs.instances import Instance, load_instances


def load_registry(path: str | Path) -> dict[str, Instance]:
    """Account ID -> instance, in file order; a registry not written yet is empty, a malformed one an InstanceError."""
    if not Path(path).exists():
        return {}
    return {instance.account_id: instance for instance in load_instances(path)}


def instance_mapping(instance: Instance) -> dict:
    mapping = {"name": instance.name} if instance.name else {}
    mapping.update(roleArn=instance.role_arn, externalId=instance.external_id)
    if instance.regions is not None:
        mapping["regions"] = list(instance.regions)
    if instance.organization is not None:
        mapping["organization"] = instance.organization.as_mapping()
    if instance.zone_of_trust is not None:
        mapping["zoneOfTrust"] = instance.zone_of_trust
    return mapping


def save_registry(path: str | Path, registry: dict[str, Instance]) -> None:
    """Replace the file: readers see the old registry or the new one, never a half-written one."""
    path = Path(path)
    mappings = [instance_mapping(instance) for instance in registry.values()]
    if path.suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(mappings, sort_keys=False)
    else:
        text = json.dumps(mappings, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, before the external IDs are written into it.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

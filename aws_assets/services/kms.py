"""KMS keys of one region, customer managed and AWS managed, with their key policies, rotation and aliases.

Calls per account and region: kms:ListKeys and kms:ListAliases, each paginated (one call per 1,000 keys or
aliases); then per key, concurrently: kms:DescribeKey, kms:GetKeyPolicy (the `default` policy, the only name KMS
has), kms:GetKeyRotationStatus (symmetric encryption keys only: AWS supports automatic rotation of no other kind) and,
for customer managed keys, kms:ListResourceTags (AWS managed keys carry no tags). Nothing that uses a key (Encrypt,
Decrypt, GenerateDataKey, Sign, ...) is ever called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link, policy_json, tags_from_list

# The most ListKeys and ListAliases return per call.
LIST_PAGE_SIZE = 1000
# A key policy's only name (GetKeyPolicy's PolicyName).
DEFAULT_POLICY_NAME = "default"
# The one key spec whose keys AWS rotates automatically (symmetric encryption keys).
ROTATABLE_KEY_SPEC = "SYMMETRIC_DEFAULT"


@dataclass
class KeyDetails:
    """A listed key's detail responses; None where AWS refused the call or the key cannot have it."""

    key_id: str
    key_arn: str
    metadata: dict[str, Any] | None = None
    policy: str | None = None
    rotation: dict[str, Any] | None = None
    tags: list[dict[str, str]] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def aliases_by_key(aliases: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Alias names by the key ID they point to; aliases AWS reserves without a key yet point to none."""
    by_key: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.get("TargetKeyId"):
            by_key.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    return {key_id: sorted(names) for key_id, names in by_key.items()}


def rotatable(metadata: dict[str, Any]) -> bool:
    """Whether AWS supports automatic rotation of the key: symmetric encryption keys in KMS's own key store."""
    key_spec = metadata.get("KeySpec", metadata.get("CustomerMasterKeySpec"))
    return key_spec == ROTATABLE_KEY_SPEC and not metadata.get("CustomKeyStoreId")


def _console(key_id: str, key_manager: str | None, region: str) -> str:
    page = "defaultKeys" if key_manager == "AWS" else "keys"
    return console_link(f"kms/home#/kms/{page}/{key_id}", region)


def key_row(details: KeyDetails, aliases: dict[str, list[str]], region: str) -> dict[str, Any]:
    metadata = details.metadata or {}
    names = aliases.get(details.key_id, [])
    rotation = details.rotation or {}
    return {
        "_key": details.key_arn,
        "name": details.key_id,
        "arn": details.key_arn,
        "webLink": _console(details.key_id, metadata.get("KeyManager"), region),
        "createdOn": metadata.get("CreationDate"),
        "tags": tags_from_list(
            {"Key": tag["TagKey"], "Value": tag["TagValue"]} for tag in details.tags or ()
        ),
        "keyId": details.key_id,
        "description": metadata.get("Description"),
        "keyState": metadata.get("KeyState"),
        "enabled": metadata.get("Enabled"),
        "keyManager": metadata.get("KeyManager"),
        "keyUsage": metadata.get("KeyUsage"),
        "keySpec": metadata.get("KeySpec"),
        "origin": metadata.get("Origin"),
        "multiRegion": metadata.get("MultiRegion"),
        "multiRegionKeyType": (metadata.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType"),
        "deletionDate": metadata.get("DeletionDate"),
        "rotationEnabled": rotation.get("KeyRotationEnabled"),
        "rotationPeriodInDays": rotation.get("RotationPeriodInDays"),
        "aliases": names,
        "policy": policy_json(details.policy),
        "collectionErrors": details.errors,
    }


def key_rows(keys: list[KeyDetails], aliases: dict[str, list[str]], region: str) -> list[dict[str, Any]]:
    return [key_row(key, aliases, region) for key in keys]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_key_details(aws: PartitionCollection, listed: dict[str, str]) -> KeyDetails:
    kms = aws.client("kms")
    key_id, key_arn = listed["KeyId"], listed["KeyArn"]
    # Any refusal (AccessDenied, or KMSInvalidStateException for a key pending import) costs the properties the
    # call reads, not the key: they stay unknown and `collectionErrors` says why.
    calls = DetailCalls(record_any_error=True)
    described = calls.get("kms:DescribeKey", lambda: kms.describe_key(KeyId=key_arn))
    metadata = None if described is None else described["KeyMetadata"]
    details = KeyDetails(key_id=key_id, key_arn=key_arn, metadata=metadata, errors=calls.errors)
    details.policy = calls.get(
        "kms:GetKeyPolicy", lambda: kms.get_key_policy(KeyId=key_arn, PolicyName=DEFAULT_POLICY_NAME)["Policy"]
    )
    if metadata is not None and rotatable(metadata):
        details.rotation = calls.get("kms:GetKeyRotationStatus", lambda: kms.get_key_rotation_status(KeyId=key_arn))
    if metadata is not None and metadata.get("KeyManager") == "CUSTOMER":
        details.tags = calls.get(
            "kms:ListResourceTags", lambda: aws.paginate("kms", "list_resource_tags", "Tags", KeyId=key_arn)
        )
    return details


def collect_keys(aws: PartitionCollection) -> list[dict[str, Any]]:
    page = {"PaginationConfig": {"PageSize": LIST_PAGE_SIZE}}
    listed = aws.paginate("kms", "list_keys", "Keys", **page)
    aliases = aliases_by_key(aws.paginate("kms", "list_aliases", "Aliases", **page))
    keys = aws.map_concurrently(partial(get_key_details, aws), listed)
    return key_rows(keys, aliases, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

KMS_KEY = EntityType(
    type="aws_kms_key",
    resource_policy="policy",
    classes=("CryptoKey", "Key"),
    description="KMS keys, customer managed and AWS managed: state, use, origin, rotation, aliases and the key "
    "policy, the resource policy that must allow every use of the key. Never key material.",
    columns=(
        string("keyId", "Key ID (a UUID; `mrk-` for multi-Region keys)"),
        string("description", "Description given to the key"),
        string("keyState", "Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, Creating, Updating, ..."),
        boolean("enabled", "Whether the key can be used"),
        string("keyManager", "CUSTOMER (customer managed key) or AWS (AWS managed key, `alias/aws/<service>`)"),
        string("keyUsage", "ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT"),
        string("keySpec", "Key spec, e.g. SYMMETRIC_DEFAULT, RSA_2048, ECC_NIST_P256, HMAC_256"),
        string(
            "origin", "Source of the key material: AWS_KMS, EXTERNAL (imported), AWS_CLOUDHSM or EXTERNAL_KEY_STORE"
        ),
        boolean("multiRegion", "Whether the key is a multi-Region key"),
        string("multiRegionKeyType", "PRIMARY or REPLICA, for multi-Region keys"),
        timestamp("deletionDate", "When KMS deletes the key, for keys pending deletion"),
        boolean(
            "rotationEnabled",
            "Whether automatic rotation of the key material is on (always on for AWS managed keys); null where AWS "
            "supports no automatic rotation (asymmetric and HMAC keys, custom key stores) or refused the call",
        ),
        integer("rotationPeriodInDays", "Days between automatic rotations, when rotation is on"),
        strings("aliases", "Alias names pointing to the key, e.g. alias/prod-data"),
        json_text("policy", "Key policy: who may use and manage the key; it must allow the account for IAM "
                  "policies to grant access at all"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_keys,
    console="KMS > Customer managed keys, AWS managed keys",
)

SERVICE = Service(
    name="kms",
    title="KMS",
    scope=Scope.REGION,
    entity_types=(KMS_KEY,),
    entity=ServiceEntity("aws_kms", "KMS", "encryption", "kms/home", members=(), members_beyond_spec=(KMS_KEY,)),
    kind="kms",
)

"""Jobs that sync a partition: everything account-wide for an account, everything regional for an account and region."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from aws_assets.catalog import services_of_scope
from aws_assets.entity import Scope


def _selection(scope: Scope) -> AssetSelection:
    keys = [AssetKey(et.type) for service in services_of_scope(scope) for et in service.entity_types]
    return AssetSelection.assets(*keys)


sync_account_job = define_asset_job(
    "sync_account",
    selection=_selection(Scope.ACCOUNT),
    description="Collects the account-wide services (the account, IAM, the S3 bucket inventory) of one account.",
)
sync_region_job = define_asset_job(
    "sync_region",
    selection=_selection(Scope.REGION),
    description="Collects the regional services of one account in one region.",
)

build_graph_job = define_asset_job(
    "build_graph",
    # The person table is built first in the same run: the IS relationship to people reads it.
    selection=AssetSelection.groups("relationships", "people", "analysis"),
    description="Builds the person table, then computes every relationship type and the analyses (trust, IAM "
    "policies) over the whole lake.",
)

"""The README and the data dictionary call an asset by the name the Dagster catalog finds it under."""

import re

import pytest

from aws_assets.app.dictionary import DICTIONARY_PATH
from aws_assets.defs.definitions import defs
from aws_assets_tests.conftest import REPO

NAMED_ASSET = re.compile(r"`([a-z][a-z0-9_]*)` (?:multi-)?assets?\b")


@pytest.mark.parametrize("document", [REPO / "README.md", DICTIONARY_PATH], ids=lambda path: path.name)
def test_every_asset_a_document_names_is_in_the_catalog(document):
    catalog = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    named = set(NAMED_ASSET.findall(document.read_text()))
    assert named, f"{document.name} names no asset"
    assert named - catalog == set()

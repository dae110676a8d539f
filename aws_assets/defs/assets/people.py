"""The `person` asset: the people directory plus the people IAM users' `Email` tags name, over the whole lake."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    ConfigurableResource,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.inputs.people import (
    PERSON_DESCRIPTION,
    PERSON_SCHEMA,
    PERSON_TYPE,
    Directory,
    PeopleFileError,
    build_people,
    load_directory,
    person_table,
)
from aws_assets.model.settings import PEOPLE
from aws_assets.services.iam import IAM_USER

GROUP = "people"
PREVIEW_COLUMNS = ("displayName", "source", "_key")  # the short ones first
LISTED_PROBLEMS = 50  # rejected rows and malformed tags shown in the metadata; the counts are complete


class PeopleDirectory(ConfigurableResource):
    """The people directory file (CSV or Parquet with email, firstName, lastName)."""

    path: str | None = Field(
        default=None,
        description=f"CSV or Parquet people file (default ${PEOPLE.name}); none: only people from IAM Email tags",
    )

    def load(self) -> Directory:
        return load_directory(self.path)


@asset(
    name=PERSON_TYPE,
    group_name=GROUP,
    deps=[AssetKey(IAM_USER.type)],
    kinds={"parquet"},
    description=PERSON_DESCRIPTION,
    metadata={"dagster/column_schema": column_schema(PERSON_SCHEMA)},
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
)
def person(context: AssetExecutionContext, lake: LakeResource, people: PeopleDirectory) -> MaterializeResult:
    try:
        directory = people.load()
    except PeopleFileError as error:
        raise Failure(description=str(error)) from None
    target = lake.lake()
    users = target.read_table(IAM_USER.type, IAM_USER.schema).select(["_key", "email"]).to_pylist()
    built = build_people(directory, ((user["_key"], user["email"]) for user in users))
    for rejected in directory.rejected:
        context.log.warning(f"people file row skipped: {rejected.message}")
    for user_key, tag in built.malformed_tags:
        context.log.warning(f"{user_key}: Email tag {tag!r} is not an email address; the user maps to no person")
    table = person_table(built.rows)
    path = target.write_table(PERSON_TYPE, table)
    metadata = {
        "dagster/row_count": table.num_rows,
        "people_file": directory.path or f"none (${PEOPLE.name} unset): only people from Email tags",
        "people_from_directory": len(directory.people),
        "people_created_from_email_tags": built.created_from_tags,
        "rejected_rows": len(directory.rejected),
        "malformed_email_tags": len(built.malformed_tags),
        "lake/path": MetadataValue.path(path),
        "preview": MetadataValue.md(markdown_preview(table, PREVIEW_COLUMNS)),
    }
    if directory.rejected:
        metadata["rejected"] = MetadataValue.md(_bullets([r.message for r in directory.rejected]))
    if built.malformed_tags:
        metadata["malformed_email_tag_users"] = MetadataValue.md(
            _bullets([f"`{user_key}`: {tag!r}" for user_key, tag in built.malformed_tags])
        )
    return MaterializeResult(metadata=metadata)


def _bullets(lines: list[str]) -> str:
    shown = [f"- {line}" for line in lines[:LISTED_PROBLEMS]]
    if len(lines) > LISTED_PROBLEMS:
        shown.append(f"\n_{len(lines) - LISTED_PROBLEMS} more (see the run's warnings)_")
    return "\n".join(shown)

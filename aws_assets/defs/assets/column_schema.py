"""The `dagster/column_schema` of a lake table, read off its Arrow schema: every asset's columns as the UI shows
them, with the descriptions `aws_assets.model.entity.schema_of` put in the field metadata."""

import pyarrow as pa
from dagster import TableColumn, TableSchema


def column_schema(schema: pa.Schema) -> TableSchema:
    return TableSchema(
        columns=[TableColumn(f.name, str(f.type), description=f.metadata[b"description"].decode()) for f in schema]
    )

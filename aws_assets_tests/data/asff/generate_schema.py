"""Writes AwsSecurityFinding.schema.json: the JSON Schema of the AWS Security Finding Format as AWS publishes it in
the Security Hub API model (the `AwsSecurityFinding` shape that `BatchImportFindings` takes), read from botocore's
copy of that model. AWS publishes no JSON Schema file of ASFF; the API model is its machine-readable definition.

    .venv/bin/python aws_assets_tests/data/asff/generate_schema.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import botocore.session
from botocore.model import Shape

ROOT = "AwsSecurityFinding"
OUTPUT = Path(__file__).with_name(f"{ROOT}.schema.json")


def shape_schema(shape: Shape, definitions: dict[str, Any]) -> dict[str, Any]:
    if shape.type_name == "structure":
        if shape.name not in definitions:
            definitions[shape.name] = {}  # placed first: shapes refer to themselves
            definitions[shape.name] = {
                "type": "object",
                "properties": {name: shape_schema(member, definitions) for name, member in shape.members.items()},
                "required": list(shape.required_members),
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{shape.name}"}
    if shape.type_name == "list":
        return {"type": "array", "items": shape_schema(shape.member, definitions)}
    if shape.type_name == "map":
        return {"type": "object", "additionalProperties": shape_schema(shape.value, definitions)}
    if shape.type_name == "string":
        schema: dict[str, Any] = {"type": "string"}
        if shape.enum:
            schema["enum"] = list(shape.enum)
        if "pattern" in shape.metadata:
            schema["pattern"] = shape.metadata["pattern"]
        return schema
    if shape.type_name in ("integer", "long"):
        return {"type": "integer"}
    if shape.type_name in ("double", "float"):
        return {"type": "number"}
    if shape.type_name == "boolean":
        return {"type": "boolean"}
    if shape.type_name == "timestamp":
        return {"type": "string", "format": "date-time"}
    raise ValueError(f"{shape.name}: no JSON Schema for botocore type {shape.type_name}")


def main() -> None:
    model = botocore.session.get_session().get_service_model("securityhub")
    definitions: dict[str, Any] = {}
    reference = shape_schema(model.shape_for(ROOT), definitions)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"aws-securityhub-{model.api_version}/{ROOT}",
        "description": f"{ROOT} from the Security Hub API model {model.api_version} (botocore {botocore.__version__})",
        **reference, "$defs": definitions,
    }
    OUTPUT.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

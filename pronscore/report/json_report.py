"""Assessment -> JSON, and validation against the published JSON Schema."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from pronscore.result import Assessment

SCHEMA_RESOURCE = "assessment.schema.json"


@lru_cache(maxsize=1)
def assessment_schema() -> dict[str, Any]:
    return json.loads(resources.files("pronscore.schema").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))


def to_json(result: Assessment, indent: int | None = 2) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=indent)


def validate_assessment(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when `doc` does not follow the schema."""
    import jsonschema

    jsonschema.validate(doc, assessment_schema())

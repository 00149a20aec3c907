"""JSON Schemas for course.yml and the YAML bank, generated from the pydantic model.

The shipped files (`course.schema.json`, `bank.schema.json`) let editors check and complete
course.yml as it is typed (`# yaml-language-server: $schema=…`); a test keeps them equal to
what the model generates, so the schema never drifts from the code.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..files import atomic_write_text
from ..model import Course, Question

HERE = Path(__file__).parent
COURSE_SCHEMA = HERE / "course.schema.json"
BANK_SCHEMA = HERE / "bank.schema.json"


def course_schema() -> dict:
    schema = Course.model_json_schema()
    for loader_only in ("questions", "lesson_text", "folder"):  # filled by the loader, never written
        schema["properties"].pop(loader_only, None)
    schema["title"] = "partyquiz course.yml"
    return schema


def bank_schema() -> dict:
    question = Question.model_json_schema()
    defs = question.pop("$defs", {})
    return {
        "title": "partyquiz question bank (YAML)",
        "type": "object",
        "properties": {"questions": {"type": "array", "items": {"$ref": "#/$defs/Question"}}},
        "required": ["questions"],
        "$defs": {**defs, "Question": question},
    }


def render(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path = HERE) -> list[Path]:
    written = []
    for name, schema in (("course.schema.json", course_schema()), ("bank.schema.json", bank_schema())):
        atomic_write_text(folder / name, render(schema))
        written.append(folder / name)
    return written

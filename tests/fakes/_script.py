"""What the fakes answer: fixed text, and tool calls / JSON built from the request's schemas.

Kept provider-neutral so each wire-format module only encodes. A request model name starting with
``error-<status>`` makes a fake answer with that HTTP status (e.g. ``error-429``).
"""

from __future__ import annotations

import json
from typing import Any

ANSWER = "The oldest known cuneiform comes from Uruk, around 3200 BC."


def answer_words(text: str = ANSWER) -> list[str]:
    """The answer split the way the fakes stream it (a word and its trailing space per chunk)."""
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]]


def error_status(model: object) -> int | None:
    if isinstance(model, str) and model.startswith("error-"):
        try:
            return int(model.split("-")[1])
        except ValueError:
            return 500
    return None


def example_for_schema(schema: Any) -> Any:
    """A value that validates against a (simple) JSON schema: every property filled."""
    if not isinstance(schema, dict):
        return "x"
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return example_for_schema(schema["anyOf"][0])
    if kind == "object" or "properties" in schema:
        return {
            name: example_for_schema(prop) for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_for_schema(schema.get("items", {}))]
    if kind == "integer":
        return 42
    if kind == "number":
        return 4.2
    if kind == "boolean":
        return True
    return "Uruk"


def tool_arguments(parameters: Any) -> str:
    return json.dumps(example_for_schema(parameters))

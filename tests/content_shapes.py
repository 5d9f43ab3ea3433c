"""Checks that captured content has the GenAI semantic conventions' JSON shapes.

Written from the conventions' message model (gen-ai-input-messages / output-messages /
system-instructions / tool-definitions): required fields per part type; extra fields allowed.
"""

from __future__ import annotations

from typing import Any

_REQUIRED = {
    "text": {"content": str},
    "tool_call": {"name": str},
    "tool_call_response": {"response": object},
    "blob": {"modality": str, "content": str},
    "file": {"modality": str, "file_id": str},
    "uri": {"modality": str, "uri": str},
    "reasoning": {"content": str},
}


def check_part(part: Any) -> None:
    assert isinstance(part, dict), part
    kind = part.get("type")
    assert isinstance(kind, str) and kind, part
    for name, kind_of in _REQUIRED.get(kind, {}).items():
        assert name in part, (name, part)
        assert isinstance(part[name], kind_of), (name, part)


def check_messages(messages: Any, output: bool = False) -> None:
    assert isinstance(messages, list) and messages
    for message in messages:
        assert isinstance(message, dict)
        assert isinstance(message["role"], str) and message["role"]
        assert isinstance(message["parts"], list)
        for part in message["parts"]:
            check_part(part)
        if output and "finish_reason" in message:
            assert isinstance(message["finish_reason"], str)


def check_system_instructions(parts: Any) -> None:
    assert isinstance(parts, list) and parts
    for part in parts:
        check_part(part)


def check_tool_definitions(definitions: Any) -> None:
    assert isinstance(definitions, list) and definitions
    for definition in definitions:
        assert isinstance(definition["type"], str)
        assert isinstance(definition["name"], str)

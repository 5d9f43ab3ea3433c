"""One view of a chat model's answer, whether it came whole (invoke) or in chunks (stream).

Mappers read only this view, so one mapper serves all four call styles. For streams the view is
built once, at the end, from the few chunks that carried metadata: string fields keep the last
non-empty value (LangChain's own merge concatenates them: ``"FINISH_REASON_UNSPECIFIEDSTOP"``) and
usage counts are summed, as LangChain sums them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True)
class ChatResponse:
    """What a provider call returned, in the shape mappers read.

    ``metadata`` is ``AIMessage.response_metadata`` (streams: merged, last non-empty value wins),
    ``usage`` is ``AIMessage.usage_metadata`` (streams: summed), ``message_id`` the message id
    (LangChain run ids included: mappers must tell them apart), ``streaming`` the call style,
    ``tool_calls`` whether the answer calls tools (for APIs with no finish reason of their own).
    """

    metadata: Mapping[str, Any]
    usage: Mapping[str, Any] | None
    message_id: str | None
    streaming: bool
    tool_calls: bool = False


def response_from_message(message: object) -> ChatResponse:
    """View of the message ``invoke``/``ainvoke`` returned."""
    metadata = getattr(message, "response_metadata", None)
    usage = getattr(message, "usage_metadata", None)
    message_id = getattr(message, "id", None)
    return ChatResponse(
        metadata=metadata if isinstance(metadata, Mapping) else _EMPTY,
        usage=usage if isinstance(usage, Mapping) else None,
        message_id=message_id if isinstance(message_id, str) else None,
        streaming=False,
        tool_calls=bool(
            getattr(message, "tool_calls", None) or getattr(message, "invalid_tool_calls", None)
        ),
    )


def response_from_chunks(chunks: Iterable[object]) -> ChatResponse:
    """View of a stream, from the chunks that carried metadata, usage or tool calls (in order)."""
    metadata: dict[str, Any] = {}
    usage: dict[str, Any] | None = None
    message_id: str | None = None
    tool_calls = False
    for chunk in chunks:
        tool_calls = tool_calls or bool(getattr(chunk, "tool_call_chunks", None))
        chunk_metadata = getattr(chunk, "response_metadata", None)
        if isinstance(chunk_metadata, Mapping):
            for key, value in chunk_metadata.items():
                if value is not None and value not in ("", [], {}):
                    metadata[key] = value
        chunk_usage = getattr(chunk, "usage_metadata", None)
        if isinstance(chunk_usage, Mapping):
            usage = _add_usage(usage or {}, chunk_usage)
        chunk_id = getattr(chunk, "id", None)
        if isinstance(chunk_id, str) and chunk_id:
            message_id = chunk_id
    return ChatResponse(
        metadata=metadata,
        usage=usage,
        message_id=message_id,
        streaming=True,
        tool_calls=tool_calls,
    )


def _add_usage(total: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    """Sum two usage dicts key by key (nested details too); non-numbers keep the latest value."""
    for key, value in part.items():
        current = total.get(key)
        if isinstance(value, Mapping):
            total[key] = _add_usage(dict(current) if isinstance(current, Mapping) else {}, value)
        elif _is_number(value) and _is_number(current):
            total[key] = current + value
        else:
            total[key] = value
    return total


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

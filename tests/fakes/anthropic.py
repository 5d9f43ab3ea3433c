"""Anthropic Messages API on the wire: ``POST /v1/messages``, JSON and the SSE event stream.

Shapes follow the Messages API reference: a ``message`` object (``msg_`` id, served model,
``stop_reason``, ``usage``) and, when streaming, ``message_start``, ``content_block_start`` /
``content_block_delta`` / ``content_block_stop``, ``message_delta`` (stop reason and cumulative
usage) and ``message_stop`` events, each sent as ``event: <type>`` + ``data: <json>``.

The request header ``x-fake-usage`` picks the usage block (see ``USAGES``); a request model named
``error-<status>`` gets that HTTP status with Anthropic's error body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.fakes._script import answer_words, error_status, tool_arguments
from tests.fakes.server import FakeServer, Reply, Request, sse

# The brief's example response (LangChain "response metadata" how-to).
MESSAGE_ID = "msg_01CzQyD7BX8nkhDNfT1QqvEp"
TOOL_USE_ID = "toolu_01A09q90qw90lq917835lq9"

# Aliases the fake resolves to a dated snapshot, as the API does; other names are served as is.
SERVED_MODELS = {"claude-sonnet-4-5": "claude-sonnet-4-5-20250929"}

USAGE_HEADER = "x-fake-usage"
USAGES: dict[str, dict[str, Any]] = {
    # The brief's numbers: 17 in / 296 out, no caching.
    "plain": {"input_tokens": 17, "output_tokens": 296},
    # Prompt caching: Anthropic's input_tokens excludes the cached tokens.
    "cache": {
        "input_tokens": 17,
        "cache_read_input_tokens": 1024,
        "cache_creation_input_tokens": 256,
        "output_tokens": 296,
    },
    # Cache writes split by TTL (extended cache TTL), plus thinking tokens in the output.
    "cache-ttl": {
        "input_tokens": 17,
        "cache_read_input_tokens": 1024,
        "cache_creation_input_tokens": 256,
        "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 56},
        "output_tokens": 296,
        "output_tokens_details": {"thinking_tokens": 40},
    },
    # The 2024 stream format: message_delta carries only the output count (the input count is
    # in message_start alone).
    "delta-output-only": {"input_tokens": 17, "output_tokens": 296},
}
#: Usages whose message_delta reports the output count only.
_DELTA_OUTPUT_ONLY = frozenset({"delta-output-only"})

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def served_model(model: str) -> str:
    return SERVED_MODELS.get(model, model)


def error_body(status: int) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": f"fake {status}"}}


def _content(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The content blocks and stop reason the script picks for a request."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    answered = isinstance(last.get("content"), list) and any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in last["content"]
    )
    if tools and not answered:
        tool = tools[0]
        block = {
            "type": "tool_use",
            "id": TOOL_USE_ID,
            "name": tool["name"],
            "input": json.loads(tool_arguments(tool.get("input_schema"))),
        }
        return [block], "tool_use"
    return [{"type": "text", "text": "".join(answer_words())}], "end_turn"


def _message(body: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    content, stop_reason = _content(body)
    return {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": served_model(body["model"]),
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def _events(
    body: dict[str, Any], usage: dict[str, Any], delta_output_only: bool = False
) -> Iterator[dict[str, Any]]:
    content, stop_reason = _content(body)
    # message_start carries the id, the model and the input side of the usage; the final counts
    # come in message_delta (cumulative), as the API sends them.
    start_usage = {**usage, "output_tokens": 1}
    start_usage.pop("output_tokens_details", None)
    yield {
        "type": "message_start",
        "message": {
            "id": MESSAGE_ID,
            "type": "message",
            "role": "assistant",
            "model": served_model(body["model"]),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        },
    }
    yield {"type": "ping"}
    block = content[0]
    if block["type"] == "tool_use":
        yield {
            "type": "content_block_start",
            "index": 0,
            "content_block": {**block, "input": {}},
        }
        partial = json.dumps(block["input"])
        yield {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": partial},
        }
    else:
        yield {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        for word in answer_words(block["text"]):
            yield {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": word},
            }
    yield {"type": "content_block_stop", "index": 0}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": usage["output_tokens"]} if delta_output_only else usage,
    }
    yield {"type": "message_stop"}


def messages(request: Request) -> Reply:
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        headers = {"request-id": "req_011CZfakeRateLimit", "retry-after": "1"}
        return Reply.json(error_body(status), status=status, headers=headers)
    variant = request.headers.get(USAGE_HEADER, "plain")
    usage = USAGES[variant]
    headers = {"request-id": "req_011CZfake0000000000000000"}
    if body.get("stream"):
        events = _events(body, usage, variant in _DELTA_OUTPUT_ONLY)
        return Reply.stream(sse(events, event_names=True, done=False), "text/event-stream", headers)
    return Reply.json(_message(body, usage), headers=headers)


def install(server: FakeServer) -> None:
    server.route("POST", "/v1/messages", messages)

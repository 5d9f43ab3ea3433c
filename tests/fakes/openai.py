"""OpenAI Chat Completions on the wire: ``POST /v1/chat/completions``, JSON and SSE.

Shapes follow the API reference (chat.completion / chat.completion.chunk objects) with realistic
values: ``chatcmpl-`` ids, a dated server model, ``system_fingerprint``, ``service_tier`` and usage
with cached and reasoning token details.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.fakes._script import answer_words, error_status, example_for_schema, tool_arguments
from tests.fakes.server import FakeServer, Reply, Request, sse

RESPONSE_ID = "chatcmpl-9zK4qV2bX7uQeLmN8pR3sT6wY1aC"
FINGERPRINT = "fp_44709d6fcb"
CREATED = 1_732_000_000
USAGE = {
    "prompt_tokens": 17,
    "completion_tokens": 164,
    "total_tokens": 181,
    "prompt_tokens_details": {"cached_tokens": 5, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 3,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}


def served_model(model: str) -> str:
    """The server reports a dated snapshot of the requested alias."""
    return f"{model}-2024-07-18"


def error_body(status: int) -> dict[str, Any]:
    code = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return {"error": {"message": f"fake {status}", "type": "requests", "param": None, "code": code}}


def _reply_message(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The assistant message and finish reason the script picks for a request."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    last_role = messages[-1].get("role") if messages else None
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        content = example_for_schema(response_format["json_schema"].get("schema"))
        return {"role": "assistant", "content": json.dumps(content)}, "stop"
    if tools and last_role != "tool":
        choice = body.get("tool_choice")
        forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        tool = next((t for t in tools if t["function"]["name"] == forced), tools[0])
        call = {
            "id": "call_Qx7b2LmN4pR8sT1v",
            "type": "function",
            "function": {
                "name": tool["function"]["name"],
                "arguments": tool_arguments(tool["function"].get("parameters")),
            },
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    return {"role": "assistant", "content": "".join(answer_words())}, "stop"


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    message, finish_reason = _reply_message(body)
    return {
        "id": RESPONSE_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": served_model(body["model"]),
        "system_fingerprint": FINGERPRINT,
        "service_tier": "default",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": USAGE,
    }


def _chunks(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    message, finish_reason = _reply_message(body)
    base = {
        "id": RESPONSE_ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": served_model(body["model"]),
        "system_fingerprint": FINGERPRINT,
        "service_tier": "default",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**base, "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        yield chunk({"tool_calls": [{"index": 0, **call}]})
    else:
        for word in answer_words(message["content"]):
            yield chunk({"content": word})
    yield chunk({}, finish_reason)
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": USAGE}


def chat_completions(request: Request) -> Reply:
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json(error_body(status), status=status)
    if body.get("stream"):
        return Reply.stream(sse(_chunks(body)), "text/event-stream")
    return Reply.json(_completion(body))


def install(server: FakeServer, prefix: str = "/v1") -> None:
    server.route("POST", f"{prefix}/chat/completions", chat_completions)

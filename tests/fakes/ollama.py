"""Ollama on the wire: ``POST /api/chat``, NDJSON when streaming (the default), else one object.

Every streamed line is ``{"model", "created_at", "message", "done": false}``; the last one has
``done: true`` with ``done_reason`` and the run's counters and durations (nanoseconds). The model
is echoed. The script: tools -> a tool call (arguments as an object, as Ollama sends them);
``options.num_predict`` below the answer's length (one token per word here) -> a cut answer with
``done_reason: "length"``. Errors are Ollama's ``{"error": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.fakes._script import ANSWER, answer_words, error_status, example_for_schema
from tests.fakes.server import FakeServer, Reply, Request

CREATED_AT = "2025-03-11T09:41:27.482156Z"
PROMPT_EVAL_COUNT = 26
DURATIONS = {
    "total_duration": 1_862_376_458,
    "load_duration": 21_395_166,
    "prompt_eval_duration": 153_412_000,
    "eval_duration": 1_686_924_000,
}


def _answer(body: dict[str, Any]) -> tuple[dict[str, Any], str, int]:
    """The assistant message, done reason and output token count for a request."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    if tools and (not messages or messages[-1].get("role") != "tool"):
        function = tools[0]["function"]
        call = {
            "function": {
                "name": function["name"],
                "arguments": example_for_schema(function.get("parameters")),
            }
        }
        return {"role": "assistant", "content": "", "tool_calls": [call]}, "stop", 18
    words = answer_words()
    limit = (body.get("options") or {}).get("num_predict")
    if isinstance(limit, int) and 0 <= limit < len(words):
        return {"role": "assistant", "content": "".join(words[:limit])}, "length", limit
    return {"role": "assistant", "content": ANSWER}, "stop", len(words)


def _final(body: dict[str, Any], message: dict[str, Any], reason: str, count: int) -> dict:
    return {
        "model": body["model"],
        "created_at": CREATED_AT,
        "message": message,
        "done": True,
        "done_reason": reason,
        "total_duration": DURATIONS["total_duration"],
        "load_duration": DURATIONS["load_duration"],
        "prompt_eval_count": PROMPT_EVAL_COUNT,
        "prompt_eval_duration": DURATIONS["prompt_eval_duration"],
        "eval_count": count,
        "eval_duration": DURATIONS["eval_duration"],
    }


def _lines(body: dict[str, Any]) -> Iterator[bytes]:
    message, reason, count = _answer(body)
    parts: list[dict[str, Any]] = (
        [message]
        if message.get("tool_calls")
        else [{"role": "assistant", "content": word} for word in answer_words(message["content"])]
    )
    for part in parts:
        line = {"model": body["model"], "created_at": CREATED_AT, "message": part, "done": False}
        yield json.dumps(line).encode() + b"\n"
    final = _final(body, {"role": "assistant", "content": ""}, reason, count)
    yield json.dumps(final).encode() + b"\n"


def chat(request: Request) -> Reply:
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json({"error": f"fake {status}: too many concurrent requests"}, status)
    if body.get("stream", True):
        return Reply.stream(_lines(body), "application/x-ndjson")
    message, reason, count = _answer(body)
    return Reply.json(_final(body, message, reason, count))


#: Vector length when the request names no ``dimensions``.
EMBEDDING_DIMENSIONS = 12


def embed(request: Request) -> Reply:
    """``POST /api/embed``: ``embeddings`` (one per input) and the prompt's token count."""
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json({"error": f"fake {status}: model not found"}, status)
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) else [inputs]
    dimensions = body.get("dimensions") or EMBEDDING_DIMENSIONS
    vectors = [[(i + 1) * 0.5 + d * 0.25 for d in range(dimensions)] for i in range(len(items))]
    return Reply.json(
        {
            "model": body["model"],
            "embeddings": vectors,
            "total_duration": DURATIONS["total_duration"],
            "load_duration": DURATIONS["load_duration"],
            "prompt_eval_count": PROMPT_EVAL_COUNT,
        }
    )


def generate(request: Request) -> Reply:
    """``POST /api/generate``: ``response`` text per NDJSON line, the counters on the last."""
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json({"error": f"fake {status}: too many concurrent requests"}, status)
    message, reason, count = _answer({**body, "messages": []})
    words = answer_words(message["content"])
    final = _final(body, {"role": "assistant", "content": ""}, reason, count)
    del final["message"]
    final = {**final, "response": "", "context": [1, 2, 3]}
    if not body.get("stream", True):
        return Reply.json({**final, "response": message["content"]})

    def lines() -> Iterator[bytes]:
        for word in words:
            line = {"model": body["model"], "created_at": CREATED_AT, "response": word}
            yield json.dumps({**line, "done": False}).encode() + b"\n"
        yield json.dumps(final).encode() + b"\n"

    return Reply.stream(lines(), "application/x-ndjson")


def install(server: FakeServer) -> None:
    server.route("POST", "/api/chat", chat)
    server.route("POST", "/api/embed", embed)
    server.route("POST", "/api/generate", generate)

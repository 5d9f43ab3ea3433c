"""Fireworks AI Chat Completions on the wire: ``POST /v1/chat/completions``, JSON and SSE.

Fireworks echoes the requested model, reports the ``service_tier`` a request asked for, cached
prompt tokens and reasoning tokens (Mixtral does not reason: it reports 0), and streams usage in
a trailing usage chunk when ``stream_options.include_usage`` is set. The answer is 200 tokens
long, so a ``max_tokens`` of 200 or less stops it with ``length``. Numbers from the LangChain
response-metadata example.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.openai_compatible import chat_completions, is_usage_chunk, redress
from tests.fakes.server import FakeServer

RESPONSE_ID = "7d1c2a4e-9b3f-4e8a-a6d5-0c8f1b2e3d4a"
CREATED = 1_731_500_000
USAGE = {
    "prompt_tokens": 19,
    "total_tokens": 219,
    "completion_tokens": 200,
    "prompt_tokens_details": {"cached_tokens": 16},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


def error_body(status: int) -> dict[str, Any]:
    code = {429: "RATE_LIMIT_EXCEEDED"}.get(status, "INTERNAL")
    message = {429: "Rate limit exceeded, please retry later"}.get(status, "Internal error")
    return {"error": {"object": "error", "type": "error", "code": code, "message": message}}


def _dress(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    top: dict[str, Any] = {"id": RESPONSE_ID, "created": CREATED, "model": body["model"]}
    if body.get("service_tier"):
        top["service_tier"] = body["service_tier"]
    max_tokens = body.get("max_tokens")
    cut = isinstance(max_tokens, int) and max_tokens <= USAGE["completion_tokens"]
    dressed = redress(event, top, {"stop": "length"} if cut else None)
    if event["object"] == "chat.completion" or is_usage_chunk(event):
        dressed["usage"] = dict(USAGE)
    return dressed


def install(server: FakeServer) -> None:
    server.route("POST", "/v1/chat/completions", chat_completions(_dress, error_body))

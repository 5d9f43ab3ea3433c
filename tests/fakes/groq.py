"""Groq Chat Completions on the wire: ``POST /openai/v1/chat/completions``, JSON and SSE.

Groq's additions to the OpenAI shape: an ``x_groq`` object (its request id; on the last chunk of
a stream also the usage), and server-side timings in ``usage`` (``queue_time``, ``prompt_time``,
``completion_time``, ``total_time``, seconds). Numbers from the LangChain response-metadata
example, including its ``queue_time: null``.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.openai_compatible import chat_completions, is_final_chunk, redress
from tests.fakes.server import FakeServer

RESPONSE_ID = "chatcmpl-3f2b7c9e-8d41-4a6e-b5c2-1e9f0a7d6c35"
REQUEST_ID = "req_01jbd6g2qdfw2adyrt2az8hz4w"
FINGERPRINT = "fp_7b44c65f25"
CREATED = 1_730_241_104
USAGE = {
    "queue_time": None,
    "prompt_tokens": 22,
    "prompt_time": 0.022,
    "completion_tokens": 132,
    "completion_time": 0.243,
    "total_tokens": 154,
    "total_time": 0.265,
}


def error_body(status: int) -> dict[str, Any]:
    if status == 429:
        message = (
            "Rate limit reached for model `mixtral-8x7b-32768` in organization "
            "`org_01hs2t6jq5fmxbdvqgkz8c4n1a` on tokens per minute (TPM): Limit 5000, "
            "Used 4990, Requested 120. Please try again in 1.32s."
        )
        return {"error": {"message": message, "type": "tokens", "code": "rate_limit_exceeded"}}
    return {"error": {"message": "Internal Server Error", "type": "internal_server_error"}}


def _dress(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    top = {
        "id": RESPONSE_ID,
        "created": CREATED,
        "model": body["model"],
        "system_fingerprint": FINGERPRINT,
    }
    if event["object"] == "chat.completion":
        completion = redress(event, top)
        return {**completion, "usage": dict(USAGE), "x_groq": {"id": REQUEST_ID}}
    if not event.get("choices"):
        return None  # Groq streams usage in x_groq, not in a usage chunk
    chunk = redress(event, top)
    if any("role" in choice["delta"] for choice in chunk["choices"]):
        chunk["x_groq"] = {"id": REQUEST_ID}
    if is_final_chunk(chunk):
        chunk["x_groq"] = {"id": REQUEST_ID, "usage": dict(USAGE)}
    return chunk


def install(server: FakeServer) -> None:
    server.route("POST", "/openai/v1/chat/completions", chat_completions(_dress, error_body))

"""Mistral AI Chat Completions on the wire: ``POST /v1/chat/completions``, JSON and SSE.

Mistral echoes the requested model, sends no ``system_fingerprint``/``service_tier``, and streams
usage on the chunk that carries the finish reason (no ``stream_options``). Errors are Mistral's
flat ``{"object": "error", ...}`` bodies. Numbers from the LangChain response-metadata example.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.openai_compatible import chat_completions, is_final_chunk, redress
from tests.fakes.server import FakeServer

RESPONSE_ID = "cmpl-e5cc70bb28c444948073e77776eb30ef"
CREATED = 1_733_745_600
USAGE = {"prompt_tokens": 19, "total_tokens": 141, "completion_tokens": 122}


def error_body(status: int) -> dict[str, Any]:
    kind = {429: ("Requests rate limit exceeded", "rate_limited", "1300")}.get(
        status, ("Internal server error", "internal_server_error", "3000")
    )
    message, error_type, code = kind
    return {"object": "error", "message": message, "type": error_type, "param": None, "code": code}


def _dress(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    top = {"id": RESPONSE_ID, "created": CREATED, "model": body["model"]}
    if event["object"] == "chat.completion":
        return {**redress(event, top), "usage": dict(USAGE)}
    if not event.get("choices"):
        return None  # Mistral has no separate usage chunk
    chunk = redress(event, top)
    if is_final_chunk(chunk):
        chunk["usage"] = dict(USAGE)
    return chunk


def install(server: FakeServer) -> None:
    server.route("POST", "/v1/chat/completions", chat_completions(_dress, error_body))

"""Together AI Chat Completions on the wire: the OpenAI fake's API in Together's dress.

Together echoes the requested model, has its own id format, sends no ``system_fingerprint`` or
``service_tier``, ends generations with ``eos``, and streams usage only in the trailing usage chunk
that ``stream_options.include_usage`` asks for. Errors are OpenAI's. Numbers from the LangChain
response-metadata example.
"""

from __future__ import annotations

from typing import Any

from tests.fakes import openai as fake_openai
from tests.fakes.openai_compatible import chat_completions, is_usage_chunk, redress
from tests.fakes.server import FakeServer

RESPONSE_ID = "oBUtaEp-62bZhn-9801a2718d0ed123"
CREATED = 1_758_039_032
USAGE = {"prompt_tokens": 20, "completion_tokens": 208, "total_tokens": 228}


def _dress(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    top = {"id": RESPONSE_ID, "created": CREATED, "model": body["model"]}
    dressed = redress(event, top, {"stop": "eos"})
    if event["object"] == "chat.completion" or is_usage_chunk(event):
        dressed["usage"] = dict(USAGE)
    return dressed


def install(server: FakeServer) -> None:
    handler = chat_completions(_dress, fake_openai.error_body)
    server.route("POST", "/v1/chat/completions", handler)

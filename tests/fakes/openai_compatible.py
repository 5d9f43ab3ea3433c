"""OpenAI-compatible servers (Mistral, Groq, Together, Fireworks) on the wire.

Each answers what the OpenAI fake's Chat Completions script answers (the text, tool calls and
JSON it picks for a request, in the same chunks), re-dressed by a provider module: its own ids,
served model, top-level fields, finish reasons and usage, and its own error bodies. Only the
``choices`` of the OpenAI fake's objects are kept; everything around them is the provider's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from tests.fakes import openai as fake_openai
from tests.fakes._script import error_status
from tests.fakes.server import Handler, Reply, Request

#: (an OpenAI ``chat.completion``/``chat.completion.chunk``, the request body) -> the provider's
#: object, or None to leave the event out.
Dress = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None]


def chat_completions(dress: Dress, error_body: Callable[[int], Any]) -> Handler:
    """A ``POST .../chat/completions`` handler answering the OpenAI script in a provider's dress."""

    def handle(request: Request) -> Reply:
        body = request.json()
        status = error_status(body.get("model"))
        if status is not None:
            return Reply.json(error_body(status), status=status)
        reply = fake_openai.chat_completions(request)
        if reply.status != 200:
            return reply
        if isinstance(reply.body, bytes):
            return Reply.json(dress(json.loads(reply.body), body))
        return Reply.stream(_dress_events(reply.body, body, dress), reply.content_type)

    return handle


def _dress_events(events: Iterable[bytes], body: dict[str, Any], dress: Dress) -> Iterator[bytes]:
    prefix = b"data: "
    for event in events:
        if not event.startswith(prefix + b"{"):  # "data: [DONE]"
            yield event
            continue
        dressed = dress(json.loads(event[len(prefix) :]), body)
        if dressed is not None:
            yield prefix + json.dumps(dressed).encode() + b"\n\n"


def redress(
    event: dict[str, Any], top: Mapping[str, Any], finish_reasons: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``event``'s object type and choices under the provider's top-level fields ``top``.

    ``finish_reasons`` renames OpenAI's finish reasons to the provider's (``stop`` -> ``eos``).
    """
    choices = []
    for choice in event.get("choices") or []:
        kept = {k: v for k, v in choice.items() if k in ("index", "message", "delta", "logprobs")}
        reason = choice.get("finish_reason")
        kept["finish_reason"] = (finish_reasons or {}).get(reason, reason) if reason else None
        choices.append(kept)
    return {**top, "object": event["object"], "choices": choices}


def is_final_chunk(event: dict[str, Any]) -> bool:
    """The chunk that carries the finish reason."""
    return any(choice.get("finish_reason") for choice in event.get("choices") or [])


def is_usage_chunk(event: dict[str, Any]) -> bool:
    """The trailing chunk with no choices that ``stream_options.include_usage`` asks for."""
    return event.get("object") == "chat.completion.chunk" and not event.get("choices")

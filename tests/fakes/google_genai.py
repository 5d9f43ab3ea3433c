"""Gemini API over HTTP, as google-genai talks to it: JSON ``generateContent``, SSE stream.

Routes (the model is the path segment before the method):

- Gemini Developer API: ``POST /v1beta/models/{model}:generateContent`` and
  ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse``;
- Vertex AI backend: the same methods under
  ``/v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}``.

Shapes follow the REST reference (camelCase ``GenerateContentResponse``): ``modelVersion`` (the
served model), ``responseId`` (dropped by langchain-google-genai), ``usageMetadata`` with thoughts
and implicit-cache counts; the stream sends cumulative usage on every chunk and the finish reason
on the last one, each event as ``data: <json>\\r\\n\\r\\n`` like the real service. Models
``...-blocked`` end with SAFETY and one blocked category; ``error-<status>`` answer that status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.fakes._script import ANSWER, answer_words, error_status
from tests.fakes.server import FakeServer, Reply, Request

RESPONSE_ID = "mV8dZ9LrA6mNqPgP3cKp8Qo"
# ``modelVersion`` is the model that served the request: a ``-latest`` alias resolves to a snapshot.
ALIASES = {"gemini-flash-latest": "gemini-2.5-flash-preview-09-2025"}
USAGE = {
    "promptTokenCount": 2071,
    "cachedContentTokenCount": 2048,
    "candidatesTokenCount": 164,
    "thoughtsTokenCount": 50,
    "totalTokenCount": 2285,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2071}],
    "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 2048}],
}
BLOCKED_CATEGORY = "HARM_CATEGORY_DANGEROUS_CONTENT"
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def served_model(model: str) -> str:
    return ALIASES.get(model, model)


def error_body(status: int) -> dict[str, Any]:
    name = _STATUS_NAMES.get(status, "INTERNAL")
    message = "Resource has been exhausted (e.g. check quota)." if status == 429 else "fake"
    return {"error": {"code": status, "message": message, "status": name}}


def _safety_ratings(blocked: bool) -> list[dict[str, Any]]:
    if not blocked:
        return []  # current Gemini models omit ratings unless something was flagged
    return [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
        {"category": BLOCKED_CATEGORY, "probability": "HIGH", "blocked": True},
    ]


def _candidate(text: str | None, finish: str | None, model: str, index: int = 0) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": index}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish is not None:
        candidate["finishReason"] = finish
        ratings = _safety_ratings(model.endswith("-blocked"))
        if ratings:
            candidate["safetyRatings"] = ratings
    return candidate


def _response(
    model: str, candidate: dict[str, Any] | list[dict[str, Any]], usage: dict[str, Any]
) -> dict[str, Any]:
    return {
        "candidates": candidate if isinstance(candidate, list) else [candidate],
        "usageMetadata": usage,
        "modelVersion": served_model(model),
        "responseId": RESPONSE_ID,
    }


def _answer(model: str, candidates: int = 1) -> dict[str, Any]:
    if model.endswith("-blocked"):
        return _response(model, _candidate(None, "SAFETY", model), USAGE)
    return _response(
        model, [_candidate(ANSWER, "STOP", model, index) for index in range(candidates)], USAGE
    )


def _chunks(model: str) -> Iterator[dict[str, Any]]:
    if model.endswith("-blocked"):
        yield _answer(model)
        return
    words = answer_words()
    for index, word in enumerate(words):
        last = index == len(words) - 1
        usage = dict(USAGE)
        if not last:  # cumulative counts so far; the final chunk carries the totals
            usage["candidatesTokenCount"] = index + 1
            usage["totalTokenCount"] = (
                USAGE["promptTokenCount"] + USAGE["thoughtsTokenCount"] + index + 1
            )
        yield _response(model, _candidate(word, "STOP" if last else None, model), usage)


def _sse(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        yield b"data: " + json.dumps(event).encode() + b"\r\n\r\n"


#: Vector length when the request names no ``outputDimensionality``.
EMBEDDING_DIMENSIONS = 8


def generate(request: Request) -> Reply:
    resource, _, method = request.path.rpartition(":")
    model = resource.rsplit("/", 1)[-1]
    status = error_status(model)
    if status is not None:
        return Reply.json(error_body(status), status=status)
    if method == "streamGenerateContent":
        return Reply.stream(_sse(_chunks(model)), "text/event-stream")
    if method == "predict":  # Vertex AI text embeddings
        body = request.json()
        dimensions = (body.get("parameters") or {}).get("outputDimensionality")
        predictions = [
            {
                "embeddings": {
                    "values": [0.25 + d * 0.125 for d in range(dimensions or EMBEDDING_DIMENSIONS)],
                    "statistics": {"token_count": 2, "truncated": False},
                }
            }
            for _ in body.get("instances") or []
        ]
        return Reply.json({"predictions": predictions})
    if method == "batchEmbedContents":
        requests = request.json().get("requests") or []
        embeddings = []
        for index, item in enumerate(requests):
            dimensions = item.get("outputDimensionality") or EMBEDDING_DIMENSIONS
            embeddings.append(
                {"values": [(index + 1) * 0.5 + d * 0.125 for d in range(dimensions)]}
            )
        return Reply.json({"embeddings": embeddings})
    if method == "generateContent":
        config = request.json().get("generationConfig") or {}
        return Reply.json(_answer(model, config.get("candidateCount") or 1))
    return Reply.json(error_body(404), status=404)


def install(server: FakeServer) -> None:
    server.route("POST", "/v1beta/models/", generate)
    server.route("POST", "/v1beta1/projects/", generate)

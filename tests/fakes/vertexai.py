"""Vertex AI Gemini over gRPC: an in-process ``google.cloud.aiplatform.v1beta1.PredictionService``.

``GenerateContent`` (unary) and ``StreamGenerateContent`` (unary-stream) answer with messages built
and serialized by the client library's own proto types, so the real gapic client parses exactly
what Vertex would send. The model is the last segment of the request's resource name
(``projects/p/locations/us-central1/publishers/google/models/<model>``):

- any model: the brief's Vertex numbers (prompt 10, candidates 30, total 40), four NEGLIGIBLE
  safety ratings, ``finish_reason`` STOP; a stream sends the words without usage or finish reason
  (the client reads them as ``FINISH_REASON_UNSPECIFIED``) and the totals on the last chunk;
- ``...-thinking``: thoughts and cached tokens, cumulative usage on every stream chunk;
- ``...-blocked``: finish reason SAFETY, no text, one safety category blocked;
- ``error-<status>``: the gRPC status matching that HTTP status (429 -> RESOURCE_EXHAUSTED).

Every response also carries ``model_version`` and ``response_id``, which langchain-google-vertexai
drops: tests assert they never reach the span.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
from google.cloud.aiplatform_v1beta1.services.prediction_service import (
    PredictionServiceAsyncClient,
    PredictionServiceClient,
)
from google.cloud.aiplatform_v1beta1.services.prediction_service.transports import (
    PredictionServiceGrpcAsyncIOTransport,
    PredictionServiceGrpcTransport,
)
from google.cloud.aiplatform_v1beta1.types import content as gapic
from google.cloud.aiplatform_v1beta1.types import prediction_service as service

from tests.fakes._script import ANSWER, answer_words, error_status

SERVICE = "google.cloud.aiplatform.v1beta1.PredictionService"
RESPONSE_ID = "kV8dZ5yOBqWm2PgPk9Xh4Qo"
# Vertex reports a pinned version of the requested alias (``gemini-2.0-flash`` -> ``...-001``).
VERSION_SUFFIX = "-001"

Usage = service.GenerateContentResponse.UsageMetadata

# The brief's ChatVertexAI example (seeds: prompt 10, candidates 30, total 40).
USAGE = Usage(prompt_token_count=10, candidates_token_count=30, total_token_count=40)
# A thinking model with implicit caching: total = prompt + candidates + thoughts.
THINKING_USAGE = Usage(
    prompt_token_count=1200,
    cached_content_token_count=1024,
    candidates_token_count=30,
    thoughts_token_count=96,
    total_token_count=1326,
)
SAFE_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
BLOCKED_CATEGORY = "HARM_CATEGORY_DANGEROUS_CONTENT"

_GRPC_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def model_id(request: service.GenerateContentRequest) -> str:
    return request.model.rsplit("/", 1)[-1]


def _rating(category: str, blocked: bool = False) -> gapic.SafetyRating:
    probability = "HIGH" if blocked else "NEGLIGIBLE"
    return gapic.SafetyRating(
        category=gapic.HarmCategory[category],
        probability=gapic.SafetyRating.HarmProbability[probability],
        probability_score=0.93 if blocked else 0.04,
        severity=gapic.SafetyRating.HarmSeverity[f"HARM_SEVERITY_{probability}"],
        severity_score=0.88 if blocked else 0.02,
        blocked=blocked,
    )


def _ratings(model: str) -> list[gapic.SafetyRating]:
    blocked = model.endswith("-blocked")
    return [_rating(c, blocked and c == BLOCKED_CATEGORY) for c in SAFE_CATEGORIES]


def _candidate(text: str | None, finish: str | None, model: str) -> gapic.Candidate:
    candidate = gapic.Candidate(index=0)
    if text is not None:
        candidate.content = gapic.Content(role="model", parts=[gapic.Part(text=text)])
    if finish is not None:
        candidate.finish_reason = gapic.Candidate.FinishReason[finish]
        candidate.safety_ratings = _ratings(model)
    return candidate


def _usage(model: str) -> Usage:
    return THINKING_USAGE if model.endswith("-thinking") else USAGE


def _response(
    model: str, candidate: gapic.Candidate, usage: Usage | None
) -> service.GenerateContentResponse:
    response = service.GenerateContentResponse(
        candidates=[candidate], model_version=model + VERSION_SUFFIX, response_id=RESPONSE_ID
    )
    if usage is not None:
        response.usage_metadata = usage
    return response


def _abort_if_error(model: str, context: grpc.ServicerContext) -> None:
    status = error_status(model)
    if status is not None:
        code = _GRPC_CODES.get(status, grpc.StatusCode.INTERNAL)
        context.abort(code, f"fake {status}: Quota exceeded for aiplatform.googleapis.com")


def generate_content(
    request: service.GenerateContentRequest, context: grpc.ServicerContext
) -> service.GenerateContentResponse:
    model = model_id(request)
    _abort_if_error(model, context)
    if model.endswith("-blocked"):
        return _response(model, _candidate(None, "SAFETY", model), _usage(model))
    return _response(model, _candidate(ANSWER, "STOP", model), _usage(model))


def stream_generate_content(
    request: service.GenerateContentRequest, context: grpc.ServicerContext
) -> Iterator[service.GenerateContentResponse]:
    model = model_id(request)
    _abort_if_error(model, context)
    total = _usage(model)
    if model.endswith("-blocked"):
        yield _response(model, _candidate(None, "SAFETY", model), total)
        return
    words = answer_words()
    for index, word in enumerate(words):
        last = index == len(words) - 1
        usage = None
        if last:
            usage = total
        elif model.endswith("-thinking"):  # cumulative counts on every chunk, as Gemini sends
            usage = Usage(
                prompt_token_count=total.prompt_token_count,
                cached_content_token_count=total.cached_content_token_count,
                candidates_token_count=index + 1,
                thoughts_token_count=total.thoughts_token_count,
                total_token_count=total.prompt_token_count + total.thoughts_token_count + index + 1,
            )
        yield _response(model, _candidate(word, "STOP" if last else None, model), usage)


class FakeVertexServer:
    """A gRPC server on 127.0.0.1 serving the two Gemini methods; records every request."""

    def __init__(self) -> None:
        self.requests: list[service.GenerateContentRequest] = []
        recorded = self.requests

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            recorded.append(request)
            return generate_content(request, context)

        def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            recorded.append(request)
            yield from stream_generate_content(request, context)

        handler = grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "GenerateContent": grpc.unary_unary_rpc_method_handler(
                    unary,
                    request_deserializer=service.GenerateContentRequest.deserialize,
                    response_serializer=service.GenerateContentResponse.serialize,
                ),
                "StreamGenerateContent": grpc.unary_stream_rpc_method_handler(
                    streaming,
                    request_deserializer=service.GenerateContentRequest.deserialize,
                    response_serializer=service.GenerateContentResponse.serialize,
                ),
            },
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers((handler,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> FakeVertexServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop(grace=None)

    def client(self) -> PredictionServiceClient:
        channel = grpc.insecure_channel(self.address)
        return PredictionServiceClient(transport=PredictionServiceGrpcTransport(channel=channel))

    def async_client(self) -> PredictionServiceAsyncClient:
        """Create inside the event loop that will use it (grpc.aio channels bind to a loop)."""
        channel = grpc.aio.insecure_channel(self.address)
        return PredictionServiceAsyncClient(
            transport=PredictionServiceGrpcAsyncIOTransport(channel=channel)
        )

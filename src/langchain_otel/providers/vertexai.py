"""Gemini on Vertex AI through ``ChatVertexAI`` (langchain-google-vertexai).

What langchain-google-vertexai 3.2 exposes, and so what we report:

- ``response_metadata["model_name"]`` is the model's own ``model_name`` field: the server's
  ``model_version`` and ``response_id`` are dropped, so the response model is ``model_version``
  only if a client version exposes it, else the requested model; there is no response id.
- ``finish_reason`` is the enum name (``STOP``, ``MAX_TOKENS``, ``SAFETY`` ...). Stream chunks
  before the last carry ``FINISH_REASON_UNSPECIFIED`` ("not finished yet"): it is never reported,
  alone or glued to the real reason by LangChain's merge (an ``invoke`` that streamed).
- ``usage_metadata.output_tokens`` counts candidates only and ``reasoning`` holds the thoughts; the
  spec wants reasoning inside output tokens, so they are added (unless the counts show they
  already are). Streams carry per-chunk deltas that sum to the totals.
- ``server.address`` is ``client_options.api_endpoint``, which the model always resolves
  (``base_url``/``api_endpoint``, else ``{location}-aiplatform.googleapis.com``). An injected
  ``client=`` is not inspected: a gRPC channel does not expose its target.
- Vendor extras: ``is_blocked`` (streams drop it; it is derived from the safety ratings the way
  the client computes it) and the categories whose rating says ``blocked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, model_field
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_float, as_str
from langchain_otel.providers._base import usage_attributes
from langchain_otel.providers._gemini import (
    GeminiMapper,
    blocked_categories,
    gemini_choice_count,
    gemini_finish_reasons,
    vertex_host,
)

# ``gemini_finish_reasons`` lived here before ``_gemini.py``, and tests still import it from here.
__all__ = ["VertexAIMapper", "gemini_finish_reasons"]

VERTEX_FIELDS = RequestFields(
    model=("model_name",),
    max_tokens=("max_output_tokens",),
    stop_sequences=("stop",),
    # The client sends penalties from call kwargs only and candidate_count from the kwarg or ``n``:
    # see ``VertexAIMapper.request_attributes``.
    frequency_penalty=(),
    presence_penalty=(),
    choice_count=(),
)


class VertexAIMapper(GeminiMapper):
    """``ChatVertexAI`` (Gemini models over gRPC or REST)."""

    model_classes = ("langchain_google_vertexai.ChatVertexAI",)
    provider_name = sc.PROVIDER_GCP_VERTEX_AI
    request_fields = VERTEX_FIELDS
    response_model_keys = ("model_version", "model_name")

    def base_url(self, model: object) -> object:
        options = model_field(model, "client_options")
        if isinstance(options, Mapping):
            endpoint = options.get("api_endpoint")
        else:
            endpoint = getattr(options, "api_endpoint", None)  # a ClientOptions object
        return (
            as_str(endpoint)
            or as_str(model_field(model, "api_endpoint"))
            or vertex_host(model_field(model, "location"))
        )

    def request_attributes(self, request: ChatRequest) -> Attributes:
        attributes = super().request_attributes(request)
        kwargs = request.kwargs
        # The model's own penalty fields never reach the request (langchain-google-vertexai
        # leaves them out of its generation config); call kwargs do.
        for attribute, name in (
            (sc.REQUEST_FREQUENCY_PENALTY, "frequency_penalty"),
            (sc.REQUEST_PRESENCE_PENALTY, "presence_penalty"),
        ):
            penalty = as_float(kwargs.get(name))
            if penalty is not None:
                attributes[attribute] = penalty
        # The client drops the candidate count from streaming requests (``_prepare_params``).
        streams = request.streaming or request.field("streaming") is True
        choice_count = None if streams else gemini_choice_count(request)
        if choice_count is not None:
            attributes[sc.REQUEST_CHOICE_COUNT] = choice_count
        return attributes

    def usage_attributes(self, response: ChatResponse) -> Attributes:
        attributes = usage_attributes(response.usage)
        output = attributes.get(sc.USAGE_OUTPUT_TOKENS)
        reasoning = attributes.get(sc.USAGE_REASONING_OUTPUT_TOKENS)
        if (
            isinstance(output, int)
            and isinstance(reasoning, int)
            and reasoning > 0
            and not _reasoning_in_output(response.usage, output, reasoning)
        ):
            attributes[sc.USAGE_OUTPUT_TOKENS] = output + reasoning
        return attributes

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        attributes: Attributes = {}
        metadata = response.metadata
        blocked = metadata.get("is_blocked")
        if not isinstance(blocked, bool):
            blocked = _any_rating_blocked(metadata)
        if blocked is not None:
            attributes[sc.GCP_VERTEX_AI_SAFETY_BLOCKED] = blocked
        categories = blocked_categories(metadata)
        if categories:
            attributes[sc.GCP_VERTEX_AI_SAFETY_BLOCKED_CATEGORIES] = categories
        return attributes


def _any_rating_blocked(metadata: Mapping[str, Any]) -> bool | None:
    """``is_blocked`` as the client computes it, for streams (which drop it); None if no ratings."""
    ratings = metadata.get("safety_ratings")
    if not isinstance(ratings, (list, tuple)) or not ratings:
        return None
    return any(isinstance(r, Mapping) and r.get("blocked") is True for r in ratings)


def _reasoning_in_output(usage: Mapping[str, Any] | None, output: int, reasoning: int) -> bool:
    """True when the reported counts show ``output_tokens`` already includes the reasoning."""
    if usage is None:
        return False
    total = usage.get("total_tokens")
    prompt = usage.get("input_tokens")
    if isinstance(total, int) and isinstance(prompt, int) and total > 0:
        return prompt + output + reasoning > total
    return False

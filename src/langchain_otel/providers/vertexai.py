"""Gemini on Vertex AI through ``ChatVertexAI`` (langchain-google-vertexai), plus the Gemini
response helpers ``google_genai.py`` shares.

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
from langchain_otel._request import ChatRequest, RequestFields, as_choice_count
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_float
from langchain_otel.providers._base import ChatModelMapper, usage_attributes

UNSPECIFIED_FINISH_REASON = "FINISH_REASON_UNSPECIFIED"

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


class VertexAIMapper(ChatModelMapper):
    """``ChatVertexAI`` (Gemini models over gRPC or REST)."""

    model_classes = ("langchain_google_vertexai.ChatVertexAI",)
    provider_name = sc.PROVIDER_GCP_VERTEX_AI
    separate_system_instructions = True
    request_fields = VERTEX_FIELDS
    response_model_keys = ("model_version", "model_name")
    finish_reason_keys = ("finish_reason",)

    def base_url(self, model: object) -> object:
        options = getattr(model, "client_options", None)
        if isinstance(options, Mapping):
            endpoint = options.get("api_endpoint")
        else:
            endpoint = getattr(options, "api_endpoint", None)
        if isinstance(endpoint, str) and endpoint:
            return endpoint
        configured = getattr(model, "api_endpoint", None)
        if isinstance(configured, str) and configured:
            return configured
        return vertex_host(getattr(model, "location", None))

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
        streams = request.streaming or vars(request.model).get("streaming") is True
        choice_count = None if streams else gemini_choice_count(request)
        if choice_count is not None:
            attributes[sc.REQUEST_CHOICE_COUNT] = choice_count
        return attributes

    def finish_reasons(self, response: ChatResponse) -> list[str]:
        return [
            reason
            for choice in response.choice_metadata
            for reason in gemini_finish_reasons(choice)
        ]

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


def vertex_host(location: object) -> str | None:
    """The regional Vertex AI host, as the Google clients build it (``global`` has no prefix)."""
    if not isinstance(location, str) or not location:
        return None
    if location == "global":
        return "aiplatform.googleapis.com"
    return f"{location}-aiplatform.googleapis.com"


def gemini_choice_count(request: ChatRequest) -> int | None:
    """Candidates asked for: the ``candidate_count`` call kwarg, else the model's ``n``.

    Both Google clients read these two (a call kwarg ``n`` is not sent); reading them directly
    also avoids probing pydantic models for absent attributes, which costs microseconds each.
    """
    count = request.kwargs.get("candidate_count")
    if count is None:
        count = getattr(request.model, "n", None)
    return as_choice_count(count)


def gemini_finish_reasons(metadata: Mapping[str, Any]) -> list[str]:
    """The finish reason Gemini reported, never ``FINISH_REASON_UNSPECIFIED``.

    A message LangChain merged from stream chunks (``invoke`` under a streaming callback or with
    ``streaming=True``) glues the chunks' values together: ``FINISH_REASON_UNSPECIFIED...STOP``
    or ``STOPSTOP``. The placeholder is dropped and a repeated value kept once.
    """
    reason = metadata.get("finish_reason")
    if not isinstance(reason, str):
        return []
    reason = reason.replace(UNSPECIFIED_FINISH_REASON, "")
    if not reason:
        return []
    period = (reason + reason).find(reason, 1)  # smallest p with reason == reason[:p] * k
    return [reason[:period]]


def blocked_categories(metadata: Mapping[str, Any]) -> list[str]:
    """Safety categories whose rating says the content was blocked, each once, in order."""
    ratings = metadata.get("safety_ratings")
    if not isinstance(ratings, (list, tuple)):
        return []
    categories: list[str] = []
    for rating in ratings:
        if not isinstance(rating, Mapping) or rating.get("blocked") is not True:
            continue
        category = rating.get("category")
        if isinstance(category, str) and category:
            # google-genai ratings hold str-based enum members: keep the plain value.
            name = str.__str__(category)
            if name not in categories:
                categories.append(name)
    return categories


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

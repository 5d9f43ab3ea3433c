"""Gemini through ``ChatGoogleGenerativeAI`` (langchain-google-genai, on the google-genai SDK).

One class serves two backends: the Gemini Developer API (``gcp.gemini``) and, when the instance
runs on Vertex AI (its resolved ``_use_vertexai``: ``vertexai=True``, ``GOOGLE_GENAI_USE_VERTEXAI``,
``credentials`` or ``project``), Vertex AI (``gcp.vertex_ai``, with ``gcp.vertex_ai.*`` extras).

What langchain-google-genai 4.4 exposes, and so what we report:

- ``response_metadata["model_name"]`` is the response's ``modelVersion`` (the served model; in
  streams on the last chunk only). ``responseId`` is dropped: no response id.
- ``finish_reason`` is the enum name; the stream view and :func:`gemini_finish_reasons` keep one
  real value (never ``STOPSTOP``, never ``FINISH_REASON_UNSPECIFIED``).
- ``usage_metadata.output_tokens`` already includes thoughts (``reasoning``) and ``input_tokens``
  the tool-use prompt, as the spec wants: the generic mapping adds nothing. Streams carry
  per-chunk deltas of the cumulative counts, which sum to the totals.
- ``server.address`` is the SDK client's resolved ``base_url`` (set when the model is built, so
  reading it creates nothing), else the ``base_url`` field, else the backend's default host.
- ``gen_ai.request.model`` drops the ``models/`` resource prefix, as the served name does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, lookup, model_field
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_int, as_str, as_str_list
from langchain_otel.providers._base import ChatModelMapper
from langchain_otel.providers._gemini import (
    GeminiMapper,
    blocked_categories,
    gemini_choice_count,
    vertex_host,
)

GEMINI_API_HOST = "generativelanguage.googleapis.com"

GENAI_FIELDS = RequestFields(
    model=("model",),
    max_tokens=("max_output_tokens",),
    # The ``stop_sequences`` and ``candidate_count`` call kwargs have no model attribute of that
    # name: see ``GoogleGenAIMapper.request_attributes``.
    stop_sequences=("stop",),
    choice_count=(),
)


class GoogleGenAIMapper(GeminiMapper):
    """``ChatGoogleGenerativeAI`` on the Gemini Developer API."""

    model_classes: ClassVar[tuple[str, ...]] = ("langchain_google_genai.ChatGoogleGenerativeAI",)
    embedding_classes: ClassVar[tuple[str, ...]] = (
        "langchain_google_genai.GoogleGenerativeAIEmbeddings",
    )
    provider_name = sc.PROVIDER_GCP_GEMINI
    request_fields = GENAI_FIELDS
    response_model_keys = ("model_name",)
    refines_per_model = True
    blocked_categories_attribute = sc.GCP_GEMINI_SAFETY_BLOCKED_CATEGORIES

    def for_model(self, model: object) -> ChatModelMapper:
        """The backend the instance resolved when it was built (``_use_vertexai``)."""
        return _VERTEX_BACKEND if _on_vertex(model) else self

    def request_model(self, request: ChatRequest) -> str | None:
        model = super().request_model(request)
        if model is None:
            return None
        return model.removeprefix("models/") or None

    def embedding_request_model(self, model: object, kwargs: Mapping[str, Any]) -> str | None:
        name = super().embedding_request_model(model, kwargs)
        return (name.removeprefix("models/") or None) if name else None

    def embedding_request_attributes(self, model: object, kwargs: Mapping[str, Any]) -> Attributes:
        """The dimension count: ``output_dimensionality`` (call argument, else the field), or
        ``dimensions`` (``VertexAIEmbeddings``)."""
        dimensions = as_int(lookup(model, kwargs, ("output_dimensionality", "dimensions")))
        if dimensions is None or dimensions <= 0:
            return {}
        return {sc.EMBEDDINGS_DIMENSION_COUNT: dimensions}

    def base_url(self, model: object) -> object:
        client = model_field(model, "client")  # a plain field the model fills when built
        options = getattr(getattr(client, "_api_client", None), "_http_options", None)
        resolved = as_str(getattr(options, "base_url", None))
        if resolved is not None:
            return resolved
        configured = model_field(model, "base_url")
        if isinstance(configured, Mapping):  # the deprecated client_options form
            configured = configured.get("api_endpoint")
        if isinstance(configured, str) and configured:
            return configured
        if _on_vertex(model):
            return vertex_host(model_field(model, "location") or "global")
        return GEMINI_API_HOST

    def request_attributes(self, request: ChatRequest) -> Attributes:
        attributes = super().request_attributes(request)
        # The client's precedence: the ``stop`` argument, the ``stop_sequences`` kwarg, the field.
        if request.kwargs.get("stop") is None:
            stop = as_str_list(request.kwargs.get("stop_sequences"))
            if stop is not None:
                attributes[sc.REQUEST_STOP_SEQUENCES] = stop
        choice_count = gemini_choice_count(request)
        if choice_count is not None:
            attributes[sc.REQUEST_CHOICE_COUNT] = choice_count
        return attributes

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        categories = blocked_categories(response.metadata)
        return {self.blocked_categories_attribute: categories} if categories else {}


class GoogleGenAIVertexMapper(GoogleGenAIMapper):
    """``ChatGoogleGenerativeAI`` on the Vertex AI backend."""

    provider_name = sc.PROVIDER_GCP_VERTEX_AI
    blocked_categories_attribute = sc.GCP_VERTEX_AI_SAFETY_BLOCKED_CATEGORIES


_VERTEX_BACKEND = GoogleGenAIVertexMapper()


def _on_vertex(model: object) -> bool:
    """Whether the instance runs on Vertex AI: ``vertexai=True``, ``GOOGLE_GENAI_USE_VERTEXAI``,
    ``credentials`` or ``project``, as its validator resolved them into ``_use_vertexai``."""
    return model_field(model, "_use_vertexai") is True


class VertexAIEmbeddingsMapper(GoogleGenAIVertexMapper):
    """``VertexAIEmbeddings`` (langchain-google-vertexai): a google-genai client on Vertex AI,
    read like ``GoogleGenerativeAIEmbeddings`` on that backend."""

    model_classes: ClassVar[tuple[str, ...]] = ()
    embedding_classes: ClassVar[tuple[str, ...]] = ("langchain_google_vertexai.VertexAIEmbeddings",)
    embedding_model_fields = ("model_name", "model")

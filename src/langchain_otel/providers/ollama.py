"""Ollama (``ChatOllama``, langchain-ollama): the ollama client on ``POST /api/chat`` (NDJSON).

- Request: the sampling parameters are Ollama ``options``: ``num_predict`` is the max tokens,
  then ``temperature``, ``top_p``, ``top_k``, ``seed``, ``stop`` (fields of the model, or the
  ``stop`` argument). An ``options`` call kwarg replaces all of them (and the ``stop`` argument),
  as it does in the request, and may also carry the penalties.
- Streaming: ChatOllama always asks for a streamed answer, ``invoke`` included (it aggregates the
  chunks and reports each to the run manager), so every call sets ``gen_ai.request.stream`` and
  the time to first chunk, unless the call passes ``stream=False`` (then the one answer it
  reports as a chunk is not a stream).
- Endpoint: the base URL of the ollama client the model built, which applied Ollama's own host
  rules (``base_url``, else ``OLLAMA_HOST``; scheme-less hosts are ``http`` on port 11434; user
  info is stripped); if it cannot be read, ``base_url``, else ``http://127.0.0.1:11434``.
- Response (same in both modes, from the final NDJSON object): ``model_name`` is the model the
  server ran, ``done_reason`` (``stop``, ``length``, ``load``) the finish reason; no id. Usage is
  ``prompt_eval_count``/``eval_count``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, extract_request_params, model_field
from langchain_otel._values import Attributes
from langchain_otel.providers._base import ChatModelMapper, client_base_url

OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434"
OLLAMA_FIELDS = RequestFields(
    model=("model",), max_tokens=("num_predict",), stop_sequences=("stop",), choice_count=()
)


class OllamaMapper(ChatModelMapper):
    """``ChatOllama``."""

    model_classes = ("langchain_ollama.ChatOllama",)
    embedding_classes = ("langchain_ollama.OllamaEmbeddings",)
    completion_classes = ("langchain_ollama.OllamaLLM",)
    provider_name = sc.PROVIDER_OLLAMA
    client_library = "ollama"
    request_fields = OLLAMA_FIELDS
    finish_reason_keys = ("done_reason",)
    response_id_key = None

    def base_url(self, model: object) -> object:
        return (
            client_base_url(model_field(model, "_client"))
            or model_field(model, "base_url")
            or OLLAMA_DEFAULT_BASE_URL
        )

    def request_attributes(self, request: ChatRequest) -> Attributes:
        kwargs = request.kwargs
        options = kwargs.get("options")
        if isinstance(options, Mapping):
            attributes = extract_request_params(None, options, self.request_fields)
        else:
            attributes = extract_request_params(request.model, kwargs, self.request_fields)
        return attributes

    def completion_usage(self, metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """``OllamaLLM`` keeps the final NDJSON object as the generation info: its counters."""
        return {
            "input_tokens": metadata.get("prompt_eval_count"),
            "output_tokens": metadata.get("eval_count"),
        }

    def streams_on_wire(self, request: ChatRequest) -> bool | None:
        return request.kwargs.get("stream") is not False

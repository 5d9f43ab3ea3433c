"""Groq (``ChatGroq``, langchain-groq): the groq SDK on Groq's OpenAI-compatible Chat Completions.

- Request: ``max_tokens``, ``temperature`` (default 0.7, always sent; 0 is sent as 1e-8), ``stop``,
  ``n``; ``top_p``, ``seed`` and the penalties have no field and come from call kwargs or
  ``model_kwargs``. Groq has no ``top_k``.
- Endpoint: ``groq_api_base`` (alias ``base_url``; env ``GROQ_API_BASE``), which the groq client
  is built from; unset, the base URL that client resolved (the SDK's ``GROQ_BASE_URL``, else
  ``https://api.groq.com``).
- Response: ``model_name`` is the *configured* model in both modes (the server's ``model`` is
  dropped), so it is not reported: the requested model stands in. No id: the message has none and
  ``x_groq.id`` is not kept. Streamed usage comes from the final chunk's ``x_groq.usage``.
- Vendor attributes (span only; values are unbounded, so never metric attributes): Groq's
  server-side timings, in seconds, from a non-streaming answer's ``token_usage`` (langchain-groq
  drops them from streamed usage); a timing Groq sends as null is absent.

  ======================================  =============================
  attribute                               ``token_usage`` key (double)
  ======================================  =============================
  ``groq.usage.queue_time``               ``queue_time``
  ``groq.usage.prompt_time``              ``prompt_time``
  ``groq.usage.completion_time``          ``completion_time``
  ``groq.usage.total_time``               ``total_time``
  ======================================  =============================
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_otel import _semconv as sc
from langchain_otel._request import RequestFields
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_float
from langchain_otel.providers._base import ChatModelMapper

GROQ_FIELDS = RequestFields(model=("model", "model_name"), stop_sequences=("stop",), top_k=())

_TIMINGS = (
    (sc.GROQ_USAGE_QUEUE_TIME, "queue_time"),
    (sc.GROQ_USAGE_PROMPT_TIME, "prompt_time"),
    (sc.GROQ_USAGE_COMPLETION_TIME, "completion_time"),
    (sc.GROQ_USAGE_TOTAL_TIME, "total_time"),
)


class GroqMapper(ChatModelMapper):
    """``ChatGroq``."""

    model_classes = ("langchain_groq.ChatGroq",)
    provider_name = sc.PROVIDER_GROQ
    client_library = "groq"
    request_fields = GROQ_FIELDS
    finish_reason_keys = ("finish_reason",)
    response_id_key = None
    response_model_keys = ()  # ``model_name`` is the configured model: the requested one stands in
    base_url_field = "groq_api_base"
    default_base_url = "https://api.groq.com"
    sends_model_kwargs = True

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        usage = response.metadata.get("token_usage")
        if not isinstance(usage, Mapping):
            return {}
        attributes: Attributes = {}
        for attribute, key in _TIMINGS:
            seconds = as_float(usage.get(key))
            if seconds is not None:
                attributes[attribute] = seconds
        return attributes

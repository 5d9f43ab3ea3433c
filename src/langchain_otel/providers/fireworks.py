"""Fireworks AI (``ChatFireworks``, langchain-fireworks): the fireworks SDK, OpenAI-shaped answers.

- Request: ``max_tokens``, ``temperature``, ``stop``, ``n``; ``top_p``, ``top_k``, ``seed`` and
  the penalties come from call kwargs or ``model_kwargs``.
- Endpoint: ``fireworks_api_base`` (alias ``base_url``; env ``FIREWORKS_API_BASE`` or the
  LangSmith gateway), which the fireworks client is built from; unset, the base URL that client
  resolved (the SDK's ``FIREWORKS_BASE_URL``, else ``https://api.fireworks.ai``).
- Response: ``model_name`` is the *configured* model in both modes, so it is not reported (the
  requested model stands in); no id in either mode. Usage carries ``cache_read``
  (``prompt_tokens_details.cached_tokens``) and ``reasoning`` when Fireworks reports them; streams
  get usage from the final usage chunk (``stream_usage``, on by default).
- Vendor attribute: ``fireworks.response.service_tier``, the tier the server says it used (both
  modes; absent when it does not say).
"""

from __future__ import annotations

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, extract_request_params
from langchain_otel._response import ChatResponse
from langchain_otel.providers._base import (
    Attributes,
    ChatModelMapper,
    call_kwargs_over_model_kwargs,
    client_base_url,
    first_str,
)

FIREWORKS_DEFAULT_BASE_URL = "https://api.fireworks.ai"
FIREWORKS_FIELDS = RequestFields(model=("model", "model_name"), stop_sequences=("stop",))


class FireworksMapper(ChatModelMapper):
    """``ChatFireworks``."""

    model_classes = ("langchain_fireworks.ChatFireworks",)
    provider_name = sc.PROVIDER_FIREWORKS_AI
    client_library = "fireworks"
    request_fields = FIREWORKS_FIELDS
    finish_reason_keys = ("finish_reason",)
    response_id_key = None

    def base_url(self, model: object) -> object:
        return (
            getattr(model, "fireworks_api_base", None)
            or client_base_url(getattr(model, "client", None))
            or FIREWORKS_DEFAULT_BASE_URL
        )

    def request_attributes(self, request: ChatRequest) -> Attributes:
        kwargs = call_kwargs_over_model_kwargs(request)
        return extract_request_params(request.model, kwargs, self.request_fields)

    def response_model(self, response: ChatResponse) -> str | None:
        return None  # ``model_name`` is the configured model: the requested one stands in

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        tier = first_str(response.metadata, ("service_tier",))
        return {sc.FIREWORKS_RESPONSE_SERVICE_TIER: tier} if tier else {}

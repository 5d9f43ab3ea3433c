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
from langchain_otel._request import RequestFields
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes
from langchain_otel.providers._base import ChatModelMapper, first_str

FIREWORKS_FIELDS = RequestFields(model=("model", "model_name"), stop_sequences=("stop",))


class FireworksMapper(ChatModelMapper):
    """``ChatFireworks``."""

    model_classes = ("langchain_fireworks.ChatFireworks",)
    embedding_classes = ("langchain_fireworks.FireworksEmbeddings",)
    provider_name = sc.PROVIDER_FIREWORKS_AI
    client_library = "fireworks"
    request_fields = FIREWORKS_FIELDS
    finish_reason_keys = ("finish_reason",)
    response_id_key = None
    response_model_keys = ()  # ``model_name`` is the configured model: the requested one stands in
    base_url_field = "fireworks_api_base"
    default_base_url = "https://api.fireworks.ai"
    sends_model_kwargs = True

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        tier = first_str(response.metadata, ("service_tier",))
        return {sc.FIREWORKS_RESPONSE_SERVICE_TIER: tier} if tier else {}

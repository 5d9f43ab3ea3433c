"""OpenAI Chat Completions (``ChatOpenAI``) and the OpenAI-compatible servers it is pointed at.

``ChatOpenAI(base_url=...)`` is how many users reach Together, Groq, Fireworks, Mistral, DeepSeek
or xAI; the response shape is still OpenAI's, but ``gen_ai.provider.name`` follows the host, and
``openai.*`` vendor attributes are set only when the provider is OpenAI itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, RequestFields, lookup
from langchain_otel._response import ChatResponse
from langchain_otel.providers._base import Attributes, ChatModelMapper, first_str

OPENAI_FIELDS = RequestFields(
    model=("model", "model_name"),
    max_tokens=("max_completion_tokens", "max_tokens"),
    top_k=(),
)


class OpenAIMapper(ChatModelMapper):
    """``ChatOpenAI`` on Chat Completions."""

    model_classes = ("langchain_openai.ChatOpenAI",)
    provider_name = sc.PROVIDER_OPENAI
    request_fields = OPENAI_FIELDS
    response_model_keys = ("model_name", "model")
    finish_reason_keys = ("finish_reason",)

    def base_url(self, model: object) -> object:
        configured = getattr(model, "openai_api_base", None)
        if configured:
            return configured
        client = getattr(model, "root_client", None) or getattr(model, "root_async_client", None)
        return getattr(client, "base_url", None)

    def for_host(self, host: str) -> ChatModelMapper:
        return _COMPATIBLE_HOSTS.get(host, self)

    def request_attributes(self, request: ChatRequest) -> Attributes:
        attributes = super().request_attributes(request)
        tier = lookup(request.model, request.kwargs, ("service_tier",))
        if isinstance(tier, str) and tier and tier != "auto":
            attributes[sc.OPENAI_REQUEST_SERVICE_TIER] = tier
        return attributes

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        return openai_vendor_attributes(response.metadata)


class OpenAICompatibleMapper(OpenAIMapper):
    """An OpenAI-shaped API served by another provider: no ``openai.*`` attributes."""

    def __init__(self, provider_name: str) -> None:
        self.provider_name = provider_name

    def for_host(self, host: str) -> ChatModelMapper:
        return self

    def request_attributes(self, request: ChatRequest) -> Attributes:
        return ChatModelMapper.request_attributes(self, request)

    def vendor_attributes(self, response: ChatResponse) -> Attributes:
        return {}


def openai_vendor_attributes(metadata: Mapping[str, Any]) -> Attributes:
    attributes: Attributes = {}
    fingerprint = first_str(metadata, ("system_fingerprint",))
    if fingerprint:
        attributes[sc.OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint
    tier = first_str(metadata, ("service_tier",))
    if tier:
        attributes[sc.OPENAI_RESPONSE_SERVICE_TIER] = tier
    return attributes


_COMPATIBLE_HOSTS: Mapping[str, ChatModelMapper] = {
    host: OpenAICompatibleMapper(provider)
    for host, provider in (
        ("api.together.xyz", sc.PROVIDER_TOGETHER_AI),
        ("api.fireworks.ai", sc.PROVIDER_FIREWORKS_AI),
        ("api.groq.com", sc.PROVIDER_GROQ),
        ("api.mistral.ai", sc.PROVIDER_MISTRAL_AI),
        ("api.deepseek.com", sc.PROVIDER_DEEPSEEK),
        ("api.x.ai", sc.PROVIDER_X_AI),
    )
}

"""The mapper for chat and completion classes no mapper claims: what LangChain itself says.

Such a class has no table of its fields here, so the provider, the model and the common sampling
parameters come from LangSmith's ``_get_ls_params`` (``ls_provider``, ``ls_model_name``,
``ls_temperature`` ...), the response side from LangChain's standard metadata. Its fields say
nothing reliable about where it sends requests: no server address is reported.
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest
from langchain_otel._values import Attributes, as_float, as_int, as_str, as_str_list
from langchain_otel.providers._base import ChatModelMapper

# ``ls_provider`` (LangSmith params) -> gen_ai.provider.name.
LS_PROVIDER_NAMES: Mapping[str, str] = {
    "openai": sc.PROVIDER_OPENAI,
    "azure": sc.PROVIDER_AZURE_OPENAI,
    "azure_openai": sc.PROVIDER_AZURE_OPENAI,
    "anthropic": sc.PROVIDER_ANTHROPIC,
    "amazon_bedrock": sc.PROVIDER_AWS_BEDROCK,
    "bedrock": sc.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": sc.PROVIDER_AWS_BEDROCK,
    "google_vertexai": sc.PROVIDER_GCP_VERTEX_AI,
    "vertexai": sc.PROVIDER_GCP_VERTEX_AI,
    "google_genai": sc.PROVIDER_GCP_GEMINI,
    "mistral": sc.PROVIDER_MISTRAL_AI,
    "mistralai": sc.PROVIDER_MISTRAL_AI,
    "groq": sc.PROVIDER_GROQ,
    "deepseek": sc.PROVIDER_DEEPSEEK,
    "xai": sc.PROVIDER_X_AI,
    "together": sc.PROVIDER_TOGETHER_AI,
    "fireworks": sc.PROVIDER_FIREWORKS_AI,
    "ollama": sc.PROVIDER_OLLAMA,
    "cohere": sc.PROVIDER_COHERE,
    "perplexity": sc.PROVIDER_PERPLEXITY,
    "ibm": sc.PROVIDER_IBM_WATSONX,
}


class GenericMapper(ChatModelMapper):
    """For chat classes no mapper claims: LangSmith ``ls_*`` params and standard metadata."""

    def base_url(self, model: object) -> object:
        return None

    def request_provider_name(self, request: ChatRequest) -> str:
        return provider_from_ls(request.ls_params.get("ls_provider"))

    def request_model(self, request: ChatRequest) -> str | None:
        return super().request_model(request) or as_str(request.ls_params.get("ls_model_name"))

    def request_attributes(self, request: ChatRequest) -> Attributes:
        attributes = super().request_attributes(request)
        ls_params = request.ls_params
        for attribute, key, coerce in (
            (sc.REQUEST_TEMPERATURE, "ls_temperature", as_float),
            (sc.REQUEST_MAX_TOKENS, "ls_max_tokens", as_int),
            (sc.REQUEST_STOP_SEQUENCES, "ls_stop", as_str_list),
        ):
            value = coerce(ls_params.get(key))
            if attribute not in attributes and value is not None:
                attributes[attribute] = value
        return attributes


def provider_from_ls(ls_provider: object) -> str:
    """Well-known ``gen_ai.provider.name`` for an ``ls_provider``; unknown ones pass through."""
    if not isinstance(ls_provider, str) or not ls_provider:
        return "langchain"
    return LS_PROVIDER_NAMES.get(ls_provider, ls_provider)

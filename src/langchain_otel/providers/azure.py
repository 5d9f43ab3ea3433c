"""Azure OpenAI (``AzureChatOpenAI``): OpenAI's models served by Azure.

- ``gen_ai.provider.name`` is ``azure.ai.openai``, so no ``openai.*`` attributes: semconv defines
  those for the provider ``openai`` and asks for vendor attributes consistent with the provider
  name (Azure's ``prompt_filter_results``/``content_filter_results`` have no semconv attribute).
- ``gen_ai.request.model`` is the model name when the user configured one (``model=...``, or a
  per-call ``model``), else the deployment: the deployment is what Azure routes on, but the model
  name is what a request names across providers. Without either it is the default model name
  LangChain sends in the body.
- ``server.address`` comes from ``azure_endpoint`` (else the legacy ``base_url``, else the client).
- ``gen_ai.response.model`` is the served model as LangChain reports it (with the user's
  ``model_version`` suffix on invoke). Content-filter stops: LangChain raises ``ValueError`` on
  invoke before any answer is returned (error span, no finish reason to read); a stream ends
  normally with finish reason ``content_filter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_otel import _semconv as sc
from langchain_otel._request import ChatRequest, model_field, user_set
from langchain_otel._response import ChatResponse
from langchain_otel._values import as_str
from langchain_otel.providers.openai import OpenAICompatibleMapper


class AzureOpenAIMapper(OpenAICompatibleMapper):
    model_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.AzureChatOpenAI",)
    embedding_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.AzureOpenAIEmbeddings",)
    provider_name = sc.PROVIDER_AZURE_OPENAI
    base_url_field = "azure_endpoint"

    def request_model(self, request: ChatRequest) -> str | None:
        for key in self.request_fields.model:
            override = as_str(request.kwargs.get(key))
            if override is not None:
                return override
        if user_set(request.model, "model_name"):
            configured = as_str(request.field("model_name"))
            if configured is not None:
                return configured
        return as_str(request.field("deployment_name")) or super().request_model(request)

    def embedding_request_model(self, model: object, kwargs: Mapping[str, Any]) -> str | None:
        """The same rule for ``AzureOpenAIEmbeddings``: a configured ``model``, else the
        ``deployment``, else the default model name sent in the body."""
        override = as_str(kwargs.get("model"))
        if override is not None:
            return override
        deployment = None if user_set(model, "model") else as_str(model_field(model, "deployment"))
        return deployment or super().embedding_request_model(model, kwargs)


class AzureOpenAICompletionMapper(AzureOpenAIMapper):
    """``langchain_openai.AzureOpenAI`` (Completions on a deployment): the chat rules, except
    that LangChain reports its own ``model_name`` default, not the served model, so the
    requested model (the deployment, unless a model is configured) stands in."""

    model_classes: ClassVar[tuple[str, ...]] = ()
    embedding_classes: ClassVar[tuple[str, ...]] = ()
    completion_classes: ClassVar[tuple[str, ...]] = ("langchain_openai.AzureOpenAI",)

    def response_model(self, response: ChatResponse) -> str | None:
        return None

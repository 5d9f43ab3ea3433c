"""xAI (``ChatXAI``): the OpenAI shape (Chat Completions or Responses) from ``xai_api_base``.

xAI reports reasoning tokens outside ``completion_tokens``; langchain-xai adds them to
``usage_metadata.output_tokens`` (Chat Completions), which is what ``gen_ai.usage.output_tokens``
must include, so usage is taken as LangChain reports it and nothing is added again.
"""

from __future__ import annotations

from langchain_otel import _semconv as sc
from langchain_otel.providers.openai import OpenAICompatibleMapper


class XAIMapper(OpenAICompatibleMapper):
    model_classes = ("langchain_xai.ChatXAI",)
    provider_name = sc.PROVIDER_X_AI
    base_url_field = "xai_api_base"

"""DeepSeek (``ChatDeepSeek``): the OpenAI Chat Completions shape from ``api_base``.

DeepSeek reports cache hits as top-level ``usage.prompt_cache_hit_tokens`` (a subset of
``prompt_tokens``). langchain-deepseek folds them into ``input_token_details.cache_read``; when a
version does not, the raw count (in ``token_usage``, invoke only) is read instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_otel import _semconv as sc
from langchain_otel._response import ChatResponse
from langchain_otel._values import Attributes, as_count
from langchain_otel.providers.openai import OpenAICompatibleMapper


class DeepSeekMapper(OpenAICompatibleMapper):
    model_classes = ("langchain_deepseek.ChatDeepSeek",)
    provider_name = sc.PROVIDER_DEEPSEEK
    base_url_field = "api_base"

    def usage_attributes(self, response: ChatResponse) -> Attributes:
        attributes = super().usage_attributes(response)
        if attributes and sc.USAGE_CACHE_READ_INPUT_TOKENS not in attributes:
            raw = response.metadata.get("token_usage")
            hits = (
                as_count(raw.get("prompt_cache_hit_tokens")) if isinstance(raw, Mapping) else None
            )
            if hits is not None:
                attributes[sc.USAGE_CACHE_READ_INPUT_TOKENS] = hits
        return attributes

"""Together AI (``ChatTogether``, langchain-together): ``BaseChatOpenAI`` on Together's endpoint.

Everything but the endpoint is ChatOpenAI's Chat Completions (request fields, served
``model_name``, ``id`` in non-streaming answers, usage), so this is the OpenAI-compatible mapper
with Together's name: the answers say ``model_provider: "openai"``, the provider is Together.

- Endpoint: ``together_api_base`` (alias ``base_url``; default ``https://api.together.xyz/v1/``,
  env ``TOGETHER_API_BASE``), which the openai clients are built from.
- Streams carry usage only with ``stream_usage=True``: langchain-together replaces the
  validator that turns it on for ChatOpenAI, so by default streamed calls report no tokens.
- Finish reasons are Together's own (``eos``, ``stop``, ``length``, ``tool_calls``).
"""

from __future__ import annotations

from langchain_otel import _semconv as sc
from langchain_otel.providers.openai import OpenAICompatibleMapper


class TogetherMapper(OpenAICompatibleMapper):
    """``ChatTogether``."""

    model_classes = ("langchain_together.ChatTogether",)
    embedding_classes = ("langchain_together.TogetherEmbeddings",)
    provider_name = sc.PROVIDER_TOGETHER_AI
    base_url_field = "together_api_base"
    sends_model_kwargs = True

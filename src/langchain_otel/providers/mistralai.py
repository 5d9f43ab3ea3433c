"""Mistral AI (``ChatMistralAI``, langchain-mistralai): its own httpx client on Chat Completions.

- Request: the seed is ``random_seed``; ``temperature`` (default 0.7) and ``top_p`` (default 1)
  always have a value and are always sent, so they are always reported; there is no ``top_k``.
  Constructor extras (``model_kwargs``) and call kwargs are sent as-is and count too.
- Endpoint: the ``endpoint`` field (alias ``base_url``), which the model resolves when it is built
  (else ``MISTRAL_BASE_URL``, else ``https://api.mistral.ai/v1``) and builds its httpx clients
  from. A client passed in with another base URL is not noticed.
- Response: no id in either mode. A non-streaming answer's ``model_name`` is the *configured*
  model, not the served one (and ignores a per-call ``model``), so it is not reported: the
  requested model stands in. A stream's ``model_name`` is the server's ``model`` from the final
  chunk. Finish reasons: ``stop``, ``length``, ``model_length``, ``tool_calls``, ``error``.
"""

from __future__ import annotations

from langchain_otel import _semconv as sc
from langchain_otel._request import RequestFields
from langchain_otel._response import ChatResponse
from langchain_otel.providers._base import ChatModelMapper

MISTRAL_FIELDS = RequestFields(model=("model",), seed=("random_seed",), top_k=())


class MistralAIMapper(ChatModelMapper):
    """``ChatMistralAI``."""

    model_classes = ("langchain_mistralai.ChatMistralAI",)
    embedding_classes = ("langchain_mistralai.MistralAIEmbeddings",)
    provider_name = sc.PROVIDER_MISTRAL_AI
    request_fields = MISTRAL_FIELDS
    response_model_keys = ("model_name",)
    finish_reason_keys = ("finish_reason",)
    response_id_key = None
    base_url_field = "endpoint"
    sends_model_kwargs = True

    def response_model(self, response: ChatResponse) -> str | None:
        # The non-streaming shape (the one with ``token_usage``) echoes the configured model.
        if "token_usage" in response.metadata:
            return None
        return super().response_model(response)

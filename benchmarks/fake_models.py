"""Instant, in-process embedding and completion models for the ``embed_query`` and
``completion`` rows (no I/O, no provider package).

- ``BenchEmbeddings``: an ``Embeddings`` whose ``embed_query`` returns a fixed 8-float vector
  (``embed_documents``: one per text). Registered for an ``OpenAIMapper`` subclass as
  ``OpenAIEmbeddings`` would be (``embedding_classes``), on api.openai.com.
- ``BenchLLM``: a ``BaseLLM`` whose ``_generate`` returns one ready generation with
  ``finish_reason`` and an ``llm_output`` shaped like ``langchain_openai.OpenAI``'s
  (``token_usage``, ``model_name``, ``system_fingerprint``). Registered for an
  ``OpenAICompletionMapper`` subclass (``completion_classes``), as ``langchain_openai.OpenAI``.
"""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.llms import BaseLLM
from langchain_core.outputs import Generation, LLMResult
from pydantic import ConfigDict

from benchmarks import fake_chat

EMBEDDING_MODEL = "text-embedding-3-small"
VECTOR = [0.5, 0.25, 0.125, 0.0625, -0.5, -0.25, -0.125, -0.0625]
COMPLETION_MODEL = "gpt-3.5-turbo-instruct"
PROMPT = "Name the capital of France."
COMPLETION = " The capital of France is Paris."
PROMPT_TOKENS = 7
COMPLETION_TOKENS = 8


class BenchEmbeddings(Embeddings):
    """A fixed vector per text, at once."""

    def __init__(self, model: str = EMBEDDING_MODEL) -> None:
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(VECTOR) for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return list(VECTOR)


class BenchLLM(BaseLLM):
    """One ready completion with token usage in ``llm_output``."""

    model_config = ConfigDict(protected_namespaces=())

    model_name: str = COMPLETION_MODEL

    @property
    def _llm_type(self) -> str:
        return "bench-llm"

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations = [
            [Generation(text=COMPLETION, generation_info={"finish_reason": "stop"})]
            for _ in prompts
        ]
        usage = {
            "prompt_tokens": PROMPT_TOKENS * len(prompts),
            "completion_tokens": COMPLETION_TOKENS * len(prompts),
            "total_tokens": (PROMPT_TOKENS + COMPLETION_TOKENS) * len(prompts),
        }
        return LLMResult(
            generations=generations,
            llm_output={
                "token_usage": usage,
                "model_name": self.model_name,
                "system_fingerprint": fake_chat.FINGERPRINT,
            },
        )

"""Instant, in-process models that answer like OpenAI's, and the mappers that register them.

No I/O and no provider package: a benchmark measures LangChain plus the instrumentation only.

- ``BenchChatModel`` answers like ``ChatOpenAI`` on Chat Completions. invoke: ``llm_output`` (id,
  model, fingerprint, service tier, token usage), ``generation_info`` with the finish reason,
  ``usage_metadata``; stream: ``chunks`` chunks, the last text one with the finish metadata, the
  final one with the usage (``chunk_position="last"``), no id, as langchain-openai streams. It
  never calls ``run_manager`` itself: ``stream``/``astream`` report each chunk. Its
  ``_get_ls_params`` builds the invocation params first, as ``ChatOpenAI``'s does.
- ``BenchEmbeddings``: ``embed_query`` returns a fixed 8-float vector.
- ``BenchLLM``: a ``BaseLLM`` with one ready generation and ``langchain_openai.OpenAI``'s
  ``llm_output`` shape.

:func:`mappers` registers the three like their OpenAI counterparts, on api.openai.com.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from langchain_core.embeddings import Embeddings
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.llms import BaseLLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import (
    ChatGeneration,
    ChatGenerationChunk,
    ChatResult,
    Generation,
    LLMResult,
)
from pydantic import ConfigDict, Field

MODEL = "gpt-4o-mini"
SERVED_MODEL = "gpt-4o-mini-2024-07-18"
RESPONSE_ID = "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
FINGERPRINT = "fp_0ba0d124f1"
BASE_URL = "https://api.openai.com/v1"
ANSWER = (
    "The capital of France is Paris. It is also the country's largest city, on the Seine,"
    " and has been the seat of its government for most of the last thousand years."
)
INPUT_TOKENS = 26
OUTPUT_TOKENS = 33


def _usage() -> dict[str, Any]:
    return {
        "input_tokens": INPUT_TOKENS,
        "output_tokens": OUTPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
        "input_token_details": {"audio": 0, "cache_read": 0},
        "output_token_details": {"audio": 0, "reasoning": 0},
    }


def _token_usage() -> dict[str, Any]:
    return {
        "completion_tokens": OUTPUT_TOKENS,
        "prompt_tokens": INPUT_TOKENS,
        "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS,
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
    }


def _pieces(count: int) -> list[str]:
    """``count`` text pieces that join to ``ANSWER``: whole words, spread evenly."""
    words = ANSWER.split(" ")
    pieces = [""] * count
    for index, word in enumerate(words):
        pieces[index * count // len(words)] += word if index == 0 else " " + word
    return pieces


class BenchChatModel(BaseChatModel):
    """OpenAI-shaped answers with no I/O. ``chunks``: chunks per stream, counted at the consumer."""

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(default=MODEL, alias="model")
    temperature: float | None = 0.2
    max_tokens: int | None = 256
    top_p: float | None = None
    chunks: int = Field(default=20, ge=2)

    @property
    def _llm_type(self) -> str:
        return "bench-openai-chat"

    @property
    def _default_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model_name, "stream": False, "n": 1}
        for name in ("temperature", "max_tokens", "top_p"):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        return params

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = self._get_invocation_params(stop=stop, **kwargs)
        ls_params = LangSmithParams(
            ls_provider="openai",
            ls_model_name=params.get("model", self.model_name),
            ls_model_type="chat",
            ls_temperature=params.get("temperature", self.temperature),
        )
        max_tokens = params.get("max_tokens", self.max_tokens)
        if max_tokens:
            ls_params["ls_max_tokens"] = max_tokens
        if stop:
            ls_params["ls_stop"] = stop
        return ls_params

    # -- answers ---------------------------------------------------------------------------------

    def _result(self) -> ChatResult:
        message = AIMessage(
            content=ANSWER,
            response_metadata={"model_provider": "openai"},
            usage_metadata=_usage(),  # type: ignore[arg-type]
        )
        generation = ChatGeneration(
            message=message, generation_info={"finish_reason": "stop", "logprobs": None}
        )
        llm_output = {
            "token_usage": _token_usage(),
            "model_provider": "openai",
            "model_name": SERVED_MODEL,
            "system_fingerprint": FINGERPRINT,
            "id": RESPONSE_ID,
            "service_tier": "default",
        }
        return ChatResult(generations=[generation], llm_output=llm_output)

    def _chunks(self) -> Iterator[ChatGenerationChunk]:
        pieces = _pieces(self.chunks - 1)
        last_text = len(pieces) - 1
        for index, piece in enumerate(pieces):
            info = None
            if index == last_text:
                info = {
                    "finish_reason": "stop",
                    "model_name": SERVED_MODEL,
                    "system_fingerprint": FINGERPRINT,
                    "service_tier": "default",
                }
            message = AIMessageChunk(content=piece, response_metadata={"model_provider": "openai"})
            yield ChatGenerationChunk(message=message, generation_info=info)
        final = AIMessageChunk(
            content="",
            usage_metadata=_usage(),  # type: ignore[arg-type]
            chunk_position="last",
        )
        yield ChatGenerationChunk(message=final)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._chunks()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks():
            yield chunk


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
                "system_fingerprint": FINGERPRINT,
            },
        )


def mappers() -> list[Any]:
    """Mappers for the three bench classes, as ``ChatOpenAI``, ``OpenAIEmbeddings`` and
    ``langchain_openai.OpenAI`` on api.openai.com. ``benchmarks`` exports the classes, as a
    provider package would (``"benchmarks.BenchChatModel"``)."""
    import benchmarks  # noqa: PLC0415
    from langchain_otel.providers.openai import (  # noqa: PLC0415
        OpenAICompletionMapper,
        OpenAIMapper,
    )

    benchmarks.BenchChatModel = BenchChatModel  # type: ignore[attr-defined]
    benchmarks.BenchEmbeddings = BenchEmbeddings  # type: ignore[attr-defined]
    benchmarks.BenchLLM = BenchLLM  # type: ignore[attr-defined]

    class BenchOpenAIMapper(OpenAIMapper):
        model_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchChatModel",)
        embedding_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchEmbeddings",)

        def base_url(self, model: object) -> object:
            return BASE_URL

    class BenchCompletionMapper(OpenAICompletionMapper):
        completion_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchLLM",)

        def base_url(self, model: object) -> object:
            return BASE_URL

    return [BenchOpenAIMapper(), BenchCompletionMapper()]

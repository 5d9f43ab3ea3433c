"""An in-process chat model with OpenAI-shaped metadata, for behaviour no real client can script."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.llms import BaseLLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import (
    ChatGeneration,
    ChatGenerationChunk,
    ChatResult,
    Generation,
    GenerationChunk,
    LLMResult,
)

METADATA = {
    "id": "chatcmpl-scripted-1",
    "model_name": "scripted-1-2024",
    "finish_reason": "stop",
    "system_fingerprint": "fp_scripted",
}
USAGE = {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}


class ChatScripted(BaseChatModel):
    """Answers ``reply`` (whole or in ``chunks`` pieces); can fail, or call hooks mid-call."""

    model_name: str = "scripted-1"
    temperature: float | None = None
    reply: str = "scripted answer"
    chunks: int = 3
    error: BaseException | None = None
    fail_after_chunks: int | None = None
    during_call: Callable[[], Any] | None = None
    #: Generations per request (``n``): the request-level fields go to ``llm_output``, as the
    #: OpenAI client puts them when there is more than one.
    choices: int = 1
    #: Name the model on the first chunk too (LangChain's merge then glues the two values).
    model_on_first_chunk: bool = False

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _check(self) -> None:
        if self.during_call is not None:
            self.during_call()
        if self.error is not None and self.fail_after_chunks is None:
            raise self.error

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._check()
        if self.choices == 1:
            message = AIMessage(
                content=self.reply, response_metadata=dict(METADATA), usage_metadata=dict(USAGE)
            )
            return ChatResult(generations=[ChatGeneration(message=message)])
        per_choice = {"finish_reason": METADATA["finish_reason"]}
        generations = [
            ChatGeneration(
                message=AIMessage(
                    content=self.reply, response_metadata=per_choice, usage_metadata=dict(USAGE)
                )
            )
            for _ in range(self.choices)
        ]
        llm_output = {k: v for k, v in METADATA.items() if k != "finish_reason"}
        return ChatResult(generations=generations, llm_output=llm_output)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _pieces(self) -> Iterator[ChatGenerationChunk]:
        self._check()
        size = max(1, len(self.reply) // self.chunks)
        pieces = [self.reply[i : i + size] for i in range(0, len(self.reply), size)]
        for index, piece in enumerate(pieces):
            if self.fail_after_chunks is not None and index == self.fail_after_chunks:
                assert self.error is not None
                raise self.error
            metadata = (
                {"model_name": METADATA["model_name"]}
                if index == 0 and self.model_on_first_chunk
                else {}
            )
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=piece, response_metadata=metadata)
            )
        final = AIMessageChunk(
            content="", response_metadata=dict(METADATA), usage_metadata=dict(USAGE)
        )
        yield ChatGenerationChunk(message=final)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._pieces()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._pieces():
            yield chunk


class LLMScripted(BaseLLM):
    """A completion model (``BaseLLM``) that answers ``reply`` whole or word by word."""

    reply: str = "scripted completion"

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        info = {"finish_reason": "stop"}
        return LLMResult(
            generations=[[Generation(text=self.reply, generation_info=info)] for _ in prompts],
            llm_output={"token_usage": {"prompt_tokens": 3, "completion_tokens": 2}},
        )

    def _chunks(self) -> list[GenerationChunk]:
        words = self.reply.split(" ")
        return [
            GenerationChunk(
                text=word if i == len(words) - 1 else word + " ",
                generation_info={"finish_reason": "stop"} if i == len(words) - 1 else None,
            )
            for i, word in enumerate(words)
        ]

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        yield from self._chunks()

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        for chunk in self._chunks():
            yield chunk

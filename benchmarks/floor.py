"""The floor: the least a correct span-per-call instrumentation can do.

Bare wrapt wrappers on ``BaseChatModel.invoke/ainvoke/stream/astream`` that start one CLIENT span
with 10 constant attributes, make it current while the model runs, and end it. Nothing is read
from the request or the answer and there are no metrics. Streams: a generator proxy starts the
span at the first ``next()``, makes it current around each step of the real generator (never
across a ``yield``: the consumer's code is not the call's) and ends it when the stream ends or is
closed. Any instrumentation's overhead is compared with this one's, measured in the same run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, TracerProvider
from wrapt import wrap_function_wrapper

from benchmarks import fake_chat

_MODULE = "langchain_core.language_models.chat_models"

ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": fake_chat.MODEL,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 256,
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.response.model": fake_chat.SERVED_MODEL,
    "gen_ai.usage.input_tokens": fake_chat.INPUT_TOKENS,
    "gen_ai.usage.output_tokens": fake_chat.OUTPUT_TOKENS,
}
SPAN_NAME = f"chat {fake_chat.MODEL}"


def instrument(tracer_provider: TracerProvider) -> None:
    tracer = trace.get_tracer("benchmarks.floor", tracer_provider=tracer_provider)

    def start() -> trace.Span:
        return tracer.start_span(SPAN_NAME, kind=SpanKind.CLIENT, attributes=ATTRIBUTES)

    def invoke(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        span = start()
        token = context.attach(trace.set_span_in_context(span))
        try:
            return wrapped(*args, **kwargs)
        finally:
            context.detach(token)
            span.end()

    async def ainvoke(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        span = start()
        token = context.attach(trace.set_span_in_context(span))
        try:
            return await wrapped(*args, **kwargs)
        finally:
            context.detach(token)
            span.end()

    def traced(inner: Iterator[Any]) -> Iterator[Any]:
        span = start()
        call_context = trace.set_span_in_context(span)
        try:
            while True:
                token = context.attach(call_context)
                try:
                    chunk = next(inner)
                except StopIteration:
                    return
                finally:
                    context.detach(token)
                yield chunk
        finally:
            span.end()

    async def atraced(inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
        span = start()
        call_context = trace.set_span_in_context(span)
        try:
            while True:
                token = context.attach(call_context)
                try:
                    chunk = await inner.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    context.detach(token)
                yield chunk
        finally:
            span.end()

    def stream(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        return traced(wrapped(*args, **kwargs))

    def astream(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        return atraced(wrapped(*args, **kwargs))

    for method, wrapper in (
        ("invoke", invoke),
        ("ainvoke", ainvoke),
        ("stream", stream),
        ("astream", astream),
    ):
        wrap_function_wrapper(_MODULE, f"BaseChatModel.{method}", wrapper)

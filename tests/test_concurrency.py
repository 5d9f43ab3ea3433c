"""Many calls at once: every span has the right parent and trace, ends once, and leaks nothing."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import StatusCode

from tests.helpers import chat_spans
from tests.models import ChatScripted, LLMScripted

pytestmark = [pytest.mark.matrix, pytest.mark.usefixtures("instrument")]


class EndCounter(SpanProcessor):
    """Counts on_end per span id: a span ended twice would show up as 2."""

    def __init__(self) -> None:
        self.ends: Counter[int] = Counter()
        self._lock = threading.Lock()

    def on_end(self, span) -> None:
        with self._lock:
            self.ends[span.context.span_id] += 1


@pytest.fixture
def end_counter(tracer_provider) -> EndCounter:
    counter = EndCounter()
    tracer_provider.add_span_processor(counter)
    return counter


def assert_parented(span_exporter, end_counter, expected_calls: int) -> None:
    spans = span_exporter.get_finished_spans()
    users = {s.context.span_id: s for s in spans if s.name.startswith("user")}
    chats = chat_spans(span_exporter)
    assert len(chats) == expected_calls
    for chat in chats:
        user = users[chat.parent.span_id]
        assert chat.context.trace_id == user.context.trace_id
        assert chat.attributes["test.user"] == user.attributes["test.user"]
    assert set(end_counter.ends.values()) == {1}


class ChatTagged(ChatScripted):
    """Tags each chat span with the user span's tag, read from the context during the call."""

    def _check(self) -> None:
        current = trace.get_current_span()
        current.set_attribute("test.user", USER_TAG.get())
        super()._check()


import contextvars  # noqa: E402

USER_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("user_tag", default="")


async def test_thousand_concurrent_ainvoke_and_astream(tracer_provider, span_exporter, end_counter):
    tracer = tracer_provider.get_tracer("test")
    model = ChatTagged()

    async def one(index: int) -> None:
        tag = f"u{index}"
        USER_TAG.set(tag)
        with tracer.start_as_current_span(f"user {index}", attributes={"test.user": tag}) as user:
            if index % 2:
                await model.ainvoke("hi")
            else:
                async for _chunk in model.astream("hi"):
                    assert trace.get_current_span() is user
                    await asyncio.sleep(0)
            assert trace.get_current_span() is user

    before = trace.get_current_span()
    await asyncio.gather(*(one(i) for i in range(1000)))

    assert trace.get_current_span() is before
    assert_parented(span_exporter, end_counter, 1000)


def test_sixteen_thread_batch(tracer_provider, span_exporter, end_counter):
    tracer = tracer_provider.get_tracer("test")
    model = ChatTagged()

    def one(index: int) -> None:
        tag = f"t{index}"
        USER_TAG.set(tag)
        with tracer.start_as_current_span(f"user {index}", attributes={"test.user": tag}) as user:
            model.batch(["a", "b", "c", "d"], config={"max_concurrency": 4})
            assert trace.get_current_span() is user

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(16)))

    assert_parented(span_exporter, end_counter, 64)


def test_interleaved_partial_and_abandoned_streams(span_exporter, end_counter):
    model = ChatScripted(chunks=6)
    first, second, third = model.stream("a"), model.stream("b"), model.stream("c")
    next(first)
    next(second)
    next(first)
    next(third)
    list(second)  # exhausted
    first.close()  # stopped by the consumer
    del third  # abandoned: collected
    gc.collect()

    spans = chat_spans(span_exporter)
    assert len(spans) == 3
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)
    counts = sorted(s.attributes.get("langchain_otel.stream.chunk_count", -1) for s in spans)
    assert counts == [-1, 1, 2]  # complete stream: no count
    assert set(end_counter.ends.values()) == {1}


async def test_stream_closed_from_another_task(span_exporter, end_counter):
    stream = ChatScripted(chunks=6).astream("hi")
    await stream.__anext__()

    await asyncio.create_task(stream.aclose())

    (span,) = chat_spans(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["langchain_otel.stream.chunk_count"] == 1
    assert set(end_counter.ends.values()) == {1}


async def test_abandoned_async_stream_is_ended_once(span_exporter, end_counter):
    stream = ChatScripted(chunks=6).astream("hi")
    await stream.__anext__()
    del stream
    gc.collect()
    await asyncio.sleep(0.01)  # let the loop run the inner generator's finalizer

    (span,) = chat_spans(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert set(end_counter.ends.values()) == {1}


async def test_concurrent_completion_calls_and_streams(tracer_provider, span_exporter, end_counter):
    """``BaseLLM`` requests and streams interleaved on one loop: each ``text_completion`` span
    under its own user span, ended once, and the user's span current again after each step."""
    tracer = tracer_provider.get_tracer("test")
    model = LLMScripted()

    async def one(index: int) -> None:
        with tracer.start_as_current_span(f"user {index}") as user:
            if index % 2:
                await model.ainvoke("hi")
            else:
                async for _chunk in model.astream("hi"):
                    assert trace.get_current_span() is user
                    await asyncio.sleep(0)
            assert trace.get_current_span() is user

    await asyncio.gather(*(one(i) for i in range(400)))

    spans = span_exporter.get_finished_spans()
    users = {s.context.span_id for s in spans if s.name.startswith("user")}
    completions = [s for s in spans if s.name == "text_completion"]
    assert len(completions) == 400
    assert {s.parent.span_id for s in completions} == users
    assert sum(1 for s in completions if s.attributes.get("gen_ai.request.stream")) == 200
    assert set(end_counter.ends.values()) == {1}

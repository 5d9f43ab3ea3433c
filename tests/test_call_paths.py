"""Every LangChain path to a chat model gives one span per provider call, parented right."""

from __future__ import annotations

import asyncio
import gc

import httpx
import openai
import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from opentelemetry import trace
from opentelemetry.trace import StatusCode
from pydantic import BaseModel

from tests.helpers import chat_spans, only_chat_span
from tests.models import ChatScripted
from tests.providers.helpers import make_model

pytestmark = [pytest.mark.matrix, pytest.mark.usefixtures("instrument")]


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return "sunny"


class Answer(BaseModel):
    city: str
    year: int


def test_batch_spans_are_children_of_the_callers_span(fake_server, span_exporter, tracer_provider):
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("user") as user:
        messages = make_model(fake_server).batch(["a", "b", "c"])

    spans = chat_spans(span_exporter)
    assert len(messages) == 3
    assert len(spans) == 3
    assert {s.parent.span_id for s in spans} == {user.get_span_context().span_id}
    assert {s.context.trace_id for s in spans} == {user.get_span_context().trace_id}


async def test_abatch_spans_are_children_of_the_callers_span(
    fake_server, span_exporter, tracer_provider
):
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("user") as user:
        await make_model(fake_server).abatch(["a", "b", "c"])

    spans = chat_spans(span_exporter)
    assert len(spans) == 3
    assert {s.parent.span_id for s in spans} == {user.get_span_context().span_id}


def test_prompt_model_chain(fake_server, span_exporter):
    prompt = ChatPromptTemplate.from_messages([("human", "Tell me about {topic}")])
    (prompt | make_model(fake_server)).invoke({"topic": "cuneiform"})

    assert only_chat_span(span_exporter).name == "chat gpt-4o-mini"


def test_chain_stream(fake_server, span_exporter):
    prompt = ChatPromptTemplate.from_messages([("human", "Tell me about {topic}")])
    chunks = list((prompt | make_model(fake_server)).stream({"topic": "cuneiform"}))

    span = only_chat_span(span_exporter)
    assert len(chunks) > 1
    assert span.attributes["gen_ai.request.stream"] is True
    assert "langchain_otel.stream.chunk_count" not in span.attributes  # complete streams


def test_bind_tools_and_bound_kwargs(fake_server, span_exporter):
    model = make_model(fake_server).bind_tools([get_weather]).bind(temperature=0.4, seed=3)
    message = model.invoke("weather in Paris?")

    span = only_chat_span(span_exporter)
    assert message.tool_calls[0]["name"] == "get_weather"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert span.attributes["gen_ai.request.temperature"] == 0.4
    assert span.attributes["gen_ai.request.seed"] == 3


def test_per_call_model_override(fake_server, span_exporter):
    make_model(fake_server).invoke("hi", model="gpt-4.1")

    span = only_chat_span(span_exporter)
    assert span.name == "chat gpt-4.1"
    assert span.attributes["gen_ai.request.model"] == "gpt-4.1"
    assert span.attributes["gen_ai.response.model"] == "gpt-4.1-2024-07-18"


@pytest.mark.parametrize("include_raw", [False, True])
def test_with_structured_output(fake_server, span_exporter, include_raw):
    result = make_model(fake_server).with_structured_output(Answer, include_raw=include_raw)
    answer = result.invoke("When and where?")

    parsed = answer["parsed"] if include_raw else answer
    assert parsed == Answer(city="Uruk", year=42)
    assert only_chat_span(span_exporter).attributes["gen_ai.usage.output_tokens"] == 164


def test_with_retry_gives_one_span_per_attempt(fake_server, span_exporter):
    model = make_model(fake_server, model="error-500").with_retry(
        stop_after_attempt=3, wait_exponential_jitter=False
    )
    with pytest.raises(openai.InternalServerError):
        model.invoke("hi")

    spans = chat_spans(span_exporter)
    assert len(spans) == 3
    assert all(s.status.status_code is StatusCode.ERROR for s in spans)


def test_with_fallbacks(fake_server, span_exporter):
    primary = make_model(fake_server, model="error-503")
    backup = make_model(fake_server, model="gpt-4o")
    primary.with_fallbacks([backup]).invoke("hi")

    failed, succeeded = sorted(chat_spans(span_exporter), key=lambda s: s.start_time)
    assert failed.name == "chat error-503"
    assert failed.status.status_code is StatusCode.ERROR
    assert succeeded.name == "chat gpt-4o"
    assert succeeded.status.status_code is StatusCode.UNSET


def test_stream_falling_back_to_invoke_is_one_non_streaming_span(fake_server, span_exporter):
    chunks = list(make_model(fake_server, disable_streaming=True).stream("hi"))

    span = only_chat_span(span_exporter)
    assert len(chunks) == 1
    assert "gen_ai.request.stream" not in span.attributes
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes
    # On the wire, the fallback made a plain request.
    assert fake_server.requests[-1].json().get("stream") in (None, False)


async def test_astream_falling_back_to_ainvoke_is_one_span(fake_server, span_exporter):
    chunks = [c async for c in make_model(fake_server, disable_streaming=True).astream("hi")]

    assert len(chunks) == 1
    assert "gen_ai.request.stream" not in only_chat_span(span_exporter).attributes


def test_model_without_stream_support_is_one_span(span_exporter):
    class ChatNoStream(ChatScripted):
        _stream = BaseChatModel._stream
        _astream = BaseChatModel._astream

    chunks = list(ChatNoStream().stream("hi"))
    assert len(chunks) == 1
    assert len(chat_spans(span_exporter)) == 1


def test_early_break_ends_span_without_error(fake_server, span_exporter):
    for _chunk in make_model(fake_server).stream("hi"):
        break

    span = only_chat_span(span_exporter)  # ended when the generator was dropped
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["langchain_otel.stream.chunk_count"] == 1


def test_close_ends_span_without_error(span_exporter):
    stream = ChatScripted(chunks=5).stream("hi")
    next(stream)
    next(stream)
    stream.close()

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes
    assert span.attributes["langchain_otel.stream.chunk_count"] == 2


def test_abandoned_stream_ends_when_collected(span_exporter):
    stream = ChatScripted(chunks=5).stream("hi")
    next(stream)
    assert chat_spans(span_exporter) == []
    del stream
    gc.collect()

    assert only_chat_span(span_exporter).status.status_code is StatusCode.UNSET


async def test_async_early_break_and_aclose(span_exporter):
    stream = ChatScripted(chunks=5).astream("hi")
    await stream.__anext__()
    await stream.aclose()

    assert only_chat_span(span_exporter).status.status_code is StatusCode.UNSET


def test_stream_is_lazy(span_exporter):
    calls = []
    stream = ChatScripted(during_call=lambda: calls.append(1)).stream("hi")

    assert calls == []
    assert chat_spans(span_exporter) == []
    list(stream)
    assert calls == [1]


def test_span_is_current_during_the_provider_call_and_not_after(fake_server, span_exporter):
    seen = []

    def on_request(request: httpx.Request) -> None:
        seen.append(trace.get_current_span())

    client = httpx.Client(event_hooks={"request": [on_request]})
    before = trace.get_current_span()
    make_model(fake_server, http_client=client).invoke("hi")

    span = only_chat_span(span_exporter)
    assert [s.get_span_context().span_id for s in seen] == [span.context.span_id]
    assert trace.get_current_span() is before


def test_span_started_inside_the_call_nests_under_ours(span_exporter, tracer_provider):
    tracer = tracer_provider.get_tracer("provider-sdk")

    def provider_sdk_span() -> None:
        with tracer.start_as_current_span("POST /v1/chat/completions"):
            pass

    ChatScripted(during_call=provider_sdk_span).invoke("hi")

    (inner,) = [s for s in span_exporter.get_finished_spans() if s.name.startswith("POST")]
    assert inner.parent.span_id == only_chat_span(span_exporter).context.span_id


def test_stream_spans_are_current_only_inside_next(span_exporter, tracer_provider):
    tracer = tracer_provider.get_tracer("provider-sdk")
    inside = []

    def record() -> None:
        inside.append(trace.get_current_span())
        with tracer.start_as_current_span("sdk"):
            pass

    with tracer.start_as_current_span("user") as user:
        for _chunk in ChatScripted(during_call=record).stream("hi"):
            assert trace.get_current_span() is user  # the consumer's code runs in its context

    span = only_chat_span(span_exporter)
    assert inside[0].get_span_context().span_id == span.context.span_id
    assert span.parent.span_id == user.get_span_context().span_id


def test_model_called_inside_another_model_gets_its_own_span(span_exporter):
    inner = ChatScripted(model_name="inner-model")
    outer = ChatScripted(model_name="outer-model", during_call=lambda: inner.invoke("x"))
    outer.invoke("hi")

    spans = {s.name: s for s in chat_spans(span_exporter)}
    assert set(spans) == {"chat inner-model", "chat outer-model"}
    assert spans["chat inner-model"].parent.span_id == spans["chat outer-model"].context.span_id


async def test_ainvoke_restores_the_callers_context(span_exporter, tracer_provider):
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("user") as user:
        await ChatScripted().ainvoke("hi")
        assert trace.get_current_span() is user
        await asyncio.gather(*(ChatScripted().ainvoke("hi") for _ in range(5)))
        assert trace.get_current_span() is user
    assert len(chat_spans(span_exporter)) == 6

"""The span describes the provider request LangChain actually made (real ChatOpenAI, loopback fake).

Streaming inside ``invoke`` (a streaming callback handler, ``streaming=True``; LangGraph's
``stream_mode="messages"``: ``test_langgraph_streaming.py``), every choice of an ``n=2`` request,
``generate`` over several message lists, and LangChain's LLM cache. The same mechanics on every
supported LangChain, nested requests included: ``test_request_hooks.py``.
"""

from __future__ import annotations

import httpx
import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.globals import get_llm_cache, set_llm_cache
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableLambda
from opentelemetry import trace

from tests.helpers import (
    chat_spans,
    metric_points,
    only_chat_span,
    stream_attributes,
    token_usage_points,
)
from tests.providers.helpers import make_model, openai_attributes

pytestmark = pytest.mark.usefixtures("instrument")

SERVED = "gpt-4o-mini-2024-07-18"


def gateway_model(server, **kwargs):
    """ChatOpenAI at an OpenAI-compatible gateway that names the model on two stream chunks."""
    return make_model(server, base_url=f"{server.url}/gateway/v1", **kwargs)


# What every call here (make_model's, no request parameters) is on its span.
expected = openai_attributes


def ttfc_points(reader) -> list:
    return metric_points(reader).get("gen_ai.client.operation.time_to_first_chunk", [])


# -- streaming inside invoke ----------------------------------------------------------------------


def test_streaming_invoke_is_traced_as_the_stream_it_is(fake_server, span_exporter, metric_reader):
    message = gateway_model(fake_server, streaming=True).invoke("hi")

    assert fake_server.requests[-1].json()["stream"] is True
    # LangChain's merge glues what two chunks both said; the span takes each chunk's value.
    assert message.response_metadata["model_name"] == SERVED + SERVED
    assert message.response_metadata["finish_reason"] == "stopstop"
    span = only_chat_span(span_exporter)
    assert stream_attributes(span) == expected(fake_server, stream=True)
    (point,) = ttfc_points(metric_reader)
    assert point.count == 1
    assert point.sum == span.attributes["gen_ai.response.time_to_first_chunk"]


def test_streaming_invoke_matches_the_stream_call(fake_server, span_exporter):
    gateway_model(fake_server, streaming=True).invoke("hi")
    list(gateway_model(fake_server).stream("hi"))

    invoked, streamed = chat_spans(span_exporter)
    assert stream_attributes(invoked) == stream_attributes(streamed)


async def test_streaming_ainvoke(fake_server, span_exporter, metric_reader):
    await gateway_model(fake_server, streaming=True).ainvoke("hi")

    assert stream_attributes(only_chat_span(span_exporter)) == openai_attributes(
        fake_server, stream=True
    )
    assert len(ttfc_points(metric_reader)) == 1


async def test_invoke_under_astream_events_streams_on_the_wire(fake_server, span_exporter):
    model = make_model(fake_server)
    chain = RunnableLambda(lambda text: model.invoke(text))  # noqa: PLW0108  # a node's call
    events = [event async for event in chain.astream_events("hi", version="v2")]

    assert sum(event["event"] == "on_chat_model_stream" for event in events) > 3
    assert fake_server.requests[-1].json()["stream"] is True
    assert stream_attributes(only_chat_span(span_exporter)) == openai_attributes(
        fake_server, stream=True
    )


async def test_ainvoke_under_astream_events_streams_on_the_wire(fake_server, span_exporter):
    model = make_model(fake_server)

    async def call(text: str):
        return await model.ainvoke(text)

    events = [event async for event in RunnableLambda(call).astream_events("hi", version="v2")]

    assert sum(event["event"] == "on_chat_model_stream" for event in events) > 3
    assert stream_attributes(only_chat_span(span_exporter)) == openai_attributes(
        fake_server, stream=True
    )


def test_plain_invoke_is_not_a_stream(fake_server, span_exporter, metric_reader):
    make_model(fake_server).invoke("hi")

    assert dict(only_chat_span(span_exporter).attributes) == openai_attributes(
        fake_server, stream=False
    )
    assert ttfc_points(metric_reader) == []


# -- every choice ---------------------------------------------------------------------------------


def test_two_choices_report_the_whole_answer(fake_server, span_exporter):
    message = make_model(fake_server, n=2).invoke("hi")

    # LangChain copies the id and the served model into the message only for one choice.
    assert "id" not in message.response_metadata
    assert fake_server.requests[-1].json()["n"] == 2
    assert dict(only_chat_span(span_exporter).attributes) == {
        **expected(fake_server, stream=False),
        "gen_ai.request.choice.count": 2,
        "gen_ai.response.finish_reasons": ("stop", "stop"),
    }


def test_generate_returns_both_choices_and_one_usage(fake_server, span_exporter, metric_reader):
    result = make_model(fake_server, n=2).generate([[HumanMessage("hi")]])

    assert len(result.generations[0]) == 2
    span = only_chat_span(span_exporter)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert span.attributes["gen_ai.usage.input_tokens"] == 17  # the request's, not per choice
    assert token_usage_points(metric_reader)["input"].sum == 17


# -- generate: one span per message list ----------------------------------------------------------

PROMPTS = [[HumanMessage("a")], [HumanMessage("b")], [HumanMessage("c")]]


def test_generate_over_three_message_lists_is_three_requests(
    fake_server, span_exporter, tracer_provider, metric_reader
):
    current = []
    client = httpx.Client(
        event_hooks={"request": [lambda request: current.append(trace.get_current_span())]}
    )
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        result = make_model(fake_server, http_client=client).generate(PROMPTS)

    spans = chat_spans(span_exporter)
    assert len(result.generations) == 3
    assert len(spans) == 3
    assert {s.parent.span_id for s in spans} == {caller.get_span_context().span_id}
    # Each request ran inside its own span.
    assert [s.get_span_context().span_id for s in current] == [s.context.span_id for s in spans]
    assert all(dict(s.attributes) == expected(fake_server, stream=False) for s in spans)
    assert token_usage_points(metric_reader)["input"].sum == 3 * 17


async def test_agenerate_over_three_message_lists_is_three_sibling_requests(
    fake_server, span_exporter, tracer_provider
):
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("caller") as caller:
        await make_model(fake_server).agenerate(PROMPTS)

    spans = chat_spans(span_exporter)
    assert len(spans) == 3
    assert {s.parent.span_id for s in spans} == {caller.get_span_context().span_id}
    assert all(dict(s.attributes) == expected(fake_server, stream=False) for s in spans)


def test_generate_prompt_is_traced(fake_server, span_exporter):
    from langchain_core.prompt_values import ChatPromptValue  # noqa: PLC0415

    make_model(fake_server).generate_prompt([ChatPromptValue(messages=PROMPTS[0])])

    assert dict(only_chat_span(span_exporter).attributes) == openai_attributes(
        fake_server, stream=False
    )


async def test_agenerate_prompt_is_traced(fake_server, span_exporter):
    from langchain_core.prompt_values import ChatPromptValue  # noqa: PLC0415

    await make_model(fake_server).agenerate_prompt([ChatPromptValue(messages=PROMPTS[0])])

    assert dict(only_chat_span(span_exporter).attributes) == openai_attributes(
        fake_server, stream=False
    )


# -- LangChain's LLM cache ------------------------------------------------------------------------


@pytest.fixture
def llm_cache():
    previous = get_llm_cache()
    set_llm_cache(InMemoryCache())
    yield
    set_llm_cache(previous)


def cache_hit_attributes(server) -> dict:
    """A hit: what was asked, that the cache answered; nothing of an earlier request."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "openai.api.type": "chat_completions",
        "langchain_otel.cache.hit": True,
    }


@pytest.mark.usefixtures("llm_cache")
def test_cache_miss_then_hit(fake_server, span_exporter, metric_reader):
    model = make_model(fake_server)
    sent = len(fake_server.requests)
    first = model.invoke("cache me")
    second = model.invoke("cache me")

    assert second.content == first.content
    assert len(fake_server.requests) == sent + 1  # the hit made no request
    miss, hit = chat_spans(span_exporter)
    assert dict(miss.attributes) == expected(fake_server, stream=False)
    assert dict(hit.attributes) == cache_hit_attributes(fake_server)
    # Metrics count the provider request only: one duration point, tokens once.
    points = metric_points(metric_reader)
    assert [p.count for p in points["gen_ai.client.operation.duration"]] == [1]
    assert {k: p.sum for k, p in token_usage_points(metric_reader).items()} == {
        "input": 17,
        "output": 164,
    }


@pytest.mark.usefixtures("llm_cache")
async def test_async_cache_miss_then_hit(fake_server, span_exporter, metric_reader):
    model = make_model(fake_server)
    await model.ainvoke("cache me async")
    await model.ainvoke("cache me async")

    miss, hit = chat_spans(span_exporter)
    assert dict(miss.attributes) == expected(fake_server, stream=False)
    assert dict(hit.attributes) == cache_hit_attributes(fake_server)
    assert [p.count for p in metric_points(metric_reader)["gen_ai.client.operation.duration"]] == [
        1
    ]


@pytest.mark.usefixtures("llm_cache")
def test_stream_is_never_a_cache_hit(fake_server, span_exporter):
    # stream() does not consult the cache: it always makes a request.
    model = make_model(fake_server)
    model.invoke("cache me too")
    sent = len(fake_server.requests)
    list(model.stream("cache me too"))

    assert len(fake_server.requests) == sent + 1
    _, streamed = chat_spans(span_exporter)
    assert stream_attributes(streamed) == expected(fake_server, stream=True)


@pytest.mark.usefixtures("llm_cache")
async def test_stream_falling_back_to_a_cached_invoke(fake_server, span_exporter, metric_reader):
    model = make_model(fake_server, disable_streaming=True)
    model.invoke("cached fallback")
    chunks = [c async for c in model.astream("cached fallback")]

    assert len(chunks) == 1
    _miss, hit = chat_spans(span_exporter)
    assert dict(hit.attributes) == cache_hit_attributes(fake_server)
    assert token_usage_points(metric_reader)["input"].sum == 17

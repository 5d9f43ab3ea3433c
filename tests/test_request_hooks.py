"""The request hooks on every supported LangChain (part of the version matrix).

In-process models, so the same assertions hold from langchain-core 0.3.0 to the newest: one span
per provider request whichever public method led there, wire streaming inside ``invoke`` read per
chunk, every choice, the LLM cache, and nested requests. The real clients are in
``test_provider_requests.py``.
"""

from __future__ import annotations

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.globals import get_llm_cache, set_llm_cache
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage

from tests.helpers import (
    StreamingHandler,
    chat_spans,
    metric_points,
    only_chat_span,
    stream_attributes,
    token_usage_points,
)
from tests.models import METADATA, ChatScripted

pytestmark = [pytest.mark.matrix, pytest.mark.usefixtures("instrument")]

#: LangChain tells cache hits apart through this private hook (absent from older releases).
CACHE_HOOK = hasattr(BaseChatModel, "_convert_cached_generations")

REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "scripted",
    "gen_ai.request.model": "scripted-1",
}
ANSWER = {
    **REQUEST,
    "gen_ai.response.model": METADATA["model_name"],
    "gen_ai.response.id": METADATA["id"],
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 11,
    "gen_ai.usage.output_tokens": 7,
}
STREAMED = {**ANSWER, "gen_ai.request.stream": True}


def test_invoke_with_a_streaming_handler_is_a_stream_read_per_chunk(span_exporter, metric_reader):
    # The model is named on two chunks (newer LangChains glue them in the message): one value.
    ChatScripted(model_on_first_chunk=True).invoke("hi", {"callbacks": [StreamingHandler()]})

    assert stream_attributes(only_chat_span(span_exporter)) == STREAMED
    (ttfc,) = metric_points(metric_reader)["gen_ai.client.operation.time_to_first_chunk"]
    assert ttfc.count == 1


async def test_ainvoke_with_a_streaming_handler(span_exporter):
    await ChatScripted(model_on_first_chunk=True).ainvoke("hi", {"callbacks": [StreamingHandler()]})

    assert stream_attributes(only_chat_span(span_exporter)) == STREAMED


def test_plain_invoke_has_no_stream_attributes(span_exporter, metric_reader):
    ChatScripted().invoke("hi")

    assert dict(only_chat_span(span_exporter).attributes) == ANSWER
    assert "gen_ai.client.operation.time_to_first_chunk" not in metric_points(metric_reader)


def test_every_choice_and_the_request_level_output(span_exporter):
    ChatScripted(choices=2).invoke("hi")

    assert dict(only_chat_span(span_exporter).attributes) == {
        **ANSWER,
        "gen_ai.response.finish_reasons": ("stop", "stop"),
    }


def test_generate_is_one_span_per_message_list(span_exporter, tracer_provider, metric_reader):
    prompts = [[HumanMessage("a")], [HumanMessage("b")], [HumanMessage("c")]]
    with tracer_provider.get_tracer("test").start_as_current_span("caller") as caller:
        ChatScripted().generate(prompts)

    spans = chat_spans(span_exporter)
    assert len(spans) == 3
    assert {s.parent.span_id for s in spans} == {caller.get_span_context().span_id}
    assert all(dict(s.attributes) == ANSWER for s in spans)
    assert token_usage_points(metric_reader)["input"].sum == 33


async def test_agenerate_is_one_span_per_message_list(span_exporter, tracer_provider):
    prompts = [[HumanMessage("a")], [HumanMessage("b")]]
    with tracer_provider.get_tracer("test").start_as_current_span("caller") as caller:
        await ChatScripted().agenerate(prompts)

    spans = chat_spans(span_exporter)
    assert len(spans) == 2
    assert {s.parent.span_id for s in spans} == {caller.get_span_context().span_id}


@pytest.fixture
def llm_cache():
    previous = get_llm_cache()
    set_llm_cache(InMemoryCache())
    yield
    set_llm_cache(previous)


@pytest.mark.usefixtures("llm_cache")
def test_cache_hit(span_exporter, metric_reader):
    model = ChatScripted()
    model.invoke("hi")
    model.invoke("hi")

    miss, hit = chat_spans(span_exporter)
    assert dict(miss.attributes) == ANSWER
    durations = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    if CACHE_HOOK:
        assert dict(hit.attributes) == {**REQUEST, "langchain_otel.cache.hit": True}
        assert [p.count for p in durations] == [1]
        assert token_usage_points(metric_reader)["input"].sum == 11
    else:  # documented limit: without the hook a hit looks like the request that made it
        assert dict(hit.attributes) == ANSWER
        assert sum(p.count for p in durations) == 2


def test_a_model_calling_itself_makes_two_spans(span_exporter):
    model = ChatScripted(model_name="self-caller")
    calls = []

    def call_itself() -> None:
        if not calls:
            calls.append("inner")
            model.invoke("inner")

    model.during_call = call_itself
    model.invoke("outer")

    inner, outer = chat_spans(span_exporter)
    assert inner.parent.span_id == outer.context.span_id


def test_a_stream_whose_provider_calls_invoke_gets_two_spans(span_exporter):
    model = ChatScripted(model_name="self-caller", chunks=2)
    calls = []

    def call_itself() -> None:
        if not calls:
            calls.append("inner")
            model.invoke("inner")

    model.during_call = call_itself
    list(model.stream("outer"))

    inner, outer = chat_spans(span_exporter)
    assert inner.parent.span_id == outer.context.span_id
    assert "gen_ai.request.stream" not in inner.attributes
    assert outer.attributes["gen_ai.request.stream"] is True


def test_a_stream_falling_back_to_invoke_is_one_span_and_nested_calls_get_their_own(
    span_exporter,
):
    class ChatNoStream(ChatScripted):
        _stream = BaseChatModel._stream
        _astream = BaseChatModel._astream

    model = ChatNoStream(model_name="no-stream")
    calls = []

    def call_itself() -> None:
        if not calls:
            calls.append("inner")
            model.invoke("inner")

    model.during_call = call_itself
    chunks = list(model.stream("outer"))

    assert len(chunks) == 1
    inner, outer = chat_spans(span_exporter)
    assert inner.parent.span_id == outer.context.span_id
    assert "gen_ai.request.stream" not in outer.attributes  # the fallback made a plain request
    assert outer.attributes["gen_ai.response.id"] == METADATA["id"]  # read from its result


def test_the_run_manager_is_left_as_it_was(span_exporter):
    managers = []

    class ChatKeepingItsManager(ChatScripted):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            managers.append(run_manager)
            return super()._generate(messages, stop, run_manager, **kwargs)

    ChatKeepingItsManager().invoke("hi", {"callbacks": [StreamingHandler()]}, stream=False)

    (manager,) = managers
    assert "on_llm_new_token" not in vars(manager)  # the request's tap is gone
    assert len(chat_spans(span_exporter)) == 1

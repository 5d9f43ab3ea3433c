"""Adversarial inputs and uses that once broke the Guarantees, each compared with LangChain alone.

Real clients where a provider is involved (ChatOpenAI against the loopback fake, LangGraph
graphs); in-process models where only LangChain's own machinery is under test.
"""

from __future__ import annotations

import copy
import gc
import json
import pickle
import subprocess
import sys
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import numpy as np
import pytest
from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from opentelemetry.trace import StatusCode
from pydantic import Field
from typing_extensions import TypedDict
from wrapt import importer

from langchain_otel import LangChainInstrumentor, _manager_watch
from tests.fakes import openai as fake
from tests.helpers import assert_exportable, chat_spans, metric_points, only_span
from tests.models import ChatScripted, LLMScripted
from tests.providers.helpers import make_model

ROOT = Path(__file__).resolve().parent.parent
LONE = "\udc80"  # what json.loads makes of a split escape: no UTF-8 encoding exists for it


# -- 1. a graph's own data is never compared as if it were ours -----------------------------------


class ArrayState(TypedDict):
    type: Any  # a state key named "type", holding an array
    count: int


def array_graph():
    def step(state: ArrayState) -> dict[str, Any]:
        get_stream_writer()((np.array([1, 2]), "custom"))  # a 2-tuple starting with an array
        return {"count": state["count"] + 1}

    builder = StateGraph(ArrayState)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    return builder.compile(name="arrays")


def stream_arrays(mode: str) -> list[Any]:
    return list(array_graph().stream({"type": np.array([1, 2]), "count": 0}, stream_mode=mode))


@pytest.mark.parametrize("mode", ["values", "custom"])
def test_array_valued_graph_chunks_stream_as_they_do_uninstrumented(
    mode, instrumented, span_exporter
):
    """``values``: each chunk is the state, a mapping whose ``type`` is an array; ``custom``:
    each chunk is what the node wrote, a 2-tuple starting with an array."""
    bare = stream_arrays(mode)
    instrumented(capture_content="SPAN_ONLY")

    chunks = stream_arrays(mode)

    assert repr(chunks) == repr(bare)
    (run,) = span_exporter.get_finished_spans()
    assert run.name == "invoke_workflow arrays"
    assert run.status.status_code is StatusCode.UNSET
    assert "error.type" not in run.attributes


# -- 2. lone surrogates in content ----------------------------------------------------------------


@tool
def look_up(query: str) -> str:
    """Looks a tablet up."""
    return f"found {query}{LONE}"


class SurrogateRetriever(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"clay{LONE}", id=f"doc{LONE}")]


def encoded_log_attributes(log_exporter) -> list[set[str]]:
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs  # noqa: PLC0415

    request = encode_logs(log_exporter.get_finished_logs())
    request.SerializeToString()
    return [
        {attribute.key for attribute in record.attributes}
        for resource_logs in request.resource_logs
        for scope_logs in resource_logs.scope_logs
        for record in scope_logs.log_records
    ]


def test_lone_surrogates_in_content_reach_every_exporter(
    instrumented, span_exporter, log_exporter, fake_server
):
    instrumented(capture_content="SPAN_AND_EVENT")
    answer = make_model(fake_server).invoke([HumanMessage(fake.SPLIT_ESCAPE_PROMPT)])
    look_up.invoke({"query": f"Uruk{LONE}"})
    SurrogateRetriever().invoke(f"tablets{LONE}")

    assert_exportable(span_exporter)  # every attribute encodes, none dropped
    assert answer.content == fake.SPLIT_ESCAPE_ANSWER  # the app gets what the model sent
    chat = only_span(span_exporter, "chat")
    (output,) = json.loads(chat.attributes["gen_ai.output.messages"])
    assert output["parts"] == [
        {"type": "text", "content": fake.SPLIT_ESCAPE_ANSWER.replace(LONE, "\ufffd")}
    ]
    tool_span = only_span(span_exporter, "execute_tool")
    assert tool_span.attributes["gen_ai.tool.call.arguments"] == '{"query":"Uruk\ufffd"}'
    assert tool_span.attributes["gen_ai.tool.call.result"] == "found Uruk\ufffd\ufffd"
    retrieval = only_span(span_exporter, "retrieval")
    assert retrieval.attributes["gen_ai.retrieval.query.text"] == "tablets\ufffd"
    assert json.loads(retrieval.attributes["gen_ai.retrieval.documents"]) == [
        {"id": "doc\ufffd", "content": "clay\ufffd"}
    ]
    (event,) = encoded_log_attributes(log_exporter)
    assert {"gen_ai.input.messages", "gen_ai.output.messages"} <= event


# -- 3. a tool's own value is never LangChain's error mark ----------------------------------------


@dataclass
class Job:
    status: str
    name: str


@tool
def check_job(name: str) -> Job:
    """Checks a print job."""
    return Job(status="error", name=name)  # a successful answer that reports a failed job


def test_a_tool_result_whose_status_is_error_is_a_success(instrumented, span_exporter):
    instrumented(capture_content="SPAN_ONLY")

    assert check_job.invoke({"name": "tablet"}) == Job(status="error", name="tablet")

    span = only_span(span_exporter, "execute_tool")
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in span.attributes
    assert span.attributes["gen_ai.tool.call.result"] == "\"Job(status='error', name='tablet')\""


# -- 4. a chat call inside a completion's stream is not the completion's answer -------------------


class LLMAskingAChatModel(LLMScripted):
    chat: Any = None

    def _stream(self, prompt, stop=None, run_manager=None, **kwargs):
        self.chat.invoke("Where is the Uruk tablet kept?")
        yield from self._chunks()


def test_a_chat_call_inside_a_completion_stream_is_its_own_answer(
    instrumented, span_exporter, metric_reader, fake_server
):
    instrumented()
    model = LLMAskingAChatModel(chat=make_model(fake_server))

    assert "".join(model.stream("hi")) == "scripted completion"

    completion = only_span(span_exporter, "text_completion")
    attributes = dict(completion.attributes)
    assert isinstance(attributes.pop("gen_ai.response.time_to_first_chunk"), float)
    assert attributes == {
        "gen_ai.operation.name": "text_completion",
        "gen_ai.provider.name": "llmaskingachatmodel",
        "gen_ai.request.stream": True,
        "gen_ai.response.finish_reasons": ("stop",),  # its own, not the chat model's
    }
    (chat,) = chat_spans(span_exporter)
    assert chat.attributes["gen_ai.response.id"] == fake.RESPONSE_ID
    tokens = metric_points(metric_reader)["gen_ai.client.token.usage"]
    assert {(p.attributes["gen_ai.operation.name"], p.sum) for p in tokens} == {
        ("chat", fake.USAGE["prompt_tokens"]),
        ("chat", fake.USAGE["completion_tokens"]),
    }  # counted once, by the chat call
    assert len(tokens) == 2


# -- 5. the run manager is not ours to change -----------------------------------------------------


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


class ChatReportingThroughACopy(ChatScripted):
    """Reports a token through a copy of its run manager that has a handler of its own."""

    copy_handler: Any = None
    manager_keys: list[str] = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.manager_keys = sorted(vars(run_manager))  # mid-call: what the manager holds
        other = copy.copy(run_manager)
        other.handlers = [self.copy_handler]
        other.on_llm_new_token("tok", chunk=ChatGenerationChunk(message=AIMessageChunk("tok")))
        return super()._generate(messages, stop, run_manager, **kwargs)


def run_reporting_through_a_copy() -> tuple[list[str], list[str], list[str]]:
    model = ChatReportingThroughACopy(copy_handler=Tokens())
    own = Tokens()
    model.invoke("hi", {"callbacks": [own]})
    return own.tokens, model.copy_handler.tokens, model.manager_keys


def test_tokens_sent_through_a_copy_of_the_run_manager_reach_the_copys_handlers(
    instrumented, span_exporter
):
    bare = run_reporting_through_a_copy()
    instrumented()

    own, through_copy, keys = run_reporting_through_a_copy()

    assert (own, through_copy, keys) == bare
    assert through_copy == ["tok"]
    (span,) = chat_spans(span_exporter)
    assert span.attributes["gen_ai.request.stream"] is True  # the request's own token, seen


class ChatStreamingInGenerate(ChatScripted):
    """Has no ``_agenerate``: ``ainvoke`` runs ``_generate`` in an executor with the run
    manager's sync twin (``get_sync()``), which reports each token."""

    manager_types: list[type] = Field(default_factory=list)
    _agenerate = BaseChatModel._agenerate

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.manager_types.append(type(run_manager))
        for token in ("to", "k"):
            run_manager.on_llm_new_token(
                token, chunk=ChatGenerationChunk(message=AIMessageChunk(token))
            )
        return super()._generate(messages, stop, run_manager, **kwargs)


async def test_tokens_reported_to_the_sync_twin_of_an_async_request_are_seen(
    instrumented, span_exporter
):
    bare_model, bare_tokens = ChatStreamingInGenerate(), Tokens()
    await bare_model.ainvoke("hi", {"callbacks": [bare_tokens]})
    instrumented()
    model, tokens = ChatStreamingInGenerate(), Tokens()

    await model.ainvoke("hi", {"callbacks": [tokens]})

    assert tokens.tokens == bare_tokens.tokens == ["to", "k"]
    (span,) = chat_spans(span_exporter)
    assert span.attributes["gen_ai.request.stream"] is True  # seen through the twin
    (twin,) = model.manager_types
    assert twin.__name__ == "CallbackManagerForLLMRun"
    assert issubclass(twin, CallbackManagerForLLMRun)


def test_a_run_manager_that_is_not_langchains_is_never_changed(instrumented, span_exporter):
    instrumented()
    manager = MagicMock(run_id=uuid.uuid4(), handlers=[], metadata={})
    manager_type = type(manager)
    seen = []

    class ChatSeeingItsManager(ChatScripted):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            seen.append(type(run_manager))
            return super()._generate(messages, stop, run_manager, **kwargs)

    ChatSeeingItsManager()._generate_with_cache([HumanMessage("hi")], run_manager=manager)

    assert seen == [manager_type]
    assert type(manager) is manager_type
    assert len(chat_spans(span_exporter)) == 1


def test_the_run_managers_class_is_restored_after_the_request(instrumented, span_exporter):
    instrumented()
    managers = []

    class ChatKeepingItsManager(ChatScripted):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            managers.append((run_manager, type(run_manager)))
            return super()._generate(messages, stop, run_manager, **kwargs)

    ChatKeepingItsManager().invoke("hi", {"callbacks": [Tokens()]})

    ((manager, during),) = managers
    assert type(manager) is CallbackManagerForLLMRun  # restored
    assert during is not CallbackManagerForLLMRun and issubclass(during, CallbackManagerForLLMRun)
    assert (during.__name__, during.__module__) == ("CallbackManagerForLLMRun", manager_module())


def test_the_class_is_restored_when_another_watching_class_was_made_meanwhile(
    instrumented, span_exporter
):
    """Two threads watching their first manager of a class at once each make a watching class;
    whichever the registry keeps, each request restores its own manager's class."""
    instrumented()
    managers = []

    class ChatForgettingTheWatchers(ChatScripted):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            managers.append(run_manager)
            _manager_watch._SUBCLASSES.clear()  # as if another thread's class replaced ours
            _manager_watch._watching(CallbackManagerForLLMRun)
            return super()._generate(messages, stop, run_manager, **kwargs)

    ChatForgettingTheWatchers().invoke("hi", {"callbacks": [Tokens()]})

    (manager,) = managers
    assert type(manager) is CallbackManagerForLLMRun
    assert len(chat_spans(span_exporter)) == 1


class ChatPicklingItsManager(ChatScripted):
    """Pickles its run manager mid-call (every protocol) and deep-copies it, as it may do."""

    seen: list[Any] = Field(default_factory=list)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            restored = pickle.loads(pickle.dumps(run_manager, protocol=protocol))
            self.seen.append((type(restored).__qualname__, sorted(vars(restored))))
        self.seen.append(("deepcopy", sorted(vars(copy.deepcopy(run_manager)))))
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_run_manager_pickles_and_deep_copies_as_it_does_uninstrumented(
    instrumented, span_exporter
):
    bare = ChatPicklingItsManager()
    bare.invoke("hi")
    instrumented()
    model = ChatPicklingItsManager()

    model.invoke("hi")

    assert model.seen == bare.seen
    assert {name for name, _keys in model.seen[:-1]} == {"CallbackManagerForLLMRun"}
    assert len(chat_spans(span_exporter)) == 1


def manager_module() -> str:
    return CallbackManagerForLLMRun.__module__


# -- 6. instrument/uninstrument cycles leave nothing behind ---------------------------------------


def test_instrument_uninstrument_cycles_release_everything(tracer_provider):
    instrumentor = LangChainInstrumentor()
    pending = getattr(importer, "_post_import_hooks", {})

    def waiting_hooks() -> int:
        return sum(len(hooks or ()) for hooks in pending.values())

    instrumentor.instrument(tracer_provider=tracer_provider)
    first = weakref.ref(instrumentor._telemetry)
    instrumentor.uninstrument()
    hooks_after_one_cycle = waiting_hooks()
    for _ in range(5):
        instrumentor.instrument(tracer_provider=tracer_provider)
        instrumentor.uninstrument()
    gc.collect()

    # langchain.agents.agent (LangChain < 1.0) is never imported here: its hook still waits
    assert "langchain.agents.agent" in pending
    assert waiting_hooks() == hooks_after_one_cycle
    assert first() is None  # nothing keeps the first cycle's tracer, mappers or wrappers


# -- 7. instrument() from two threads at once -----------------------------------------------------


def test_instrument_from_two_threads_at_once_instruments_once(
    monkeypatch, tracer_provider, span_exporter
):
    instrumentor = LangChainInstrumentor()
    real = LangChainInstrumentor._instrument

    def slow_instrument(self, **kwargs):
        time.sleep(0.2)  # both threads are past BaseInstrumentor's "already instrumented" check
        real(self, **kwargs)

    monkeypatch.setattr(LangChainInstrumentor, "_instrument", slow_instrument)
    provider = {"tracer_provider": tracer_provider}
    threads = [threading.Thread(target=instrumentor.instrument, kwargs=provider) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ChatScripted().invoke("hi")
    finally:
        instrumentor.uninstrument()

    assert len(chat_spans(span_exporter)) == 1


# -- 8. a stream broken out of at the end of asyncio.run ------------------------------------------

BREAK_AT_THE_END = """
import asyncio, sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from langchain_otel import LangChainInstrumentor
from tests.models import ChatScripted

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
LangChainInstrumentor().instrument(tracer_provider=provider)

async def main():
    async for chunk in ChatScripted(chunks=5).astream("hi"):
        break  # the stream is dropped when main() returns; asyncio.run then shuts down

asyncio.run(main())
(span,) = exporter.get_finished_spans()
print(span.status.status_code.name, dict(span.attributes).get("error.type"))
print(span.attributes["langchain_otel.stream.chunk_count"])
"""


def test_breaking_out_of_an_astream_at_the_end_of_asyncio_run_is_an_early_stop():
    done = subprocess.run(
        [sys.executable, "-c", BREAK_AT_THE_END],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert done.stdout == "UNSET None\n1\n"

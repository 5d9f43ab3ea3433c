"""Content of agent, tool and retrieval spans: nowhere by default; with ``SPAN_ONLY`` the exact
attributes; the redaction hook sees it (real LangGraph agent and retrieval chain, loopback fake)."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Literal

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.tools import ToolException, tool
from langchain_core.vectorstores import InMemoryVectorStore
from langgraph.prebuilt import InjectedState, create_react_agent

from langchain_otel import ChatContent
from tests.fakes import openai as fake
from tests.providers.helpers import make_model
from tests.test_content import serialized_telemetry

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")

PROMPT = "Which museum keeps PROMPT-MARK?"
ARGUMENT = "ARGUMENT-MARK"
RESULT = "RESULT-MARK: British Museum"
QUERY = "QUERY-MARK barley"
DOCUMENT = "DOCUMENT-MARK: the Uruk tablet lists barley rations."
MARKS = ("PROMPT-MARK", ARGUMENT, "RESULT-MARK", "QUERY-MARK", "DOCUMENT-MARK")


@tool
def find_museum(name: Literal["ARGUMENT-MARK", "other"]) -> str:
    """Which museum keeps a clay tablet."""
    return RESULT


@pytest.fixture
def capture(instrumented):
    """instrument(capture_content=mode, **kwargs); uninstrumented after the test."""

    def start(mode: str | None, **kwargs) -> None:
        instrumented(capture_content=mode, **kwargs)

    return start


def run_everything(server) -> None:
    """An agent run with a tool call, and a retrieval."""
    agent = create_react_agent(make_model(server), [find_museum], name="curator")
    agent.invoke({"messages": [("user", PROMPT)]})
    vectors = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
    vectors.add_documents([Document(DOCUMENT, id="tablet-1")])
    vectors.as_retriever(search_kwargs={"k": 1}).invoke(QUERY)


def span(exporter, prefix: str):
    (found,) = [s for s in exporter.get_finished_spans() if s.name.startswith(prefix)]
    return found


@pytest.mark.parametrize("mode", [None, "EVENT_ONLY"])
def test_no_tool_argument_result_query_or_document_anywhere(
    mode, caplog, capture, fake_server, span_exporter, metric_reader, log_exporter
):
    caplog.set_level(logging.DEBUG, logger="langchain_otel")
    capture(mode)
    run_everything(fake_server)

    everything = serialized_telemetry(span_exporter, metric_reader, log_exporter)
    assert "execute_tool find_museum" in everything  # the scan saw the structure spans
    assert "retrieval" in everything
    # EVENT_ONLY: chat events carry the conversation (so the tool's answer, which the model was
    # sent); no structure span has an event or a content attribute.
    secrets = MARKS if mode is None else ("QUERY-MARK", "DOCUMENT-MARK")
    for secret in secrets:
        assert secret not in everything
        assert all(secret not in record.getMessage() for record in caplog.records)
    for prefix in ("invoke_agent", "execute_tool", "retrieval"):
        structure = span(span_exporter, prefix)
        assert structure.events == ()
        assert not any(
            key.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.retrieval.q"))
            or key in ("gen_ai.tool.call.arguments", "gen_ai.tool.call.result")
            or key == "gen_ai.retrieval.documents"
            for key in structure.attributes
        )


def test_span_only_records_the_content_of_every_structure_span(capture, fake_server, span_exporter):
    capture("SPAN_ONLY")
    run_everything(fake_server)

    agent = span(span_exporter, "invoke_agent")
    assert json.loads(agent.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    assert json.loads(agent.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": fake.ANSWER}]}
    ]
    tool_span = span(span_exporter, "execute_tool")
    assert json.loads(tool_span.attributes["gen_ai.tool.call.arguments"]) == {"name": ARGUMENT}
    assert tool_span.attributes["gen_ai.tool.call.result"] == RESULT  # text stays text
    retrieval = span(span_exporter, "retrieval")
    assert dict(retrieval.attributes) == {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.request.top_k": 1.0,
        "langchain_otel.retriever.type": "InMemoryVectorStore",
        "langchain_otel.retrieval.document_count": 1,
        "gen_ai.retrieval.query.text": QUERY,
        "gen_ai.retrieval.documents": json.dumps(
            [{"id": "tablet-1", "content": DOCUMENT}], separators=(",", ":")
        ),
    }


def test_the_hook_redacts_structure_content(capture, fake_server, span_exporter):
    seen: list[ChatContent] = []

    def redact(content: ChatContent) -> ChatContent:
        seen.append(content)
        if content.tool_call_result is not None:
            content.tool_call_result = "<redacted>"
        for document in content.retrieval_documents:
            document["content"] = "<redacted>"
        return content

    capture("SPAN_ONLY", content_hook=redact)
    run_everything(fake_server)

    assert span(span_exporter, "execute_tool").attributes["gen_ai.tool.call.result"] == (
        "<redacted>"
    )
    retrieval = span(span_exporter, "retrieval")
    documents = json.loads(retrieval.attributes["gen_ai.retrieval.documents"])
    assert documents == [{"id": "tablet-1", "content": "<redacted>"}]
    assert [c.tool_call_arguments for c in seen if c.tool_call_arguments] == [{"name": ARGUMENT}]
    assert [c.retrieval_query for c in seen if c.retrieval_query] == [QUERY]


def test_a_failing_hook_records_nothing_and_the_run_works(capture, fake_server, span_exporter):
    def broken(content: ChatContent) -> ChatContent:
        raise RuntimeError("hook bug")

    capture("SPAN_ONLY", content_hook=broken)
    run_everything(fake_server)

    everything = "\n".join(s.to_json() for s in span_exporter.get_finished_spans())
    for secret in MARKS:
        assert secret not in everything


def test_with_content_on_errors_keep_their_message(capture, span_exporter):
    @tool
    def find_museum(name: str) -> str:
        """Which museum keeps a clay tablet."""
        raise LookupError(f"no museum keeps {name}")

    capture("SPAN_ONLY")
    with pytest.raises(LookupError):
        find_museum.invoke({"name": ARGUMENT})

    failed = span(span_exporter, "execute_tool")
    assert failed.status.description == f"no museum keeps {ARGUMENT}"
    assert failed.events[0].attributes["exception.message"] == f"no museum keeps {ARGUMENT}"


def test_a_handled_tool_error_records_the_arguments_but_no_result(capture, span_exporter):
    @tool
    def find_museum(name: str) -> str:
        """Which museum keeps a clay tablet."""
        raise ToolException("RESULT-MARK: no museum")

    find_museum.handle_tool_error = True
    capture("SPAN_ONLY")
    assert find_museum.invoke({"name": ARGUMENT}) == "RESULT-MARK: no museum"

    handled = span(span_exporter, "execute_tool")
    assert handled.attributes["error.type"] == "langchain_core.tools.base.ToolException"
    assert json.loads(handled.attributes["gen_ai.tool.call.arguments"]) == {"name": ARGUMENT}
    assert "gen_ai.tool.call.result" not in handled.attributes


@pytest.mark.parametrize(("mode", "has_output"), [("values", True), ("messages", False)])
def test_a_streamed_run_records_the_final_state_it_streamed(
    mode, has_output, capture, fake_server, span_exporter
):
    capture("SPAN_ONLY")
    agent = create_react_agent(make_model(fake_server), [find_museum], name="curator")
    list(agent.stream({"messages": [("user", PROMPT)]}, stream_mode=mode))

    agent_span = span(span_exporter, "invoke_agent")
    assert json.loads(agent_span.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    # Only a stream of whole states shows the run's final answer.
    assert ("gen_ai.output.messages" in agent_span.attributes) is has_output


def test_injected_state_is_not_a_tool_argument(capture, fake_server, span_exporter):
    @tool
    def count_messages(name: str, state: Annotated[dict, InjectedState]) -> str:
        """How long the conversation is."""
        return f"{len(state['messages'])} messages"

    capture("SPAN_ONLY")
    create_react_agent(make_model(fake_server), [count_messages]).invoke(
        {"messages": [("user", PROMPT)]}
    )

    tool_span = span(span_exporter, "execute_tool")
    assert json.loads(tool_span.attributes["gen_ai.tool.call.arguments"]) == {"name": "Uruk"}
    assert tool_span.attributes["gen_ai.tool.call.result"] == "2 messages"

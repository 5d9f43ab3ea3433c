"""Agent, tool and retrieval spans never break the app: a bug in reading the call, the result or
the content leaves the call untouched (same result, same exception) and the span still ends."""

from __future__ import annotations

import logging

import pytest
from langchain_core.documents import Document
from langchain_core.tools import tool
from opentelemetry.instrumentation.utils import suppress_instrumentation

from langchain_otel import _agents, _peers, _tools
from langchain_otel._structure_wrappers import LazyPatches, Target
from tests.test_retrieval_spans import KeywordRetriever
from tests.test_workflow_spans import summarizer

pytestmark = pytest.mark.usefixtures("instrument")

SENTINEL = object()


@tool
def fetch(name: str) -> object:
    """Returns one particular object."""
    return SENTINEL


def broken(*args, **kwargs):
    raise RuntimeError("instrumentation bug")


def test_the_result_is_the_same_object(span_exporter):
    assert fetch.invoke({"name": "x"}) is SENTINEL
    assert len(span_exporter.get_finished_spans()) == 1


def test_a_failing_start_leaves_the_call_untraced(monkeypatch, caplog, span_exporter):
    monkeypatch.setattr(_tools.ToolRun, "start", broken)
    caplog.set_level(logging.DEBUG, logger="langchain_otel")

    assert fetch.invoke({"name": "x"}) is SENTINEL

    assert span_exporter.get_finished_spans() == ()
    assert any("could not start the span" in r.getMessage() for r in caplog.records)


def test_a_failing_result_reader_still_ends_the_span(monkeypatch, span_exporter):
    monkeypatch.setattr(_tools.Retrieval, "result_attributes", broken)

    documents = KeywordRetriever().invoke("tablet")

    assert [type(d) for d in documents] == [Document] * 3
    (span,) = span_exporter.get_finished_spans()
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "retrieval",
        "gen_ai.request.top_k": 3.0,
        "langchain_otel.retriever.type": "KeywordRetriever",
    }


def test_a_failing_content_reader_still_ends_the_span(
    monkeypatch, tracer_provider, span_exporter, instrument
):
    instrument.uninstrument()
    instrument.instrument(tracer_provider=tracer_provider, capture_content="SPAN_ONLY")
    monkeypatch.setattr(_tools.ToolRun, "content", broken)

    assert fetch.invoke({"name": "x"}) is SENTINEL

    (span,) = span_exporter.get_finished_spans()
    assert "gen_ai.tool.call.arguments" not in span.attributes


def test_a_failing_graph_reader_leaves_the_run_untraced(monkeypatch, fake_server, span_exporter):
    monkeypatch.setattr(_agents.GraphRun, "start", broken)

    result = summarizer(fake_server).invoke({"messages": [("user", "hi")]})

    assert result["messages"][-1].content.startswith("The oldest known cuneiform")
    assert [s.name for s in span_exporter.get_finished_spans()] == ["chat gpt-4o-mini"]


def test_a_failing_peer_check_is_swallowed(monkeypatch, tracer_provider, instrument):
    instrument.uninstrument()
    monkeypatch.setattr(_peers, "active_langchain_instrumentations", broken)
    instrument.instrument(tracer_provider=tracer_provider)

    assert fetch.invoke({"name": "x"}) is SENTINEL


def test_suppressed_instrumentation_makes_no_structure_span(fake_server, span_exporter):
    with suppress_instrumentation():
        fetch.invoke({"name": "x"})
        KeywordRetriever().invoke("tablet")
        summarizer(fake_server).invoke({"messages": [("user", "hi")]})

    assert span_exporter.get_finished_spans() == ()


def test_a_target_that_cannot_be_wrapped_never_breaks_its_import(caplog):
    caplog.set_level(logging.DEBUG, logger="langchain_otel")

    patches = LazyPatches(
        [
            Target("json", "NoSuchClass", "loads", broken),
            Target("json", None, "no_such_function", broken),
        ]
    )
    import json  # noqa: PLC0415  # already imported: the hook ran at once

    assert json.loads("1") == 1
    assert patches.wrapped() == []
    patches.undo()

"""A LangGraph agent streamed to a UI (``stream_mode="messages"``): its model calls stream on the
wire inside ``invoke``, and each span says so (real LangGraph and ChatOpenAI, loopback fake)."""

from __future__ import annotations

import pytest
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent

from tests.helpers import chat_spans, stream_attributes
from tests.providers.helpers import make_model
from tests.test_provider_requests import expected, ttfc_points

pytestmark = pytest.mark.usefixtures("instrument")


@tool
def lookup_tablet(name: str) -> str:
    """Where a clay tablet is kept."""
    return "British Museum"


def agent_spans_are_streams(server, exporter) -> None:
    first, second = chat_spans(exporter)  # model -> tool -> model
    answer = {
        **expected(server, stream=True),
        "gen_ai.tool.definitions": '[{"type":"function","name":"lookup_tablet"}]',
        "langchain_otel.langgraph.node": "agent",  # an unnamed agent: no gen_ai.agent.name
    }
    assert stream_attributes(first) == {**answer, "gen_ai.response.finish_reasons": ("tool_calls",)}
    assert stream_attributes(second) == answer


def test_langgraph_agent_streamed_with_messages_mode(fake_server, span_exporter, metric_reader):
    agent = create_react_agent(make_model(fake_server), [lookup_tablet])
    parts = list(agent.stream({"messages": [("user", "where?")]}, stream_mode="messages"))

    assert len(parts) > 5  # message chunks, as a UI receives them
    agent_spans_are_streams(fake_server, span_exporter)
    assert sum(point.count for point in ttfc_points(metric_reader)) == 2


async def test_langgraph_agent_astreamed_with_messages_mode(fake_server, span_exporter):
    agent = create_react_agent(make_model(fake_server), [lookup_tablet])
    parts = [
        p async for p in agent.astream({"messages": [("user", "where?")]}, stream_mode="messages")
    ]

    assert len(parts) > 5
    agent_spans_are_streams(fake_server, span_exporter)

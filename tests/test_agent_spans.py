"""One trace per agent run: real LangGraph and LangChain agents against the loopback OpenAI fake.

``create_react_agent`` (LangGraph) and ``create_agent`` (LangChain 1.x) with two tools, every call
style; the exact span tree (names, kinds, parents) and the exact attributes of the structure spans.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Literal

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import ToolException, tool
from langgraph.prebuilt import create_react_agent
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.helpers import span_tree
from tests.providers.helpers import make_model, run_totals
from tests.test_provider_requests import expected

pytestmark = [
    pytest.mark.usefixtures("instrument"),
    pytest.mark.filterwarnings("ignore:create_react_agent has been moved"),
]

QUESTION = {"messages": [("user", "Where is the Uruk tablet kept?")]}
CONFIG = {"configurable": {"thread_id": "thread-7"}}


@tool
def find_museum(name: str) -> str:
    """Which museum keeps a clay tablet."""
    return "British Museum"


@tool
def read_tablet(name: Literal["Uruk"]) -> str:
    """What a clay tablet says."""
    return "Barley rations for the temple workers."


TOOLS = [find_museum, read_tablet]
DEFINITIONS = '[{"type":"function","name":"find_museum"},{"type":"function","name":"read_tablet"}]'
AGENT = ("invoke_agent curator", "INTERNAL")
CHAT = ("chat gpt-4o-mini", "CLIENT", [])
FIND = ("execute_tool find_museum", "INTERNAL", [])
READ = ("execute_tool read_tablet", "INTERNAL", [])
ONE_TOOL_RUN = [(*AGENT, [CHAT, FIND, CHAT])]


def react_agent(server, tools=TOOLS, **kwargs):
    return create_react_agent(make_model(server), tools, name="curator", **kwargs)


def langchain_agent(server, tools=TOOLS, **kwargs):
    return create_agent(make_model(server), tools, name="curator", **kwargs)


BUILDERS = {"create_react_agent": react_agent, "create_agent": langchain_agent}


def by_name(spans, name: str):
    return [s for s in spans if s.name == name]


def agent_attributes() -> dict:
    """The run's own attributes, and what its two model calls add up to."""
    return {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "curator",
        "gen_ai.conversation.id": "thread-7",
        **run_totals(calls=2),
    }


#: What every call inside the run (CONFIG's thread) carries: its conversation and its agent.
INSIDE_THE_RUN = {"gen_ai.conversation.id": "thread-7", "gen_ai.agent.name": "curator"}


def tool_attributes(name: str, description: str, call_id: str = fake.CALL_ID) -> dict:
    return {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": description,
        "gen_ai.tool.call.id": call_id,
        **INSIDE_THE_RUN,
        "langchain_otel.langgraph.node": "tools",  # both builders' tool node
    }


def assert_one_agent_run(exporter) -> None:
    """The whole run is one trace: the agent span, its model calls and its tool call."""
    spans = exporter.get_finished_spans()
    assert span_tree(spans) == ONE_TOOL_RUN
    assert len({s.context.trace_id for s in spans}) == 1
    (agent,) = by_name(spans, "invoke_agent curator")
    assert agent.parent is None
    assert dict(agent.attributes) == agent_attributes()
    assert agent.status.status_code is StatusCode.UNSET
    (find,) = by_name(spans, "execute_tool find_museum")
    assert dict(find.attributes) == tool_attributes("find_museum", find_museum.description)
    assert {s.parent.span_id for s in spans if s is not agent} == {agent.context.span_id}


def test_react_agent_invoke_is_one_trace_with_exact_attributes(fake_server, span_exporter):
    result = react_agent(fake_server).invoke(QUESTION, CONFIG)

    assert result["messages"][-1].content == fake.ANSWER
    assert_one_agent_run(span_exporter)
    first, second = by_name(span_exporter.get_finished_spans(), "chat gpt-4o-mini")
    answer = {
        **expected(fake_server, stream=False),
        "gen_ai.tool.definitions": DEFINITIONS,
        **INSIDE_THE_RUN,
        "langchain_otel.langgraph.node": "agent",  # create_react_agent's model node
    }
    assert dict(first.attributes) == {**answer, "gen_ai.response.finish_reasons": ("tool_calls",)}
    assert dict(second.attributes) == answer


def run(agent, style: str):
    """Run ``agent`` on the question the way ``style`` says: what the caller got (a coroutine
    for the async styles)."""
    if style == "invoke":
        return agent.invoke(QUESTION, CONFIG)
    if style.startswith("stream-"):
        return list(agent.stream(QUESTION, CONFIG, stream_mode=style.removeprefix("stream-")))

    async def consume():
        if style == "ainvoke":
            return await agent.ainvoke(QUESTION, CONFIG)
        if style == "astream_events":
            return [event async for event in agent.astream_events(QUESTION, CONFIG, version="v2")]
        mode = style.removeprefix("astream-")
        return [part async for part in agent.astream(QUESTION, CONFIG, stream_mode=mode)]

    return consume()


STYLES = [
    "invoke",
    "ainvoke",
    "stream-values",
    "stream-messages",
    "stream-updates",
    "astream-values",
    "astream-messages",
    "astream_events",
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("builder", BUILDERS)
async def test_every_call_style_is_one_trace(builder, style, fake_server, span_exporter):
    """Also what goes through ``astream``: ``astream_events``."""
    agent = BUILDERS[builder](fake_server)
    outcome = run(agent, style)
    if asyncio.iscoroutine(outcome):
        outcome = await outcome

    assert outcome  # the caller got the run's output
    assert_one_agent_run(span_exporter)


async def test_two_runs_at_once_are_two_traces(fake_server, span_exporter):
    agent = react_agent(fake_server)
    await asyncio.gather(agent.ainvoke(QUESTION, CONFIG), agent.ainvoke(QUESTION, CONFIG))

    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == ONE_TOOL_RUN * 2
    agents = by_name(spans, "invoke_agent curator")
    for agent_span in agents:
        members = [s for s in spans if s.context.trace_id == agent_span.context.trace_id]
        assert len(members) == 4


@pytest.mark.parametrize("style", ["invoke", "ainvoke"])
@pytest.mark.parametrize("builder", BUILDERS)
async def test_parallel_tool_calls_each_get_the_agent_as_parent(
    builder, style, fake_server, span_exporter
):
    agent = BUILDERS[builder](fake_server)
    question = {"messages": [("user", fake.PARALLEL_TOOLS_PROMPT)]}
    if style == "invoke":
        result = agent.invoke(question, CONFIG)
    else:
        result = await agent.ainvoke(question, CONFIG)

    tool_messages = [m for m in result["messages"] if m.type == "tool"]
    assert sorted(m.content for m in tool_messages) == [
        "Barley rations for the temple workers.",
        "British Museum",
    ]
    spans = span_exporter.get_finished_spans()
    ((name, kind, children),) = span_tree(spans)
    assert (name, kind) == AGENT
    assert children[0] == CHAT and children[-1] == CHAT
    assert sorted(children[1:3]) == [FIND, READ]
    (agent_span,) = by_name(spans, "invoke_agent curator")
    (find,) = by_name(spans, "execute_tool find_museum")
    (read,) = by_name(spans, "execute_tool read_tablet")
    assert dict(find.attributes) == tool_attributes(
        "find_museum", find_museum.description, fake.PARALLEL_CALL_IDS[0]
    )
    assert dict(read.attributes) == tool_attributes(
        "read_tablet", read_tablet.description, fake.PARALLEL_CALL_IDS[1]
    )
    assert find.parent.span_id == read.parent.span_id == agent_span.context.span_id


def test_a_tool_that_raises_fails_its_span_and_the_run(fake_server, span_exporter):
    raised = []

    @tool
    def find_museum(name: str) -> str:
        """Which museum keeps a clay tablet."""
        raised.append(LookupError("the catalogue is offline"))
        raise raised[0]

    with pytest.raises(LookupError) as caught:
        react_agent(fake_server, [find_museum, read_tablet]).invoke(QUESTION, CONFIG)

    assert caught.value is raised[0]  # the same exception object reaches the caller
    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [(*AGENT, [CHAT, FIND])]
    (agent,) = by_name(spans, "invoke_agent curator")
    (failed,) = by_name(spans, "execute_tool find_museum")
    for span in (failed, agent):
        assert span.status.status_code is StatusCode.ERROR
        # Content capture is off: the message (it may repeat the tool's input) is not recorded.
        assert span.status.description == "LookupError"
        assert span.attributes["error.type"] == "LookupError"
        (event,) = span.events
        assert (event.name, event.attributes["exception.type"]) == ("exception", "LookupError")
        assert event.attributes["exception.message"] == "LookupError"
    assert dict(failed.attributes) == {
        **tool_attributes("find_museum", find_museum.description),
        "error.type": "LookupError",
    }


def test_a_tool_error_langchain_handles_marks_the_tool_span_only(fake_server, span_exporter):
    @tool(description="Which museum keeps a clay tablet.")
    def find_museum(name: str) -> str:
        raise ToolException("no tablet by that name")

    find_museum.handle_tool_error = True
    result = react_agent(fake_server, [find_museum, read_tablet]).invoke(QUESTION, CONFIG)

    (tool_message,) = [m for m in result["messages"] if m.type == "tool"]
    assert (tool_message.content, tool_message.status) == ("no tablet by that name", "error")
    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == ONE_TOOL_RUN  # the model saw the error and answered
    (handled,) = by_name(spans, "execute_tool find_museum")
    assert handled.status.status_code is StatusCode.ERROR
    assert handled.status.description == "ToolException"  # content-free: the class name
    assert dict(handled.attributes) == {
        **tool_attributes("find_museum", "Which museum keeps a clay tablet."),
        "error.type": "langchain_core.tools.base.ToolException",
    }
    (agent,) = by_name(spans, "invoke_agent curator")
    assert agent.status.status_code is StatusCode.UNSET


def test_a_tool_called_directly_gets_a_root_span(span_exporter):
    assert find_museum.invoke({"name": "Uruk"}) == "British Museum"

    (span,) = span_exporter.get_finished_spans()
    assert (span.name, span.parent) == ("execute_tool find_museum", None)
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "find_museum",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": "Which museum keeps a clay tablet.",
    }


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_stream_stopped_early_ends_the_run_without_error(how, fake_server, span_exporter):
    stream = react_agent(fake_server).stream(QUESTION, CONFIG)
    next(stream)  # the first model call's update
    if how == "close":
        stream.close()
    else:
        del stream
        gc.collect()

    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [(*AGENT, [CHAT])]
    (agent,) = by_name(spans, "invoke_agent curator")
    assert agent.status.status_code is StatusCode.UNSET
    assert "error.type" not in agent.attributes


def test_the_agent_name_is_only_the_one_the_application_gave(fake_server, span_exporter):
    create_react_agent(make_model(fake_server), TOOLS).invoke(QUESTION)

    (agent,) = [s for s in span_exporter.get_finished_spans() if s.parent is None]
    assert agent.name == "invoke_agent"  # not LangGraph's default graph name
    assert dict(agent.attributes) == {"gen_ai.operation.name": "invoke_agent", **run_totals(2)}


def test_structure_spans_can_be_turned_off(fake_server, tracer_provider, span_exporter, instrument):
    instrument.uninstrument()
    instrument.instrument(tracer_provider=tracer_provider, structure_spans=False)

    react_agent(fake_server).invoke(QUESTION, CONFIG)

    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [CHAT, CHAT]  # chat spans only: two unrelated roots


def test_the_env_var_turns_them_off(monkeypatch, tracer_provider, span_exporter, instrument):
    instrument.uninstrument()
    monkeypatch.setenv("LANGCHAIN_OTEL_STRUCTURE_SPANS", "false")
    instrument.instrument(tracer_provider=tracer_provider)

    find_museum.invoke({"name": "Uruk"})

    assert span_exporter.get_finished_spans() == ()


def test_the_result_is_returned_unchanged(fake_server):
    agent = react_agent(fake_server)
    result = agent.invoke(QUESTION, CONFIG)

    assert isinstance(result["messages"][-1], AIMessage)
    assert [m.type for m in result["messages"]] == ["human", "ai", "tool", "ai"]


def test_nothing_of_a_run_is_kept_after_it(fake_server, tracer_provider, instrument):
    instrument.uninstrument()
    instrument.instrument(tracer_provider=tracer_provider, capture_content="SPAN_ONLY")
    agent = react_agent(fake_server)
    asked = HumanMessage("Where is the Uruk tablet kept?")
    result = agent.invoke({"messages": [asked]}, CONFIG)
    list(agent.stream({"messages": [asked]}, CONFIG))
    kept = [weakref.ref(agent), weakref.ref(result["messages"][-1]), weakref.ref(asked)]

    del agent, result, asked
    gc.collect()

    assert [ref() for ref in kept] == [None, None, None]


def test_an_agent_adds_up_every_model_call_of_its_run(fake_server, span_exporter):
    """A marked agent graph whose first node is a ReAct agent (two OpenAI calls) and whose
    second node asks Claude once: the outer agent sums all three calls and takes its provider
    and finish reasons from the final answer, Claude's; the inner agent has its own two."""
    from langchain_anthropic import ChatAnthropic  # noqa: PLC0415
    from langgraph.graph import END, START, MessagesState, StateGraph  # noqa: PLC0415

    from tests.fakes import anthropic as fake_anthropic  # noqa: PLC0415

    fake_anthropic.install(fake_server)
    claude = ChatAnthropic(
        model="claude-sonnet-4-5", base_url=fake_server.url, api_key="sk-ant-test", max_retries=0
    )

    def review(state: MessagesState) -> dict:
        return {"messages": [claude.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("research", react_agent(fake_server))
    builder.add_node("review", review)
    builder.add_edge(START, "research")
    builder.add_edge("research", "review")
    builder.add_edge("review", END)
    desk = builder.compile(name="desk").with_config(metadata={"gen_ai.agent.name": "desk"})

    desk.invoke(QUESTION)

    spans = span_exporter.get_finished_spans()
    (claude_call,) = [s for s in spans if s.name.startswith("chat ") and "claude" in s.name]
    (outer,) = by_name(spans, "invoke_agent desk")
    (inner,) = by_name(spans, "invoke_agent curator")
    assert {k: v for k, v in inner.attributes.items() if k in run_totals(2)} == run_totals(2)
    openai_tokens = run_totals(2)
    assert dict(outer.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "desk",
        "gen_ai.provider.name": "anthropic",  # the final answer's
        "gen_ai.response.finish_reasons": claude_call.attributes["gen_ai.response.finish_reasons"],
        **{
            key: openai_tokens.get(key, 0) + claude_call.attributes.get(key, 0)
            for key in (
                "gen_ai.usage.input_tokens",
                "gen_ai.usage.output_tokens",
                "gen_ai.usage.cache_read.input_tokens",
            )
        },
    }
    assert claude_call.attributes["gen_ai.response.finish_reasons"] == ("end_turn",)


async def test_parallel_model_calls_in_one_run_are_all_counted(fake_server, span_exporter):
    """Ten calls at once from one node (threads of a ``batch``): each adds to the run once."""
    from langgraph.graph import END, START, MessagesState, StateGraph  # noqa: PLC0415

    model = make_model(fake_server)

    def fan_out(state: MessagesState) -> dict:
        answers = model.batch(["Where is the Uruk tablet kept?"] * 10)
        return {"messages": answers[-1:]}

    builder = StateGraph(MessagesState)
    builder.add_node("fan_out", fan_out)
    builder.add_edge(START, "fan_out")
    builder.add_edge("fan_out", END)
    graph = builder.compile().with_config(metadata={"gen_ai.agent.name": "fan"})

    graph.invoke(QUESTION)

    (agent,) = by_name(span_exporter.get_finished_spans(), "invoke_agent fan")
    assert {k: v for k, v in agent.attributes.items() if k in run_totals(10)} == run_totals(10)

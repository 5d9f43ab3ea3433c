"""Graphs that are not prebuilt agents: workflows, subgraphs, graphs marked as agents, interrupts,
and the legacy ``AgentExecutor``; real LangGraph / langchain-classic against the loopback fake."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from langchain_classic.agents import AgentExecutor
from langchain_classic.agents.tool_calling_agent.base import create_tool_calling_agent
from langchain_core.messages import AnyMessage
from langchain_core.prompts import ChatPromptTemplate
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import create_react_agent
from langgraph.types import interrupt
from opentelemetry.trace import StatusCode
from typing_extensions import TypedDict

from tests.fakes._script import ANSWER
from tests.helpers import span_tree
from tests.providers.helpers import make_model, run_totals
from tests.test_agent_spans import CHAT, FIND, ONE_TOOL_RUN, QUESTION, TOOLS, by_name, find_museum

pytestmark = [
    pytest.mark.usefixtures("instrument"),
    pytest.mark.filterwarnings("ignore:create_react_agent has been moved"),
]


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def summarizer(server, name: str | None = "pipeline"):
    """A two-node workflow: the model drafts, a plain function post-processes."""
    model = make_model(server)

    def draft(state: State) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def tidy(state: State) -> dict[str, Any]:
        return {"messages": [("ai", state["messages"][-1].content.strip())]}

    builder = StateGraph(State)
    builder.add_node("draft", draft)
    builder.add_node("tidy", tidy)
    builder.add_edge(START, "draft")
    builder.add_edge("draft", "tidy")
    builder.add_edge("tidy", END)
    return builder.compile(name=name) if name else builder.compile()


def test_a_plain_graph_is_one_workflow_span(fake_server, span_exporter):
    summarizer(fake_server).invoke(QUESTION, {"configurable": {"thread_id": "t-1"}})

    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [("invoke_workflow pipeline", "INTERNAL", [CHAT])]
    (workflow,) = by_name(spans, "invoke_workflow pipeline")
    assert dict(workflow.attributes) == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "pipeline",
        "gen_ai.conversation.id": "t-1",
    }


def test_an_unnamed_graph_has_no_workflow_name(fake_server, span_exporter):
    summarizer(fake_server, name=None).invoke(QUESTION)

    (workflow,) = [s for s in span_exporter.get_finished_spans() if s.parent is None]
    assert workflow.name == "invoke_workflow"
    assert dict(workflow.attributes) == {"gen_ai.operation.name": "invoke_workflow"}


def test_a_top_level_run_name_names_it(fake_server, span_exporter):
    summarizer(fake_server, name=None).invoke(QUESTION, {"run_name": "nightly-digest"})

    (workflow,) = [s for s in span_exporter.get_finished_spans() if s.parent is None]
    assert workflow.name == "invoke_workflow nightly-digest"


def supervisor(server, agent_node: Any):
    """A workflow whose second step is an agent (added as a node, or called inside one)."""
    builder = StateGraph(State)
    builder.add_node("prepare", lambda state: {"messages": [("user", "Check the catalogue.")]})
    builder.add_node("research", agent_node)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "research")
    builder.add_edge("research", END)
    return builder.compile(name="desk")


@pytest.mark.parametrize("how", ["graph as node", "invoked in a node"])
async def test_a_subgraph_is_a_child_run(how, fake_server, span_exporter):
    agent = create_react_agent(make_model(fake_server), TOOLS, name="curator")

    def research(state: State) -> dict[str, Any]:
        return agent.invoke(state)

    graph = supervisor(fake_server, agent if how == "graph as node" else research)

    graph.invoke(QUESTION)
    await graph.ainvoke(QUESTION)
    list(graph.stream(QUESTION, stream_mode="messages", subgraphs=True))

    run = ("invoke_workflow desk", "INTERNAL", ONE_TOOL_RUN)
    assert span_tree(span_exporter.get_finished_spans()) == [run, run, run]


def test_an_application_marks_its_own_graph_as_an_agent(fake_server, span_exporter):
    marked = summarizer(fake_server, name="drafting").with_config(
        metadata={
            "gen_ai.agent.name": "Scribe",
            "gen_ai.agent.id": "scribe-v2",
            "gen_ai.agent.description": "Drafts catalogue entries",
        }
    )
    marked.invoke(QUESTION, {"configurable": {"thread_id": "t-9"}})

    (agent,) = [s for s in span_exporter.get_finished_spans() if s.parent is None]
    assert agent.name == "invoke_agent Scribe"
    assert dict(agent.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "Scribe",
        "gen_ai.agent.id": "scribe-v2",
        "gen_ai.agent.description": "Drafts catalogue entries",
        "gen_ai.conversation.id": "t-9",
        **run_totals(calls=1),  # its one model call
    }


def test_a_call_marks_only_its_own_run_not_the_runs_inside(fake_server, span_exporter):
    inner = summarizer(fake_server, name="drafting")
    graph = supervisor(fake_server, inner)

    graph.invoke(QUESTION, {"metadata": {"gen_ai.agent.name": "Desk agent"}})

    assert span_tree(span_exporter.get_finished_spans()) == [
        ("invoke_agent Desk agent", "INTERNAL", [("invoke_workflow drafting", "INTERNAL", [CHAT])])
    ]


def approval_graph(server):
    """A workflow whose subgraph asks a human before answering (``interrupt``)."""

    def ask(state: State) -> dict[str, Any]:
        answer = interrupt("Publish this entry?")
        return {"messages": [("user", f"Reviewer says: {answer}")]}

    review = StateGraph(State)
    review.add_node("ask", ask)
    review.add_edge(START, "ask")
    review.add_edge("ask", END)
    builder = StateGraph(State)
    builder.add_node("review", review.compile(name="review"))
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    return builder.compile(name="publishing", checkpointer=InMemorySaver())


def test_an_interrupt_is_not_an_error(fake_server, span_exporter):
    result = approval_graph(fake_server).invoke(QUESTION, {"configurable": {"thread_id": "t-2"}})

    assert result["__interrupt__"][0].value == "Publish this entry?"
    spans = span_exporter.get_finished_spans()
    assert span_tree(spans) == [
        ("invoke_workflow publishing", "INTERNAL", [("invoke_workflow review", "INTERNAL", [])])
    ]
    for span in spans:
        assert span.status.status_code is StatusCode.UNSET
        assert "error.type" not in span.attributes


def executor(server) -> AgentExecutor:
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You help curators."),
            ("human", "{input}"),
            ("placeholder", "{agent_scratchpad}"),
        ]
    )
    agent = create_tool_calling_agent(make_model(server), TOOLS, prompt)
    return AgentExecutor(agent=agent, tools=TOOLS, name="catalogue-assistant")


@pytest.mark.parametrize("style", ["invoke", "ainvoke", "stream", "astream"])
async def test_agent_executor_is_an_agent(style, fake_server, span_exporter):
    agent = executor(fake_server)
    question = {"input": "Where is the Uruk tablet kept?"}
    if style == "invoke":
        result = agent.invoke(question)
    elif style == "ainvoke":
        result = await agent.ainvoke(question)
    elif style == "stream":
        result = list(agent.stream(question))[-1]
    else:
        result = [part async for part in agent.astream(question)][-1]

    assert result["output"] == ANSWER
    spans = span_exporter.get_finished_spans()
    # No span for the prompt template, the agent's RunnableSequence or its output parser.
    assert span_tree(spans) == [
        ("invoke_agent catalogue-assistant", "INTERNAL", [CHAT, FIND, CHAT])
    ]
    (root,) = by_name(spans, "invoke_agent catalogue-assistant")
    assert dict(root.attributes) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "catalogue-assistant",
        **run_totals(calls=2),
    }
    (tool_span,) = by_name(spans, "execute_tool find_museum")
    assert tool_span.attributes["gen_ai.tool.name"] == find_museum.name

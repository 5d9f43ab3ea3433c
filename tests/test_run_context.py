"""Every span knows whose run it is: conversation id, mapped application metadata, the LangGraph
node that made the call, the agent it works for, the named prompt that made its messages; and a
top-level LCEL chain is one ``invoke_workflow`` trace.

Real clients against the loopback fakes: ChatOpenAI and OpenAIEmbeddings (OpenAI fake), LangGraph
graphs (a ReAct agent, an agent invoked inside a node, a supervisor), LangSmith's ``pull_prompt``
(hub fake).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import langsmith
import pytest
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import create_retriever_tool, tool
from langchain_core.vectorstores import InMemoryVectorStore
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import create_react_agent
from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.processor.baggage import ALLOW_ALL_BAGGAGE_KEYS, BaggageSpanProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from langchain_otel import LangChainInstrumentor
from tests.fakes import langsmith as hub
from tests.fakes.server import FakeServer
from tests.helpers import assert_exportable, span_tree
from tests.providers.helpers import make_embeddings, make_model, run_totals
from tests.test_agent_spans import QUESTION, find_museum

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")

THREAD = "thread-42"
RUN_CONTEXT = {"gen_ai.conversation.id": THREAD, "user.id": "u-7", "tenant": "acme"}
TABLETS = [
    Document("The Uruk tablet lists barley rations.", id="tablet-1"),
    Document("The Kish tablet records a land sale.", id="tablet-2"),
]


def archive_tool(server: FakeServer):
    """A retriever tool over a vector store whose queries are embedded by OpenAIEmbeddings."""
    store = InMemoryVectorStore(make_embeddings(server))
    store.add_documents(TABLETS)
    return create_retriever_tool(
        store.as_retriever(search_kwargs={"k": 1}), "search_archive", "Searches the archive."
    )


def attributes_of(exporter, name: str) -> list[dict[str, Any]]:
    return [dict(s.attributes) for s in exporter.get_finished_spans() if s.name == name]


def context_of(attributes: dict[str, Any]) -> dict[str, Any]:
    """The run-context part of a span's attributes."""
    keys = ("gen_ai.conversation.id", "gen_ai.agent.name", "langchain_otel.langgraph.node")
    return {k: v for k, v in attributes.items() if k in keys or not k.startswith(_OURS)}


_OURS = ("gen_ai.", "langchain_otel.", "server.", "openai.", "error.")


# -- conversation id, mapped metadata, node and agent on every span of an agent run --------------


def test_every_span_of_an_agent_run_carries_its_context(instrumented, fake_server, span_exporter):
    instrumented(metadata_attributes="user_id=user.id,tenant")
    agent = create_react_agent(make_model(fake_server), [find_museum], name="curator")

    agent.invoke(
        QUESTION,
        {
            "configurable": {"thread_id": THREAD},
            "metadata": {"user_id": "u-7", "tenant": "acme", "ls_secret": "x"},
        },
    )

    spans = span_exporter.get_finished_spans()
    assert len(spans) == 4
    (run,) = attributes_of(span_exporter, "invoke_agent curator")
    assert run == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "curator",
        **RUN_CONTEXT,
        **run_totals(calls=2),
    }
    first, second = attributes_of(span_exporter, "chat gpt-4o-mini")
    for chat in (first, second):
        assert context_of(chat) == {
            **RUN_CONTEXT,
            "gen_ai.agent.name": "curator",
            "langchain_otel.langgraph.node": "agent",
        }
    (tool_span,) = attributes_of(span_exporter, "execute_tool find_museum")
    assert context_of(tool_span) == {
        **RUN_CONTEXT,
        "gen_ai.agent.name": "curator",
        "langchain_otel.langgraph.node": "tools",
    }
    assert_exportable(span_exporter)


def test_retrievals_and_embeddings_inside_a_tool_carry_the_runs_context(
    instrumented, fake_server, span_exporter
):
    agent = create_react_agent(
        make_model(fake_server), [archive_tool(fake_server)], name="archivist"
    )
    instrumented()

    agent.invoke(QUESTION, {"configurable": {"thread_id": THREAD}})

    expected = {
        "gen_ai.conversation.id": THREAD,
        "gen_ai.agent.name": "archivist",
        "langchain_otel.langgraph.node": "tools",
    }
    (retrieval,) = attributes_of(span_exporter, "retrieval")
    assert context_of(retrieval) == expected
    (embedding,) = attributes_of(span_exporter, "embeddings text-embedding-3-small")
    assert context_of(embedding) == expected
    assert span_tree(span_exporter.get_finished_spans()) == [
        (
            "invoke_agent archivist",
            "INTERNAL",
            [
                ("chat gpt-4o-mini", "CLIENT", []),
                (
                    "execute_tool search_archive",
                    "INTERNAL",
                    [
                        (
                            "retrieval",
                            "CLIENT",
                            [("embeddings text-embedding-3-small", "CLIENT", [])],
                        )
                    ],
                ),
                ("chat gpt-4o-mini", "CLIENT", []),
            ],
        )
    ]


def research_desk(server: FakeServer, agent: Any):
    """A supervisor workflow: its ``research`` node invokes an agent with no config of its own."""

    def research(state: MessagesState) -> dict[str, Any]:
        return agent.invoke(state)  # the node's config (and thread) reach it only ambiently

    builder = StateGraph(MessagesState)
    builder.add_node("research", research)
    builder.add_edge(START, "research")
    builder.add_edge("research", END)
    return builder.compile(name="desk")


def test_an_agent_invoked_inside_a_node_knows_the_thread_and_its_node(
    instrumented, fake_server, span_exporter
):
    instrumented(metadata_attributes="user_id=user.id,tenant")
    inner = create_react_agent(make_model(fake_server), [find_museum], name="curator")
    desk = research_desk(fake_server, inner)

    desk.invoke(
        QUESTION,
        {"configurable": {"thread_id": THREAD}, "metadata": {"user_id": "u-7", "tenant": "acme"}},
    )

    (workflow,) = attributes_of(span_exporter, "invoke_workflow desk")
    assert workflow == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "desk",
        **RUN_CONTEXT,
    }
    (agent,) = attributes_of(span_exporter, "invoke_agent curator")
    assert agent == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "curator",
        **RUN_CONTEXT,
        "langchain_otel.langgraph.node": "research",  # the desk's node that invoked it
        **run_totals(calls=2),
    }
    for chat in attributes_of(span_exporter, "chat gpt-4o-mini"):
        assert context_of(chat) == {
            **RUN_CONTEXT,
            "gen_ai.agent.name": "curator",  # the innermost agent, not the desk
            "langchain_otel.langgraph.node": "agent",
        }


def test_a_supervisors_agents_each_name_their_own_calls(instrumented, fake_server, span_exporter):
    museum = create_react_agent(make_model(fake_server), [find_museum], name="museum_expert")
    archive = create_react_agent(
        make_model(fake_server), [archive_tool(fake_server)], name="archive_expert"
    )
    instrumented()
    builder = StateGraph(MessagesState)
    builder.add_node("museum_expert", museum)
    builder.add_node("archive_expert", archive)
    builder.add_edge(START, "museum_expert")
    builder.add_edge("museum_expert", "archive_expert")
    builder.add_edge("archive_expert", END)
    supervisor = builder.compile(name="supervisor")

    supervisor.invoke(QUESTION, {"configurable": {"thread_id": THREAD}})

    by_agent: dict[str, set[str]] = {}
    for span in span_exporter.get_finished_spans():
        if span.name.split(" ")[0] in ("chat", "execute_tool", "retrieval", "embeddings"):
            assert span.attributes["gen_ai.conversation.id"] == THREAD
            by_agent.setdefault(span.attributes["gen_ai.agent.name"], set()).add(span.name)
    assert by_agent == {
        "museum_expert": {"chat gpt-4o-mini", "execute_tool find_museum"},
        "archive_expert": {
            "chat gpt-4o-mini",
            "execute_tool search_archive",
            "retrieval",
            "embeddings text-embedding-3-small",
        },
    }
    (workflow,) = attributes_of(span_exporter, "invoke_workflow supervisor")
    assert "gen_ai.agent.name" not in workflow  # a workflow is no agent's


# -- where the conversation id comes from ----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"metadata": {"session_id": "s-1"}}, "s-1"),
        ({"metadata": {"conversation_id": 77}}, "77"),
        ({"metadata": {"thread_id": uuid.UUID(int=5)}}, str(uuid.UUID(int=5))),
        ({"metadata": {"session_id": "s-1", "thread_id": "t-1"}}, "t-1"),
        ({"metadata": {"session_id": True}}, None),  # a flag is no identity
        ({"metadata": {"session_id": ""}}, None),
        ({}, None),  # never generated
    ],
)
def test_a_chat_call_reads_its_conversation_from_its_metadata(
    config, expected, instrumented, fake_server, span_exporter
):
    instrumented()

    make_model(fake_server).invoke("Where is the Uruk tablet kept?", config)

    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert chat.get("gen_ai.conversation.id") == expected


@pytest.mark.parametrize("style", ["invoke", "ainvoke", "stream", "astream"])
async def test_every_call_style_of_a_chain_reads_its_session(
    style, instrumented, fake_server, span_exporter
):
    """``RunnableWithMessageHistory`` keeps its session in ``configurable.session_id``."""
    instrumented()
    chain = PROMPT | make_model(fake_server) | StrOutputParser()
    config = {"configurable": {"session_id": "visit-3"}}
    question = {"question": "Where is the Uruk tablet kept?", "museum": "Louvre"}
    if style == "invoke":
        chain.invoke(question, config)
    elif style == "ainvoke":
        await chain.ainvoke(question, config)
    elif style == "stream":
        list(chain.stream(question, config))
    else:
        [chunk async for chunk in chain.astream(question, config)]

    workflow, chat = sorted(span_exporter.get_finished_spans(), key=lambda s: s.name)[::-1]
    assert workflow.name == "invoke_workflow"
    assert chat.parent.span_id == workflow.context.span_id
    for span in (workflow, chat):
        assert span.attributes["gen_ai.conversation.id"] == "visit-3"


# -- application metadata: opt-in by name, bounded, never LangChain's own keys ---------------------


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_mapped_metadata_is_bounded_typed_and_never_raises(
    instrumented, fake_server, span_exporter
):
    instrumented(
        metadata_attributes={
            "user_id": "user.id",
            "plan": "app.plan",
            "seats": "app.seats",
            "beta": "app.beta",
            "bio": "app.bio",
            "org": "app.org",
            "tags": "app.tags",
            "weird": "app.weird",
            "ref": "app.ref",
        }
    )
    metadata = {
        "user_id": "u-7",
        "plan": "pro\udc80",  # a lone surrogate: exported as U+FFFD
        "seats": 12,
        "beta": True,
        "bio": "x" * 5000,  # bounded like every attribute
        "org": {"id": 1},  # not a scalar: left out
        "tags": ["a", "b"],  # left out too
        "weird": Unprintable(),  # its __str__ is never called
        "ref": uuid.UUID(int=9),
    }

    make_model(fake_server).invoke("hi", {"metadata": metadata})

    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert context_of(chat) == {
        "user.id": "u-7",
        "app.plan": "pro\ufffd",
        "app.seats": 12,
        "app.beta": True,
        "app.bio": "x" * 1024,
        "app.ref": str(uuid.UUID(int=9)),
    }
    assert_exportable(span_exporter)


def test_mapping_langchains_own_keys_or_our_attributes_is_refused(
    caplog, instrumented, fake_server, span_exporter
):
    with caplog.at_level(logging.WARNING, logger="langchain_otel.config"):
        instrumented(
            metadata_attributes=(
                "langgraph_node=app.node,ls_provider=app.provider,checkpoint_ns=app.ns,"
                "tenant=gen_ai.request.model,user_id=user.id,org=user.id"
            )
        )

    assert sorted(r.getMessage() for r in caplog.records) == sorted(
        f"langchain-otel: metadata_attributes entry {entry!r} ignored: {reason}"
        for entry, reason in [
            ("langgraph_node=app.node", "LangChain's own metadata"),
            ("ls_provider=app.provider", "LangChain's own metadata"),
            ("checkpoint_ns=app.ns", "LangChain's own metadata"),
            ("tenant=gen_ai.request.model", "an attribute langchain-otel sets"),
            ("org=user.id", "attribute already mapped"),
        ]
    )
    make_model(fake_server).invoke(
        "hi", {"metadata": {"tenant": "acme", "user_id": "u-7", "org": "o-1"}}
    )
    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert chat["gen_ai.request.model"] == "gpt-4o-mini"
    assert context_of(chat) == {"user.id": "u-7"}


def test_no_langchain_key_or_tag_reaches_a_span_unmapped(instrumented, fake_server, span_exporter):
    instrumented()
    graph = research_desk(fake_server, create_react_agent(make_model(fake_server), [find_museum]))

    graph.invoke(QUESTION, {"tags": ["mine"], "metadata": {"user_id": "u-7"}})

    for span in span_exporter.get_finished_spans():
        for key, value in span.attributes.items():
            assert key.startswith(("gen_ai.", "langchain_otel.", "server.", "openai.")), key
            assert "seq:step" not in str(value) and value != "mine"


def test_baggage_and_the_baggage_span_processor_work_with_our_spans(fake_server):
    exporter = _exporter()
    provider = TracerProvider()
    provider.add_span_processor(BaggageSpanProcessor(ALLOW_ALL_BAGGAGE_KEYS))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    token = otel_context.attach(baggage.set_baggage("user.id", "u-7"))
    try:
        agent = create_react_agent(make_model(fake_server), [find_museum], name="curator")
        agent.invoke(QUESTION)
    finally:
        otel_context.detach(token)
        instrumentor.uninstrument()

    spans = exporter.get_finished_spans()
    assert len(spans) == 4
    assert {span.attributes.get("user.id") for span in spans} == {"u-7"}


def _exporter():
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    return InMemorySpanExporter()


# -- named prompts ---------------------------------------------------------------------------------

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "You answer questions about the {museum}."), ("human", "{question}")]
)
NAMED = ChatPromptTemplate(messages=PROMPT.messages, name="museum-answer")
QUESTION_VARIABLES = {"question": "Where is the Uruk tablet kept?", "museum": "Louvre"}


@pytest.mark.parametrize("style", ["invoke", "ainvoke", "stream", "astream"])
async def test_a_named_prompt_names_the_model_call_it_made(
    style, instrumented, fake_server, span_exporter
):
    instrumented()
    chain = NAMED | make_model(fake_server)
    if style == "invoke":
        chain.invoke(QUESTION_VARIABLES)
    elif style == "ainvoke":
        await chain.ainvoke(QUESTION_VARIABLES)
    elif style == "stream":
        list(chain.stream(QUESTION_VARIABLES))
    else:
        [chunk async for chunk in chain.astream(QUESTION_VARIABLES)]

    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert chat["gen_ai.prompt.name"] == "museum-answer"
    assert "langchain_otel.prompt.version" not in chat
    assert not any(key.startswith("langchain_otel.prompt.variable.") for key in chat)


def test_a_hub_prompt_names_and_versions_the_call_and_its_variables_come_with_content(
    instrumented, fake_server, span_exporter
):
    hub.install(fake_server)
    client = langsmith.Client(api_url=fake_server.url, api_key="ls-test", auto_batch_tracing=False)
    prompt = client.pull_prompt(hub.REPO, skip_cache=True)
    instrumented(capture_content="SPAN_ONLY")

    (prompt | make_model(fake_server)).invoke(QUESTION_VARIABLES)

    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert chat["gen_ai.prompt.name"] == hub.REPO
    assert chat["langchain_otel.prompt.version"] == hub.COMMIT
    assert chat["langchain_otel.prompt.variable.question"] == "Where is the Uruk tablet kept?"
    assert chat["langchain_otel.prompt.variable.museum"] == "Louvre"
    messages = json.loads(chat["gen_ai.input.messages"])
    assert messages[0]["parts"][0]["content"] == "You triage questions for the Louvre."


def test_an_unnamed_prompt_and_a_later_call_with_other_messages_name_nothing(
    instrumented, fake_server, span_exporter
):
    instrumented()
    model = make_model(fake_server)
    (PROMPT | model).invoke(QUESTION_VARIABLES)
    NAMED.invoke(QUESTION_VARIABLES)  # made, never sent
    model.invoke("Where is the Kish tablet?")

    for chat in attributes_of(span_exporter, "chat gpt-4o-mini"):
        assert "gen_ai.prompt.name" not in chat


def test_a_prompt_named_by_its_run_name_names_the_call(instrumented, fake_server, span_exporter):
    instrumented()

    (PROMPT.with_config(run_name="triage") | make_model(fake_server)).invoke(QUESTION_VARIABLES)

    (chat,) = attributes_of(span_exporter, "chat gpt-4o-mini")
    assert chat["gen_ai.prompt.name"] == "triage"


# -- a top-level chain is one trace ----------------------------------------------------------------


def rag_chain(server: FakeServer):
    store = InMemoryVectorStore(make_embeddings(server))
    store.add_documents(TABLETS)

    def notes(documents: list[Document]) -> str:
        return "\n".join(document.page_content for document in documents)

    retriever = store.as_retriever(search_kwargs={"k": 1})
    context = {"context": retriever | notes, "question": RunnablePassthrough()}
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from these notes:\n{context}"), ("human", "{question}")]
    )
    return context | prompt | make_model(server) | StrOutputParser()


RAG_TREE = [
    (
        "retrieval",
        "CLIENT",
        [("embeddings text-embedding-3-small", "CLIENT", [])],
    ),
    ("chat gpt-4o-mini", "CLIENT", []),
]


@pytest.mark.parametrize("style", ["invoke", "ainvoke", "stream", "astream", "batch"])
async def test_a_top_level_rag_chain_is_one_workflow_trace(
    style, instrumented, fake_server, span_exporter
):
    chain = rag_chain(fake_server)
    instrumented()
    question = "What does the Uruk tablet say?"
    if style == "invoke":
        chain.invoke(question, {"run_name": "tablet-qa"})
    elif style == "ainvoke":
        await chain.ainvoke(question, {"run_name": "tablet-qa"})
    elif style == "stream":
        list(chain.stream(question, {"run_name": "tablet-qa"}))
    elif style == "astream":
        [chunk async for chunk in chain.astream(question, {"run_name": "tablet-qa"})]
    else:
        chain.with_config(run_name="tablet-qa").batch([question])

    spans = span_exporter.get_finished_spans()
    # No span for the RunnableParallel, the lambda, the prompt or the parser: they are steps.
    assert span_tree(spans) == [("invoke_workflow tablet-qa", "INTERNAL", RAG_TREE)]
    assert len({s.context.trace_id for s in spans}) == 1
    (workflow,) = attributes_of(span_exporter, "invoke_workflow tablet-qa")
    assert workflow == {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "tablet-qa",
    }


def test_an_unnamed_chain_and_a_named_function_chain(instrumented, fake_server, span_exporter):
    instrumented()
    model = make_model(fake_server)

    def ask_twice(question: str) -> str:
        first = model.invoke(question).content
        return model.invoke(f"{question} Again: {first}").content

    (RunnablePassthrough() | model).invoke("Where is the Uruk tablet kept?")
    RunnableLambda(ask_twice).invoke("Where is the Uruk tablet kept?")

    chat = ("chat gpt-4o-mini", "CLIENT", [])
    assert span_tree(span_exporter.get_finished_spans()) == [
        ("invoke_workflow", "INTERNAL", [chat]),
        ("invoke_workflow ask_twice", "INTERNAL", [chat, chat]),
    ]


def test_a_chain_inside_a_graph_node_or_a_tool_gets_no_span(
    instrumented, fake_server, span_exporter
):
    instrumented()
    chain = PROMPT | make_model(fake_server) | StrOutputParser()

    @tool
    def ask_the_curator(question: str) -> str:
        """Asks the curator."""
        return chain.invoke({"question": question, "museum": "Louvre"})

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [("ai", chain.invoke({"question": "hi", "museum": "Louvre"}))]}

    builder = StateGraph(MessagesState)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    builder.compile(name="desk").invoke(QUESTION)
    ask_the_curator.invoke({"question": "hi"})

    chat = ("chat gpt-4o-mini", "CLIENT", [])
    assert span_tree(span_exporter.get_finished_spans()) == [
        ("invoke_workflow desk", "INTERNAL", [chat]),
        ("execute_tool ask_the_curator", "INTERNAL", [chat]),
    ]


def test_structure_spans_off_turns_chain_spans_off(instrumented, fake_server, span_exporter):
    instrumented(structure_spans=False)

    (NAMED | make_model(fake_server)).invoke(QUESTION_VARIABLES, {"metadata": {"session_id": "s"}})

    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat gpt-4o-mini"
    assert span.attributes["gen_ai.prompt.name"] == "museum-answer"  # a chat attribute
    assert span.attributes["gen_ai.conversation.id"] == "s"


# -- what a run passes down when LangChain hands its calls no config -------------------------------


def test_an_agent_executors_calls_inherit_its_thread(instrumented, fake_server, span_exporter):
    """``AgentExecutor`` hands its model and tools only callbacks: the thread its call was given
    reaches them from the run."""
    from tests.test_workflow_spans import executor  # noqa: PLC0415  # langchain-classic

    instrumented()
    executor(fake_server).invoke(
        {"input": "Where is the Uruk tablet kept?"}, {"configurable": {"thread_id": THREAD}}
    )

    inside = [s for s in span_exporter.get_finished_spans() if s.parent is not None]
    assert len(inside) == 3  # chat, tool, chat
    for span in inside:
        assert context_of(dict(span.attributes)) == {
            "gen_ai.conversation.id": THREAD,
            "gen_ai.agent.name": "catalogue-assistant",
        }


# -- completions and events ------------------------------------------------------------------------


def test_a_named_string_prompt_names_a_completion_call(instrumented, fake_server, span_exporter):
    from langchain_core.prompts import PromptTemplate  # noqa: PLC0415
    from langchain_openai import OpenAI  # noqa: PLC0415

    instrumented(capture_content="SPAN_ONLY")
    prompt = PromptTemplate.from_template("Where is the {tablet} tablet kept?").with_config(
        run_name="tablet-question"
    )
    llm = OpenAI(
        model="gpt-3.5-turbo-instruct", base_url=f"{fake_server.url}/v1", api_key="sk-test-key"
    )

    (prompt | llm).invoke({"tablet": "Uruk"}, {"metadata": {"session_id": "s-9"}})

    (completion,) = attributes_of(span_exporter, "text_completion gpt-3.5-turbo-instruct")
    assert completion["gen_ai.prompt.name"] == "tablet-question"
    assert completion["langchain_otel.prompt.variable.tablet"] == "Uruk"
    assert completion["gen_ai.conversation.id"] == "s-9"


def test_the_content_event_carries_the_run_context_and_the_prompts_variables(
    instrumented, log_exporter, fake_server
):
    instrumented(capture_content="EVENT_ONLY", metadata_attributes="user_id=user.id")
    (NAMED | make_model(fake_server)).invoke(
        QUESTION_VARIABLES, {"metadata": {"session_id": "s-2", "user_id": "u-7"}}
    )

    (record,) = log_exporter.get_finished_logs()
    attributes = dict(record.log_record.attributes)
    assert {k: attributes[k] for k in attributes if not k.startswith(_OURS)} == {"user.id": "u-7"}
    assert attributes["gen_ai.conversation.id"] == "s-2"
    assert attributes["gen_ai.prompt.name"] == "museum-answer"
    assert attributes["langchain_otel.prompt.variable.museum"] == "Louvre"

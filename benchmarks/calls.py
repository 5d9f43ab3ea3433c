"""The measured calls ("ops"): one chat, tool, graph, embedding or completion call each.

- ``invoke``, ``ainvoke``, ``stream``, ``astream``: ``BenchChatModel`` with two messages; streams
  of 20 chunks. ``stream-2`` / ``astream-2``: 2 chunks, for the per-chunk slope
  ``(overhead at 20 - overhead at 2) / 18``.
- ``tool``: a ``@tool`` called with ``tool.invoke({...})``; ``graph``: a two-node LangGraph
  ``StateGraph`` of plain functions; ``embed_query``; ``completion``: ``BenchLLM().invoke``.
- The run-context ops, each beside ``invoke`` (its overhead minus ``invoke``'s is what its source
  costs): ``invoke-session`` (metadata with a session id: the conversation id),
  ``invoke-metadata`` (two mapped metadata keys), ``chain-prompt`` / ``chain-named-prompt`` (a
  prompt template and the model, unnamed / named: the prompt's name), ``graph-chat`` (a graph
  whose node calls the model: the node, agent and inherited context, against ``graph`` plus
  ``invoke``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from benchmarks.models import PROMPT, BenchChatModel, BenchEmbeddings, BenchLLM

MESSAGES: list[BaseMessage] = [
    SystemMessage("You are a helpful assistant. Answer in one or two sentences."),
    HumanMessage("What is the capital of France?"),
]
LONG, SHORT = 20, 2
#: The metadata keys the ``langchain-otel-context`` setup maps to attributes.
MAPPED = "user_id=user.id,tenant"


@dataclass(frozen=True)
class Op:
    make: Callable[[], Callable[[], object]]
    #: Whether a call returns an awaitable (run in an event loop).
    awaits: bool = False
    #: What it measures against: the chat model, a structure span, an embedding or completion,
    #: or a run-context source.
    group: str = "chat"


def _invoke(config: dict[str, Any] | None = None) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        model = BenchChatModel()
        return lambda: model.invoke(MESSAGES, config)

    return make


def _stream(chunks: int) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        model = BenchChatModel(chunks=chunks)

        def consume() -> None:
            for _chunk in model.stream(MESSAGES):
                pass

        return consume

    return make


def _astream(chunks: int) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        model = BenchChatModel(chunks=chunks)

        async def consume() -> None:
            async for _chunk in model.astream(MESSAGES):
                pass

        return consume

    return make


def _ainvoke() -> Callable[[], object]:
    model = BenchChatModel()
    return lambda: model.ainvoke(MESSAGES)


def _tool() -> Callable[[], object]:
    from langchain_core.tools import tool  # noqa: PLC0415

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return lambda: add.invoke({"a": 1, "b": 2})


class GraphState(TypedDict):
    count: int
    text: str


def _graph(with_chat: bool = False) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        from langgraph.graph import END, START, StateGraph  # noqa: PLC0415

        model = BenchChatModel()

        def first(state: GraphState) -> dict[str, Any]:
            if with_chat:
                model.invoke(MESSAGES)
            return {"count": state["count"] + 1}

        def second(state: GraphState) -> dict[str, Any]:
            return {"text": f"{state['text']}{state['count']}"}

        builder = StateGraph(GraphState)
        builder.add_node("first", first)
        builder.add_node("second", second)
        builder.add_edge(START, "first")
        builder.add_edge("first", "second")
        builder.add_edge("second", END)
        graph = builder.compile(name="bench_workflow")
        if with_chat:  # an agent's run: its calls carry its name
            graph = graph.with_config(metadata={"gen_ai.agent.name": "bench_agent"})
        config = {"configurable": {"thread_id": "bench-thread"}} if with_chat else None
        return lambda: graph.invoke({"count": 0, "text": "n"}, config)

    return make


def _chain(named: bool) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        from langchain_core.prompts import ChatPromptTemplate  # noqa: PLC0415

        prompt = ChatPromptTemplate.from_messages(
            [("system", "You answer in one or two sentences."), ("human", "{question}")]
        )
        if named:
            prompt = ChatPromptTemplate(messages=prompt.messages, name="capital-question")
        chain = prompt | BenchChatModel()
        return lambda: chain.invoke({"question": "What is the capital of France?"})

    return make


def _embed_query() -> Callable[[], object]:
    embeddings = BenchEmbeddings()
    return lambda: embeddings.embed_query("What is the capital of France?")


def _completion() -> Callable[[], object]:
    llm = BenchLLM()
    return lambda: llm.invoke(PROMPT)


OPS: dict[str, Op] = {
    "invoke": Op(_invoke()),
    "ainvoke": Op(_ainvoke, awaits=True),
    "stream": Op(_stream(LONG)),
    "astream": Op(_astream(LONG), awaits=True),
    "stream-2": Op(_stream(SHORT)),
    "astream-2": Op(_astream(SHORT), awaits=True),
    "tool": Op(_tool, group="structure"),
    "graph": Op(_graph(), group="structure"),
    "embed_query": Op(_embed_query, group="models"),
    "completion": Op(_completion, group="models"),
    "invoke-session": Op(_invoke({"metadata": {"session_id": "visit-1"}}), group="context"),
    "invoke-metadata": Op(
        _invoke({"metadata": {"user_id": "u-1", "tenant": "acme"}}), group="context"
    ),
    "chain-prompt": Op(_chain(named=False), group="context"),
    "chain-named-prompt": Op(_chain(named=True), group="context"),
    "graph-chat": Op(_graph(with_chat=True), group="context"),
}
#: The stream ops and their short twins (per-chunk slope).
SHORT_OF = {"stream": "stream-2", "astream": "astream-2"}


def runner(op: str) -> Callable[[int], None]:
    """``run(n)`` makes ``n`` calls of ``op`` (in one event loop for the async ops)."""
    spec = OPS[op]
    call = spec.make()
    if not spec.awaits:

        def run_sync(n: int) -> None:
            for _ in range(n):
                call()

        return run_sync
    acall: Callable[[], Awaitable[object]] = call  # type: ignore[assignment]

    def run_async(n: int) -> None:
        async def main() -> None:
            for _ in range(n):
                await acall()

        asyncio.run(main())

    return run_async

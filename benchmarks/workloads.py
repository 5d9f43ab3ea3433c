"""The measured calls: one chat-model call per op (or, in their own rows, one tool call or one
small LangGraph run), and the timing loop around them."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from benchmarks.fake_chat import BenchChatModel

MESSAGES: list[BaseMessage] = [
    SystemMessage("You are a helpful assistant. Answer in one or two sentences."),
    HumanMessage("What is the capital of France?"),
]
LONG_CHUNKS = 20
SHORT_CHUNKS = 2

# op -> chunks per call (0: not a stream). stream/astream are the reported streams; the short
# ones only give the per-chunk slope: (overhead at 20 chunks - overhead at 2 chunks) / 18.
OPS: dict[str, int] = {
    "invoke": 0,
    "ainvoke": 0,
    "stream": LONG_CHUNKS,
    "astream": LONG_CHUNKS,
    "stream-2": SHORT_CHUNKS,
    "astream-2": SHORT_CHUNKS,
}
MAIN_OPS = ("invoke", "ainvoke", "stream", "astream")
SHORT_OF = {"stream": "stream-2", "astream": "astream-2"}
# The structure spans' ops, measured by their own variants (``Variant.ops``) and the baseline,
# never by the chat variants: ``tool`` is a ``@tool`` function called with ``tool.invoke({...})``
# (one ``execute_tool`` span); ``graph`` is ``graph.invoke(state)`` of a compiled two-node
# LangGraph ``StateGraph`` whose nodes are plain Python functions (one ``invoke_workflow`` span).
STRUCTURE_OPS = ("tool", "graph")
# The embedding and completion ops, likewise in their own rows: ``embed_query`` is
# ``BenchEmbeddings().embed_query(text)`` (one ``embeddings`` span); ``completion`` is
# ``BenchLLM().invoke(prompt)`` (one ``text_completion`` span). See ``fake_models``.
MODEL_OPS = ("embed_query", "completion")
ALL_OPS = (*OPS, *STRUCTURE_OPS, *MODEL_OPS)
# Every op outside the chat rows.
OWN_ROW_OPS = (*STRUCTURE_OPS, *MODEL_OPS)
GRAPH_NAME = "bench_workflow"


def available(op: str) -> bool:
    """Whether ``op`` can run here: ``graph`` needs langgraph (a venv from before the structure
    rows may lack it; then the graph cells are left out, never the chat ones)."""
    return op != "graph" or importlib.util.find_spec("langgraph") is not None


def bench_tool() -> Any:
    """A ``@tool`` with two typed arguments and a docstring (its description)."""
    from langchain_core.tools import tool  # noqa: PLC0415

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return add


class GraphState(TypedDict):
    count: int
    text: str


def _first(state: GraphState) -> dict[str, Any]:
    return {"count": state["count"] + 1}


def _second(state: GraphState) -> dict[str, Any]:
    return {"text": f"{state['text']}{state['count']}"}


def bench_graph() -> Any:
    """``START -> first -> second -> END``, compiled with a name (``gen_ai.workflow.name``)."""
    from langgraph.graph import END, START, StateGraph  # noqa: PLC0415

    builder = StateGraph(GraphState)
    builder.add_node("first", _first)
    builder.add_node("second", _second)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder.compile(name=GRAPH_NAME)


def sync_call(op: str) -> Callable[[], object] | None:
    """One synchronous call of ``op``, or None for an async op."""
    if op == "tool":
        add = bench_tool()
        return lambda: add.invoke({"a": 1, "b": 2})
    if op == "graph":
        graph = bench_graph()
        return lambda: graph.invoke({"count": 0, "text": "n"})
    if op == "embed_query":
        from benchmarks.fake_models import BenchEmbeddings  # noqa: PLC0415

        embeddings = BenchEmbeddings()
        return lambda: embeddings.embed_query("What is the capital of France?")
    if op == "completion":
        from benchmarks.fake_models import PROMPT, BenchLLM  # noqa: PLC0415

        llm = BenchLLM()
        return lambda: llm.invoke(PROMPT)
    model = BenchChatModel(chunks=OPS[op] or LONG_CHUNKS)
    if op == "invoke":
        return lambda: model.invoke(MESSAGES)
    if op.startswith("stream"):

        def consume() -> None:
            for _chunk in model.stream(MESSAGES):
                pass

        return consume
    return None


def async_call(op: str) -> Callable[[], Awaitable[object]]:
    model = BenchChatModel(chunks=OPS[op] or LONG_CHUNKS)
    if op == "ainvoke":
        return lambda: model.ainvoke(MESSAGES)

    async def consume() -> None:
        async for _chunk in model.astream(MESSAGES):
            pass

    return consume


@dataclass
class Timing:
    """Per-call µs of each timed batch, and how many calls a batch made."""

    batches_us: list[float]
    calls_per_batch: int
    calls_total: int

    @property
    def median_us(self) -> float:
        return statistics.median(self.batches_us)


def _plan(warm_s: float, warm_calls: int, budget_s: float, batches: int) -> int:
    per_call = warm_s / max(warm_calls, 1)
    return max(10, int(budget_s / batches / max(per_call, 1e-7)))


def time_sync(
    call: Callable[[], object],
    budget_s: float,
    batches: int,
    warmup_s: float,
    between: Callable[[], None],
) -> Timing:
    warm_calls, start = 0, time.perf_counter()
    while warm_calls < 50 or time.perf_counter() - start < warmup_s:
        call()
        warm_calls += 1
    per_batch = _plan(time.perf_counter() - start, warm_calls, budget_s, batches)
    results = []
    for _ in range(batches):
        between()
        gc.collect()
        begin = time.perf_counter_ns()
        for _ in range(per_batch):
            call()
        results.append((time.perf_counter_ns() - begin) / per_batch / 1000)
    return Timing(results, per_batch, warm_calls + per_batch * batches)


def time_async(
    call: Callable[[], Awaitable[object]],
    budget_s: float,
    batches: int,
    warmup_s: float,
    between: Callable[[], None],
) -> Timing:
    async def main() -> Timing:
        warm_calls, start = 0, time.perf_counter()
        while warm_calls < 50 or time.perf_counter() - start < warmup_s:
            await call()
            warm_calls += 1
        per_batch = _plan(time.perf_counter() - start, warm_calls, budget_s, batches)
        results = []
        for _ in range(batches):
            between()
            gc.collect()
            begin = time.perf_counter_ns()
            for _ in range(per_batch):
                await call()
            results.append((time.perf_counter_ns() - begin) / per_batch / 1000)
        return Timing(results, per_batch, warm_calls + per_batch * batches)

    return asyncio.run(main())


def time_op(
    op: str, budget_s: float, batches: int, warmup_s: float, between: Callable[[], None]
) -> Timing:
    call = sync_call(op)
    if call is not None:
        return time_sync(call, budget_s, batches, warmup_s, between)
    return time_async(async_call(op), budget_s, batches, warmup_s, between)

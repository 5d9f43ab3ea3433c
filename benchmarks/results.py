"""``RESULTS.md`` in parts: ``make bench-icount`` and ``make bench`` each rewrite their own.

The file is a fixed header, one marked section per command, then the variants and the method
(generated from ``variants.VARIANTS``, rewritten by either command). A section not written yet
says which command writes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from benchmarks.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTIONS = {"icount": "make bench-icount", "wall": "make bench"}
_SECTION = re.compile(r"<!-- begin (\w+) -->\n(.*?)\n<!-- end \1 -->", re.DOTALL)

HEADER = (
    "# langchain-otel benchmark results",
    "",
    "Two measurements of the same calls against an instant in-process chat model:",
    "",
    "- **instruction counts** (`make bench-icount`): CPU instructions per call under valgrind's "
    "callgrind, from two run lengths subtracted. Unmoved by machine load and repeatable (see "
    "Method: ratios hold to about ±0.05), so **the targets use them**.",
    "- **wall time** (`make bench`): µs per call, medians over rounds of fresh processes. The "
    "absolute cost on this machine, the per-chunk check and the memory check; single cells move "
    "by several percent between runs on this shared 2-core machine, by tens of percent while "
    "other work runs on it (see `spread %`).",
    "",
    "Every overhead is compared with the **floor that does the same work**: spans+metrics with "
    "the floor plus the same metric points, metrics off with the bare span floor, sampled out "
    "(metrics on) with the metric points alone; each peer with the floor that records what it "
    "records. These are the issue's targets. A second, informational table (`make "
    "bench-icount`) applies the same limits against floors doing exactly our work: the bare "
    "floor and floor+metrics with the very span attributes langchain-otel sets on the call, and "
    "floor+metrics under the `ALWAYS_OFF` sampler (a non-recording span made current, as a "
    "sampled-out call that propagates its decision must), with the lower bounds they give. "
    "Each command rewrites its own part of this file.",
    "",
)


def _variant_lines() -> list[str]:
    lines = ["## Variants", ""]
    for variant in VARIANTS:
        compared = f"; compared with `{variant.floor}`" if variant.floor else ""
        env = ", ".join(f"`{key}={value}`" for key, value in variant.env.items())
        pipelines = [f"`{variant.kind}` in `make bench`"] if variant.wall else []
        pipelines += ["`discard` in `make bench-icount`"] if variant.icount else []
        pipeline = ", ".join(pipelines) or f"`{variant.kind}`, only with `--variants`"
        lines.append(
            f"- `{variant.name}`: {variant.description} (pipeline {pipeline}{compared}"
            f"{'; ' + env if env else ''})"
        )
    return lines


METHOD = (
    "",
    "- The model is `benchmarks.fake_chat.BenchChatModel`: a `BaseChatModel` subclass with "
    "instant `_generate`/`_agenerate`/`_stream`/`_astream` and ChatOpenAI-shaped answers "
    "(`response_metadata` with `id` chatcmpl-…, `model_name`, `system_fingerprint`, "
    "`finish_reason`, `token_usage`; `usage_metadata` with details; streams of 20 chunks, "
    "finish/model metadata on the last text chunk, usage on the final chunk). Input: a system "
    "and a user message.",
    "- langchain-otel does not know that class, so the `langchain-otel*` rows register "
    "`BenchOpenAIMapper` (`benchmarks/variants.py`) with `instrument(provider_mappers=[...])`: "
    "a subclass of `langchain_otel.providers.openai.OpenAIMapper` with "
    '`model_classes = ("benchmarks.BenchChatModel",)` and `base_url` returning '
    '"https://api.openai.com/v1", i.e. the path a real `ChatOpenAI` takes. '
    "`langchain-otel-generic` registers nothing: the generic mapper then calls LangChain's "
    "private `_get_ls_params` (the fake implements it like ChatOpenAI: it builds the invocation "
    "params first) on every call. `langchain-otel-metrics-off` is "
    "`instrument(metrics_enabled=False)` (= `LANGCHAIN_OTEL_METRICS_ENABLED=false`).",
    "- The floors (`benchmarks/floor.py`), bare wrapt wrappers on "
    "`BaseChatModel.invoke/ainvoke/stream/astream`: the **bare floor** starts one CLIENT span "
    "with 10 constant attributes, makes it current while the model runs and ends it, and "
    "records no metrics; **floor+metrics** adds the spec's metric points, with the spec's "
    "attributes and bucket advisories, in the span's context: `gen_ai.client.operation.duration` "
    "(operation, provider, request and response model, server address and port; `error.type` "
    "on failure only), `gen_ai.client.token.usage` for input and output tokens (the same plus "
    "`gen_ai.token.type`), and for streams `gen_ai.client.operation.time_to_first_chunk`, the "
    "four points langchain-otel records for a stream (three for an invoke); it reads the token "
    "counts and the response model from the answer, and a stream keeps the chunks that carry "
    "the finish metadata and the usage. **metrics-only** records the same points with no span "
    "at all. Streams go through a generator that makes the span current around each step of "
    "the real generator.",
    "- The floors doing exactly our work (`make bench-icount` only, informational): "
    "**floor-same-attributes** is the bare floor whose span carries the attributes langchain-otel "
    "sets on the span of the same call, keys, values and types (`floor.SAME_ATTRIBUTES`: 17 on an "
    "invoke; `floor.SAME_STREAM_ATTRIBUTES`: 18 on a stream, with the stream flag and the time to "
    "the first chunk, as a constant, and no response id), constants written from a real run "
    "(`python -m benchmarks.floor` checks them against langchain-otel and prints them to refresh; "
    "`make bench-icount` warns when the key sets of the last spans differ); "
    "**floor-metrics-same-attributes** adds the floor's metric points; "
    "**floor-metrics-sampled-out** is floor+metrics under the `ALWAYS_OFF` sampler: the "
    "sampler's non-recording span (with its trace and span ids) is made current around the call "
    "and each stream step, so the decision propagates (W3C `traceparent`, `ParentBased` "
    "children), and the metric points are recorded in its context. Attribute cost per attribute "
    "= (floor-same-attributes - floor) / (17 - 10) on an invoke (/ (18 - 10) on a stream); "
    "non-recording span and propagation = floor-metrics-sampled-out - metrics-only.",
    "- Peers, content capture: Traceloop captures content by default "
    "(`TRACELOOP_TRACE_CONTENT=true`); measured with `TRACELOOP_TRACE_CONTENT=false`. "
    "OpenInference captures everything by default; measured with "
    "`TraceConfig(hide_inputs=True, hide_outputs=True)` (it still serialises inputs and outputs, "
    "then masks them). The official `opentelemetry-instrumentation-genai-langchain` captures no "
    "content by default (measured so); it declares a dependency on the `langchain` package, "
    "which is not installed (only `langchain-core`), so it is instrumented with "
    "`skip_dep_check=True`. Traceloop and the official one record metrics too (same "
    "MeterProvider), so they are compared with floor+metrics; OpenInference records none, so "
    "with the bare floor. No peer is given `langgraph`/`langchain`, so only their chat-model "
    "paths run.",
    "",
    "## Method",
    "",
    "- Pipelines: `batch` = `BatchSpanProcessor` (SDK defaults) into an exporter that counts "
    "and drops; `simple` = `SimpleSpanProcessor` into `InMemorySpanExporter`, cleared between "
    "batches (untimed); `discard` = `SimpleSpanProcessor` into the dropping exporter (no "
    "background thread: every instruction is the call's). All with a `MeterProvider` whose "
    "`PeriodicExportingMetricReader` (60 s, dropping exporter) is in effect never collected "
    "during a run, and the SDK's default exemplar filter (`trace_based`) unless the variant "
    "sets `OTEL_METRICS_EXEMPLAR_FILTER`. Sampled-out: `ALWAYS_OFF`.",
    "- Instruction counts (`benchmarks/icount.py`, `benchmarks/icount_worker.py`): each variant "
    "in a fresh process under `valgrind --tool=callgrind --dump-before=getpgrp "
    "--instr-atstart=no`, always on the `discard` pipeline, `PYTHONHASHSEED=0`. The worker sets "
    "the variant up, has callgrind start instrumenting, and per op warms up, collects and "
    "freezes the heap (`gc.collect(); gc.freeze()`), then runs n1 and n2 calls, each run ended "
    "by a garbage collection and a marker (`os.getpgrp()`, which makes callgrind dump its "
    "counters). Instructions per call = (I(n2 calls) - I(n1 calls)) / (n2 - n1): the fixed "
    "costs (marker, collection, loop) cancel. Overhead = the variant's instructions per call "
    "minus the uninstrumented ones. Runs of the same configuration agree within ~0.1 % per "
    "call; another configuration (other ops or run lengths, so another memory layout) moves a "
    "per-call count by up to ~0.8 % (≈ 8k instructions), so an overhead by a few thousand "
    "instructions and a ratio by about ±0.05 (±0.1 against the ~200k-instruction span floor).",
    "- Wall time (`benchmarks/run.py`, `benchmarks/worker.py`): each variant runs in a fresh "
    "process; every round runs every variant once, in a shuffled order. Per op a worker warms "
    "up, sizes its batches from the warm-up's speed to fill the time budget, then times the "
    "batches (GC on, collected before each batch); its value for the op is the median batch. A "
    "cell is the median over the rounds; `spread %` is (max - min) / median over the rounds.",
    "- Structure spans, in their own rows: `tool` is a `@tool` function (`add(a: int, b: int)`, "
    'with a docstring) called with `tool.invoke({"a": 1, "b": 2})`; `graph` is '
    '`graph.invoke({"count": 0, "text": "n"})` of a two-node LangGraph `StateGraph` '
    "(`START -> first -> second -> END`, plain Python nodes, compiled with `name=` so the span is "
    "named). Only the baseline (which runs them after the chat ops), `floor-structure` and "
    "`langchain-otel-structure` run them, each in its own process: the chat variants' processes "
    "and rows are unchanged. `floor-structure` wraps `BaseTool.run` and `Pregel.invoke` with one "
    "INTERNAL span carrying as many constant attributes as langchain-otel's span of the same call "
    "(4 for the tool, 2 for the graph), current during the call. `make bench-icount "
    'ICOUNT_ARGS="--ops invoke,stream,stream-2"` measures the chat rows alone.',
    "- Embedding and completion spans, in their own rows the same way: `embed_query` is "
    "`BenchEmbeddings().embed_query(text)` (`benchmarks.fake_models`: an in-process `Embeddings` "
    "returning a fixed 8-float vector, registered for an `OpenAIMapper` subclass with "
    '`embedding_classes = ("benchmarks.BenchEmbeddings",)`); `completion` is '
    "`BenchLLM().invoke(prompt)` (an in-process `BaseLLM` whose `_generate` answers at once with "
    "`token_usage` in `llm_output`, registered for an `OpenAICompletionMapper` subclass with "
    '`completion_classes = ("benchmarks.BenchLLM",)`), both on api.openai.com. Only the baseline, '
    "`floor-embed-completion` and `langchain-otel-embed-completion` run them. The floor wraps "
    "`BenchEmbeddings.embed_query` and `BaseLLM._generate_helper` (what langchain-otel wraps for "
    "a completion invoke) with one CLIENT span carrying as many constant attributes as ours (6 "
    "for the embedding, 10 for the completion), current during the call, then records the metric "
    "points ours records: the duration point, and for the completion the input and output "
    "token-usage points (constant attributes and counts, in the span's context).",
    "- `stream-2`/`astream-2` (2-chunk streams of the same answer, same metadata chunks) exist "
    "only to take the per-chunk slope: (overhead at 20 chunks - overhead at 2 chunks) / 18.",
    "- The wall-time machine is shared and has 2 cores: nothing is pinned, so single cells move "
    "by several percent between runs (see `spread %`); compare ratios from one run, not across "
    "runs.",
)


def read_sections(text: str) -> dict[str, str]:
    return {match.group(1): match.group(2) for match in _SECTION.finditer(text)}


def render(sections: dict[str, str]) -> str:
    lines = list(HEADER)
    for name, command in SECTIONS.items():
        body = sections.get(name) or f"(Not run yet: `{command}` writes this part.)"
        lines += [f"<!-- begin {name} -->", body, f"<!-- end {name} -->", ""]
    lines += [*_variant_lines(), *METHOD, ""]
    return "\n".join(lines)


def write_section(name: str, lines: Sequence[str], path: Path = RESULTS) -> None:
    """Replace section ``name`` of ``path`` (keeping the other one) and rewrite the rest."""
    assert name in SECTIONS
    try:
        sections = read_sections(path.read_text())
    except OSError:
        sections = {}
    sections[name] = "\n".join(lines).strip("\n")
    path.write_text(render(sections))


def splice(path: Path, name: str, lines: Sequence[str], title: str) -> None:
    """Replace the ``name`` section of ``path``, or append it (after ``title`` in a new file)."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    body = "\n".join([begin, *lines, end])
    try:
        text = path.read_text()
    except OSError:
        text = ""
    if not text.startswith(title):
        text = ""
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + body + tail
    else:
        text = (text.rstrip("\n") or title) + "\n\n" + body + "\n"
    path.write_text(text)

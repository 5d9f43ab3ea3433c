"""What each measured configuration instruments, on which SDK pipeline, and the floors.

A setup runs once in a fresh process, before any measured call. The pipeline drops what it
exports: ``SimpleSpanProcessor`` into a counting exporter (``make bench-icount``: no background
thread, every instruction of a call is the call's) or ``BatchSpanProcessor`` into it
(``make bench``: as in production minus the network); a ``MeterProvider`` whose periodic reader
never collects during a run. The metrics SDK keeps its default exemplar filter (``trace_based``)
unless a setup's environment says otherwise.

**The floors do exactly our work, written as plainly as possible.** They wrap the methods we wrap
(``_generate_with_cache``, ``stream``, ``BaseTool.run``, ``Pregel.invoke``, ``embed_query``,
``_generate_helper``) and, per op, emit what langchain-otel emits for it, as constants: the same
span name, kind and attributes (keys, values, types) and the same metric points with the same
attributes, recorded in the span's context. ``capture`` records those from a run of
langchain-otel itself (``benchmarks/.work/same_work.json``), so they cannot drift. A floor span
starts with the attributes ours starts with (those known before the call) and gets the answer's
at its end, in one ``set_attributes`` (no instrumentation knows them sooner); it is current while
the call runs, and for a stream only inside each ``next()``; a stream's time to its first chunk
is measured. ``floor-sampled-out`` runs under the
``ALWAYS_OFF`` sampler: a non-recording span, still made current (a sampled-out call must keep its
decision current for the HTTP ``traceparent`` and the children), and the metric points.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.trace import SpanKind
from wrapt import wrap_function_wrapper

from benchmarks import calls, models
from langchain_otel._semconv import DURATION_BUCKETS, TOKEN_BUCKETS

WORK = Path(__file__).resolve().parent / ".work"
SAME_WORK = WORK / "same_work.json"
PEERS = {
    "traceloop": "opentelemetry-instrumentation-langchain",
    "openinference": "openinference-instrumentation-langchain",
    "otel-genai": "opentelemetry-instrumentation-genai-langchain",
}


class DroppingSpanExporter(SpanExporter):
    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported += len(spans)
        return SpanExportResult.SUCCESS


class DroppingMetricExporter(MetricExporter):
    def __init__(self) -> None:
        super().__init__(preferred_temporality={}, preferred_aggregation={})

    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kw: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kw: Any) -> None:
        return None


@dataclass
class Pipeline:
    batch: bool = False
    sampler: Sampler = ALWAYS_ON
    exporter: DroppingSpanExporter = field(default_factory=DroppingSpanExporter)

    def __post_init__(self) -> None:
        self.tracer_provider = TracerProvider(sampler=self.sampler)
        processor = BatchSpanProcessor if self.batch else SimpleSpanProcessor
        self.tracer_provider.add_span_processor(processor(self.exporter))
        reader = PeriodicExportingMetricReader(
            DroppingMetricExporter(), export_interval_millis=3_600_000
        )
        self.meter_provider = MeterProvider(metric_readers=[reader])

    def spans(self) -> int:
        self.tracer_provider.force_flush()
        return self.exporter.exported


# -- langchain-otel and the peers -----------------------------------------------------------------


def ours(metrics: bool = True, mapped: str = "") -> Setup:
    def setup(pipeline: Pipeline) -> None:
        from langchain_otel import LangChainInstrumentor  # noqa: PLC0415

        LangChainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            meter_provider=pipeline.meter_provider,
            provider_mappers=models.mappers(),
            metrics_enabled=metrics,
            metadata_attributes=mapped or None,
        )

    return setup


def traceloop(pipeline: Pipeline) -> None:
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor  # noqa: PLC0415

    LangchainInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider
    )


def openinference(pipeline: Pipeline) -> None:
    from openinference.instrumentation import TraceConfig  # noqa: PLC0415
    from openinference.instrumentation.langchain import LangChainInstrumentor  # noqa: PLC0415

    LangChainInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider,
        config=TraceConfig(hide_inputs=True, hide_outputs=True),
    )


def otel_genai(pipeline: Pipeline) -> None:
    from opentelemetry.instrumentation.genai.langchain import (  # noqa: PLC0415
        LangChainInstrumentor,
    )

    LangChainInstrumentor().instrument(  # it declares `langchain`; the hooks are in -core
        tracer_provider=pipeline.tracer_provider,
        meter_provider=pipeline.meter_provider,
        skip_dep_check=True,
    )


# -- the floors: our output, as constants -------------------------------------------------------


def capture(ops: Sequence[str]) -> dict[str, Any]:
    """What langchain-otel emits for one call of each op: its span and metric points."""
    exporter = _KeepLast()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(exporter)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader(preferred_temporality={Histogram: AggregationTemporality.DELTA})
    from langchain_otel import LangChainInstrumentor  # noqa: PLC0415

    LangChainInstrumentor().instrument(
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[reader]),
        provider_mappers=models.mappers(),
    )
    captured: dict[str, Any] = {}
    for op in ops:
        calls.runner(op)(1)
        reader.get_metrics_data()  # drop what the op's predecessors recorded
        exporter.last = None
        calls.runner(op)(1)
        span = exporter.last
        assert span is not None, op
        data = reader.get_metrics_data()
        points = [
            [metric.name, point.sum, dict(point.attributes)]
            for resource in (data.resource_metrics if data is not None else ())
            for scope in resource.scope_metrics
            for metric in scope.metrics
            for point in metric.data.data_points
        ]
        captured[op] = {
            "name": span.name,
            "kind": span.kind.name,
            "attributes": {k: _jsonable(v) for k, v in (span.attributes or {}).items()},
            "at_start": exporter.at_start,
            "points": points,
        }
    return captured


class _KeepLast(SpanExporter, SpanProcessor):
    """The last span exported, and the attribute keys the last span started with."""

    last: ReadableSpan | None = None
    at_start: list[str] = []  # noqa: RUF012  # replaced, never mutated

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.at_start = list(span.attributes or {})

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.last = spans[-1]
        return SpanExportResult.SUCCESS


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _loaded(op: str) -> tuple[str, SpanKind, dict[str, Any], list[str], list[Any]]:
    entry = json.loads(SAME_WORK.read_text())[op]
    attributes = {k: tuple(v) if isinstance(v, list) else v for k, v in entry["attributes"].items()}
    return entry["name"], SpanKind[entry["kind"]], attributes, entry["at_start"], entry["points"]


class _Floor:
    """One op's span and points, from the capture: the span starts with the attributes ours
    starts with (known before the call) and gets the rest at its end in one ``set_attributes``
    (the answer's: no instrumentation knows them sooner), the stream's first-chunk time
    measured; the duration and first-chunk points measured too."""

    def __init__(self, op: str, tracer: trace.Tracer | None, meter: Any) -> None:
        self.name, self.kind, attributes, at_start, points = _loaded(op)
        self.late = {k: v for k, v in attributes.items() if k not in at_start}
        self.attributes = {k: v for k, v in attributes.items() if k in at_start}
        self.tracer = tracer
        self.histograms = {}
        self.fixed: list[tuple[Any, Any, dict[str, Any]]] = []
        self.measured: dict[str, dict[str, Any]] = {}
        for name, value, point_attributes in points if meter is not None else ():
            buckets = TOKEN_BUCKETS if name.endswith("token.usage") else DURATION_BUCKETS
            histogram = self.histograms.get(name) or meter.create_histogram(
                name, explicit_bucket_boundaries_advisory=list(buckets)
            )
            self.histograms[name] = histogram
            if name.endswith(("duration", "time_to_first_chunk")):
                self.measured[name] = point_attributes
            else:
                self.fixed.append((histogram, value, point_attributes))

    def start(self) -> tuple[Any, Any]:
        if self.tracer is None:
            return None, context.get_current()
        span = self.tracer.start_span(self.name, kind=self.kind, attributes=self.attributes)
        return span, trace.set_span_in_context(span)

    def end(self, span: Any, ctx: Any, seconds: float, first_chunk_s: float | None) -> None:
        for histogram, value, attributes in self.fixed:
            histogram.record(value, attributes, context=ctx)
        for name, attributes in self.measured.items():
            value = first_chunk_s if name.endswith("first_chunk") else seconds
            if value is not None:
                self.histograms[name].record(value, attributes, context=ctx)
        if span is not None:
            if first_chunk_s is not None:
                span.set_attributes(
                    {**self.late, "gen_ai.response.time_to_first_chunk": first_chunk_s}
                )
            elif self.late:
                span.set_attributes(self.late)
            span.end()

    def call(self, wrapped: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        span, ctx = self.start()
        token = context.attach(ctx)
        started = time.perf_counter()
        try:
            return wrapped(*args, **kwargs)
        finally:
            context.detach(token)
            self.end(span, ctx, time.perf_counter() - started, None)

    async def acall(self, wrapped: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        span, ctx = self.start()
        token = context.attach(ctx)
        started = time.perf_counter()
        try:
            return await wrapped(*args, **kwargs)
        finally:
            context.detach(token)
            self.end(span, ctx, time.perf_counter() - started, None)

    def stream(self, inner: Iterator[Any]) -> Iterator[Any]:
        span, ctx = self.start()
        started = time.perf_counter()
        first = None
        while True:
            token = context.attach(ctx)
            try:
                chunk = next(inner)
            except StopIteration:
                self.end(span, ctx, time.perf_counter() - started, first)
                return
            finally:
                context.detach(token)
            if first is None:
                first = time.perf_counter() - started
            yield chunk

    async def astream(self, inner: Any) -> Any:
        span, ctx = self.start()
        started = time.perf_counter()
        first = None
        while True:
            token = context.attach(ctx)
            try:
                chunk = await inner.__anext__()
            except StopAsyncIteration:
                self.end(span, ctx, time.perf_counter() - started, first)
                return
            finally:
                context.detach(token)
            if first is None:
                first = time.perf_counter() - started
            yield chunk


#: What each floor wraps, per op: (module, "Class.method", how).
_HOOKS = {
    "invoke": (
        "langchain_core.language_models.chat_models",
        "BaseChatModel._generate_with_cache",
        "call",
    ),
    "ainvoke": (
        "langchain_core.language_models.chat_models",
        "BaseChatModel._agenerate_with_cache",
        "acall",
    ),
    "stream": ("langchain_core.language_models.chat_models", "BaseChatModel.stream", "stream"),
    "astream": ("langchain_core.language_models.chat_models", "BaseChatModel.astream", "astream"),
    "tool": ("langchain_core.tools.base", "BaseTool.run", "call"),
    "graph": ("langgraph.pregel", "Pregel.invoke", "call"),
    "embed_query": ("benchmarks.models", "BenchEmbeddings.embed_query", "call"),
    "completion": ("langchain_core.language_models.llms", "BaseLLM._generate_helper", "call"),
}
_SHORT = {"stream-2": "stream", "astream-2": "astream"}


def floor(metrics: bool = True, spans: bool = True) -> Setup:
    """The floor of one op at a time (``op``: which capture and hook; a stream's short twin uses
    the long one's hook with its own capture)."""

    def setup(pipeline: Pipeline, op: str) -> None:
        tracer = pipeline.tracer_provider.get_tracer("benchmarks.floor") if spans else None
        meter = pipeline.meter_provider.get_meter("benchmarks.floor") if metrics else None
        work = _Floor(op, tracer, meter)
        module, name, how = _HOOKS[_SHORT.get(op, op)]
        if how in ("stream", "astream"):
            through = getattr(work, how)
            wrap_function_wrapper(module, name, lambda w, i, a, k: through(w(*a, **k)))
        else:
            method = getattr(work, how)
            wrap_function_wrapper(module, name, lambda w, i, a, k: method(w, a, k))

    setup.per_op = True  # type: ignore[attr-defined]
    return setup


Setup = Callable[..., None]


@dataclass(frozen=True)
class Config:
    """A measured configuration: its setup, the environment of its process, its floor."""

    setup: Setup
    env: Mapping[str, str] = field(default_factory=dict)
    #: The floor doing the same work (None: a floor or the baseline).
    floor: str | None = None
    sampler_off: bool = False
    peer: str | None = None
    #: The op groups it measures (``calls.Op.group``).
    groups: tuple[str, ...] = ("chat",)
    description: str = ""


EXEMPLARS_OFF = {"OTEL_METRICS_EXEMPLAR_FILTER": "always_off"}
ALL = ("chat", "structure", "models", "context")
CONFIGS: dict[str, Config] = {
    "uninstrumented": Config(lambda pipeline: None, groups=ALL, description="no SDK work at all"),
    "floor": Config(floor(metrics=False), description="our span of the op, constant, no metrics"),
    "floor-metrics": Config(
        floor(), groups=("chat", "structure", "models"), description="our span and points, constant"
    ),
    "floor-sampled-out": Config(
        floor(),
        sampler_off=True,
        description="a non-recording span made current (ALWAYS_OFF), our points",
    ),
    "floor-metrics-exemplars-off": Config(
        floor(), env=EXEMPLARS_OFF, description="floor-metrics, no exemplars"
    ),
    "langchain-otel": Config(
        ours(),
        floor="floor-metrics",
        groups=("chat", "structure", "models"),
        description="spans + metrics (the default)",
    ),
    "langchain-otel-metrics-off": Config(
        ours(metrics=False), floor="floor", description="instrument(metrics_enabled=False)"
    ),
    "langchain-otel-sampled-out": Config(
        ours(), sampler_off=True, floor="floor-sampled-out", description="ALWAYS_OFF, metrics on"
    ),
    "langchain-otel-exemplars-off": Config(
        ours(),
        env=EXEMPLARS_OFF,
        floor="floor-metrics-exemplars-off",
        description="OTEL_METRICS_EXEMPLAR_FILTER=always_off",
    ),
    "langchain-otel-context": Config(
        ours(mapped=calls.MAPPED),
        groups=("chat", "structure", "context"),
        description=f"spans + metrics, metadata_attributes={calls.MAPPED!r}",
    ),
    "traceloop": Config(
        traceloop,
        env={"TRACELOOP_TRACE_CONTENT": "false"},
        floor="floor-metrics",
        peer="traceloop",
        description="Traceloop, content off",
    ),
    "openinference": Config(
        openinference,
        floor="floor",
        peer="openinference",
        description="OpenInference, inputs/outputs hidden",
    ),
    "otel-genai": Config(
        otel_genai, floor="floor-metrics", peer="otel-genai", description="official genai-langchain"
    ),
}


def prepare(name: str, op: str, batch: bool = False) -> Pipeline:
    """The pipeline of config ``name``, instrumented for ``op`` (the floors are per op)."""
    config = CONFIGS[name]
    pipeline = Pipeline(batch=batch, sampler=ALWAYS_OFF if config.sampler_off else ALWAYS_ON)
    setup = config.setup
    if getattr(setup, "per_op", False):
        setup(pipeline, op)
    else:
        setup(pipeline)
    return pipeline


def measures(name: str, op: str) -> bool:
    config = CONFIGS[name]
    group = calls.OPS[op].group
    if group not in config.groups:
        return False
    return not (getattr(config.setup, "per_op", False) and _SHORT.get(op, op) not in _HOOKS)

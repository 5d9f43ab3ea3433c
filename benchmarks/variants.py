"""What each measured configuration instruments, and with which OpenTelemetry SDK pipeline.

A variant runs alone in a fresh worker process: ``setup()`` builds its SDK and instruments
LangChain once, before any measured call. Pipelines:

- ``batch``: ``BatchSpanProcessor`` (SDK defaults) into an exporter that drops the spans, as in
  production minus the network; a ``MeterProvider`` whose periodic reader (60 s, dropping
  exporter) is in effect never collected during a run.
- ``simple``: ``SimpleSpanProcessor`` into an ``InMemorySpanExporter`` (cleared between batches,
  untimed), same metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler

from benchmarks import fake_chat

BATCH, SIMPLE = "batch", "simple"
METRIC_INTERVAL_MS = 60_000

# Distributions of the peers (PyPI names), by the short name used in variant names.
PEERS: Mapping[str, str] = {
    "traceloop": "opentelemetry-instrumentation-langchain",
    "openinference": "openinference-instrumentation-langchain",
    "otel-genai": "opentelemetry-instrumentation-genai-langchain",
}


class DroppingSpanExporter(SpanExporter):
    """Counts and drops: the cost of the pipeline without the cost of a network."""

    def __init__(self) -> None:
        self.exported = 0
        self.last: ReadableSpan | None = None

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.exported += len(spans)
        if spans:
            self.last = spans[-1]
        return SpanExportResult.SUCCESS


class DroppingMetricExporter(MetricExporter):
    def __init__(self) -> None:
        super().__init__(preferred_temporality={}, preferred_aggregation={})

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


@dataclass
class Pipeline:
    """One SDK setup: providers plus a way to count (and drop) what was exported."""

    kind: str
    sampler: Sampler = ALWAYS_ON
    tracer_provider: TracerProvider = field(init=False)
    meter_provider: MeterProvider = field(init=False)
    _dropping: DroppingSpanExporter | None = field(init=False, default=None)
    _memory: InMemorySpanExporter | None = field(init=False, default=None)
    _cleared: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.tracer_provider = TracerProvider(sampler=self.sampler)
        if self.kind == BATCH:
            self._dropping = DroppingSpanExporter()
            self.tracer_provider.add_span_processor(BatchSpanProcessor(self._dropping))
        else:
            self._memory = InMemorySpanExporter()
            self.tracer_provider.add_span_processor(SimpleSpanProcessor(self._memory))
        reader = PeriodicExportingMetricReader(
            DroppingMetricExporter(), export_interval_millis=METRIC_INTERVAL_MS
        )
        self.meter_provider = MeterProvider(metric_readers=[reader])

    def clear(self) -> None:
        """Drop the spans an in-memory exporter holds (untimed, between batches)."""
        if self._memory is not None:
            self._cleared += len(self._memory.get_finished_spans())
            self._memory.clear()

    def spans_exported(self) -> int:
        self.tracer_provider.force_flush()
        if self._dropping is not None:
            return self._dropping.exported
        assert self._memory is not None
        return self._cleared + len(self._memory.get_finished_spans())

    def last_span_attributes(self) -> int | None:
        """How many attributes the last exported span had (after ``spans_exported``)."""
        if self._dropping is not None:
            last = self._dropping.last
        else:
            assert self._memory is not None
            finished = self._memory.get_finished_spans()
            last = finished[-1] if finished else None
        return None if last is None or last.attributes is None else len(last.attributes)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def _bench_mapper() -> Any:
    from langchain_otel.providers.openai import OpenAIMapper  # noqa: PLC0415

    class BenchOpenAIMapper(OpenAIMapper):
        """``BenchChatModel`` mapped like ``ChatOpenAI`` on api.openai.com."""

        model_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchChatModel",)

        def base_url(self, model: object) -> object:
            return fake_chat.BASE_URL

    return BenchOpenAIMapper()


# -- setups: each instruments LangChain and returns its pipeline (None: no SDK at all) ----------


def _none() -> Pipeline | None:
    return None


def _floor(kind: str) -> Callable[[], Pipeline]:
    def setup() -> Pipeline:
        from benchmarks import floor  # noqa: PLC0415

        pipeline = Pipeline(kind)
        floor.instrument(pipeline.tracer_provider)
        return pipeline

    return setup


def _langchain_otel(
    kind: str, sampler: Sampler = ALWAYS_ON, mapped: bool = True
) -> Callable[[], Pipeline]:
    def setup() -> Pipeline:
        from langchain_otel import LangChainInstrumentor  # noqa: PLC0415

        pipeline = Pipeline(kind, sampler)
        LangChainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            meter_provider=pipeline.meter_provider,
            provider_mappers=[_bench_mapper()] if mapped else [],
        )
        return pipeline

    return setup


def _traceloop(kind: str) -> Callable[[], Pipeline]:
    def setup() -> Pipeline:
        from opentelemetry.instrumentation.langchain import LangchainInstrumentor  # noqa: PLC0415

        pipeline = Pipeline(kind)
        LangchainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider
        )
        return pipeline

    return setup


def _openinference(kind: str) -> Callable[[], Pipeline]:
    def setup() -> Pipeline:
        from openinference.instrumentation import TraceConfig  # noqa: PLC0415
        from openinference.instrumentation.langchain import LangChainInstrumentor  # noqa: PLC0415

        pipeline = Pipeline(kind)
        LangChainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            config=TraceConfig(hide_inputs=True, hide_outputs=True),
        )
        return pipeline

    return setup


def _otel_genai(kind: str) -> Callable[[], Pipeline]:
    def setup() -> Pipeline:
        from opentelemetry.instrumentation.genai.langchain import (  # noqa: PLC0415
            LangChainInstrumentor,
        )

        pipeline = Pipeline(kind)
        # It declares a dependency on the ``langchain`` package (not installed here: only
        # ``langchain-core`` is); the chat-model callbacks it hooks live in ``langchain-core``.
        LangChainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            meter_provider=pipeline.meter_provider,
            skip_dep_check=True,
        )
        return pipeline

    return setup


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    setup: Callable[[], Pipeline | None]
    #: The floor variant whose overhead this one is compared with (same span pipeline).
    floor: str = "floor"
    #: The peer (key of PEERS) this variant needs installed.
    peer: str | None = None
    #: Environment of the worker process (on top of a scrubbed one).
    env: Mapping[str, str] = field(default_factory=dict)


BASELINE = "uninstrumented"

VARIANTS: tuple[Variant, ...] = (
    Variant(BASELINE, "no instrumentation, no SDK", _none),
    Variant("floor", "bare wrapt span wrapper, Batch", _floor(BATCH)),
    Variant(
        "floor-simple", "bare wrapt span wrapper, Simple+memory", _floor(SIMPLE), "floor-simple"
    ),
    Variant("langchain-otel", "spans+metrics, Batch", _langchain_otel(BATCH)),
    Variant(
        "langchain-otel-simple",
        "spans+metrics, Simple+memory",
        _langchain_otel(SIMPLE),
        "floor-simple",
    ),
    Variant(
        "langchain-otel-sampled-out",
        "ALWAYS_OFF sampler, metrics on, Batch",
        _langchain_otel(BATCH, ALWAYS_OFF),
    ),
    Variant(
        "langchain-otel-generic",
        "no mapper registered (generic mapper), Batch",
        _langchain_otel(BATCH, mapped=False),
    ),
    Variant(
        "traceloop",
        "Traceloop, content off, Batch",
        _traceloop(BATCH),
        peer="traceloop",
        env={"TRACELOOP_TRACE_CONTENT": "false"},
    ),
    Variant(
        "traceloop-simple",
        "Traceloop, content off, Simple+memory",
        _traceloop(SIMPLE),
        "floor-simple",
        peer="traceloop",
        env={"TRACELOOP_TRACE_CONTENT": "false"},
    ),
    Variant(
        "openinference",
        "OpenInference, inputs/outputs hidden, Batch",
        _openinference(BATCH),
        peer="openinference",
    ),
    Variant(
        "openinference-simple",
        "OpenInference, inputs/outputs hidden, Simple+memory",
        _openinference(SIMPLE),
        "floor-simple",
        peer="openinference",
    ),
    Variant(
        "otel-genai",
        "official genai-langchain, default (no content), Batch",
        _otel_genai(BATCH),
        peer="otel-genai",
    ),
    Variant(
        "otel-genai-simple",
        "official genai-langchain, default (no content), Simple+memory",
        _otel_genai(SIMPLE),
        "floor-simple",
        peer="otel-genai",
    ),
)

BY_NAME: Mapping[str, Variant] = {variant.name: variant for variant in VARIANTS}

"""What each measured configuration instruments, and with which OpenTelemetry SDK pipeline.

A variant runs alone in a fresh worker process: ``setup()`` builds its SDK and instruments
LangChain once, before any measured call. Pipelines:

- ``batch``: ``BatchSpanProcessor`` (SDK defaults) into an exporter that drops the spans, as in
  production minus the network; a ``MeterProvider`` whose periodic reader (60 s, dropping
  exporter) is in effect never collected during a run.
- ``simple``: ``SimpleSpanProcessor`` into an ``InMemorySpanExporter`` (cleared between batches,
  untimed), same metrics.
- ``discard``: ``SimpleSpanProcessor`` into the dropping exporter, same metrics: no background
  thread and nothing kept, so every instruction of a call is the call's (``make bench-icount``).

The metrics SDK runs with its default exemplar filter (``trace_based``) unless a variant sets
``OTEL_METRICS_EXEMPLAR_FILTER`` in its environment.
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
from benchmarks.workloads import MODEL_OPS, STRUCTURE_OPS, available

BATCH, SIMPLE, DISCARD = "batch", "simple", "discard"
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
        elif self.kind == DISCARD:
            self._dropping = DroppingSpanExporter()
            self.tracer_provider.add_span_processor(SimpleSpanProcessor(self._dropping))
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
        keys = self.last_span_attribute_keys()
        return None if keys is None else len(keys)

    def last_span_attribute_keys(self) -> list[str] | None:
        """The attribute keys of the last exported span (after ``spans_exported``)."""
        if self._dropping is not None:
            last = self._dropping.last
        else:
            assert self._memory is not None
            finished = self._memory.get_finished_spans()
            last = finished[-1] if finished else None
        return None if last is None or last.attributes is None else list(last.attributes)

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


def _bench_model_mappers() -> list[Any]:
    """``BenchEmbeddings`` mapped like ``OpenAIEmbeddings`` and ``BenchLLM`` like
    ``langchain_openai.OpenAI``, both on api.openai.com. Like a provider package, ``benchmarks``
    exports the classes (set here, so the chat variants' processes import nothing more)."""
    import benchmarks  # noqa: PLC0415
    from benchmarks import fake_models  # noqa: PLC0415
    from langchain_otel.providers.openai import OpenAICompletionMapper, OpenAIMapper  # noqa: PLC0415

    benchmarks.BenchEmbeddings = fake_models.BenchEmbeddings  # type: ignore[attr-defined]
    benchmarks.BenchLLM = fake_models.BenchLLM  # type: ignore[attr-defined]

    class BenchEmbeddingsMapper(OpenAIMapper):
        model_classes: ClassVar[tuple[str, ...]] = ()
        embedding_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchEmbeddings",)

        def base_url(self, model: object) -> object:
            return fake_chat.BASE_URL

    class BenchCompletionMapper(OpenAICompletionMapper):
        completion_classes: ClassVar[tuple[str, ...]] = ("benchmarks.BenchLLM",)

        def base_url(self, model: object) -> object:
            return fake_chat.BASE_URL

    return [BenchEmbeddingsMapper(), BenchCompletionMapper()]


# -- setups: each instruments LangChain on a pipeline of the given kind and returns the pipeline
# (None: no SDK at all) ------------------------------------------------------------------------

Setup = Callable[[str], Pipeline | None]


def _none(kind: str) -> Pipeline | None:
    return None


def _floor(
    spans: bool = True,
    metrics: bool = False,
    same_attributes: bool = False,
    sampler: Sampler = ALWAYS_ON,
) -> Setup:
    def setup(kind: str) -> Pipeline:
        from benchmarks import floor  # noqa: PLC0415

        pipeline = Pipeline(kind, sampler)
        floor.instrument(
            pipeline.tracer_provider if spans else None,
            pipeline.meter_provider if metrics else None,
            same_attributes=same_attributes,
        )
        return pipeline

    return setup


def _floor_structure(kind: str) -> Pipeline:
    from benchmarks import floor  # noqa: PLC0415

    pipeline = Pipeline(kind)
    floor.instrument_structure(pipeline.tracer_provider)
    return pipeline


def _floor_models(kind: str) -> Pipeline:
    from benchmarks import floor  # noqa: PLC0415

    pipeline = Pipeline(kind)
    floor.instrument_models(pipeline.tracer_provider, pipeline.meter_provider)
    return pipeline


def _langchain_otel(
    sampler: Sampler = ALWAYS_ON, mapped: bool = True, metrics: bool = True, models: bool = False
) -> Setup:
    def setup(kind: str) -> Pipeline:
        from langchain_otel import LangChainInstrumentor  # noqa: PLC0415

        pipeline = Pipeline(kind, sampler)
        LangChainInstrumentor().instrument(
            tracer_provider=pipeline.tracer_provider,
            meter_provider=pipeline.meter_provider,
            provider_mappers=(
                [_bench_mapper(), *(_bench_model_mappers() if models else [])] if mapped else []
            ),
            metrics_enabled=metrics,
        )
        return pipeline

    return setup


def _traceloop(kind: str) -> Pipeline:
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor  # noqa: PLC0415

    pipeline = Pipeline(kind)
    LangchainInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider
    )
    return pipeline


def _openinference(kind: str) -> Pipeline:
    from openinference.instrumentation import TraceConfig  # noqa: PLC0415
    from openinference.instrumentation.langchain import LangChainInstrumentor  # noqa: PLC0415

    pipeline = Pipeline(kind)
    LangChainInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider,
        config=TraceConfig(hide_inputs=True, hide_outputs=True),
    )
    return pipeline


def _otel_genai(kind: str) -> Pipeline:
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


BASELINE = "uninstrumented"
FLOOR, FLOOR_METRICS, METRICS_ONLY = "floor", "floor-metrics", "metrics-only"
# The floors doing exactly the same work as ours (``Variant.same_work``): langchain-otel's span
# attributes; a non-recording span made current under the ALWAYS_OFF sampler.
FLOOR_SAME = "floor-same-attributes"
FLOOR_METRICS_SAME = "floor-metrics-same-attributes"
FLOOR_METRICS_SAMPLED_OUT = "floor-metrics-sampled-out"
SUBJECT = "langchain-otel"
METRICS_OFF = "langchain-otel-metrics-off"
SAMPLED_OUT = "langchain-otel-sampled-out"
EXEMPLARS_OFF = {"OTEL_METRICS_EXEMPLAR_FILTER": "always_off"}
FLOOR_STRUCTURE, SUBJECT_STRUCTURE = "floor-structure", "langchain-otel-structure"
FLOOR_MODELS, SUBJECT_MODELS = "floor-embed-completion", "langchain-otel-embed-completion"
# Which ops a variant measures: the chat ones, the structure ones (tool, graph), the embedding
# and completion ones (embed_query, completion), or all of them.
CHAT, STRUCTURE, MODELS, ALL = "chat", "structure", "models", "all"


def op_group(op: str) -> str:
    """``CHAT``, ``STRUCTURE`` or ``MODELS``: which variants measure ``op``."""
    if op in STRUCTURE_OPS:
        return STRUCTURE
    if op in MODEL_OPS:
        return MODELS
    return CHAT


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    setup: Setup
    #: The span pipeline of ``make bench`` (``make bench-icount`` always uses ``discard``).
    kind: str = BATCH
    #: The floor that does the same work (same signals, same span pipeline), to compare with;
    #: None for the floors themselves and the baseline.
    floor: str | None = FLOOR_METRICS
    #: The floor doing exactly the same work (the same span attributes; under the same sampler),
    #: compared with in a second, informational table of ``make bench-icount``; run with this
    #: variant where that floor is marked for the command (``wall``/``icount``).
    same_work: str | None = None
    #: The peer (key of PEERS) this variant needs installed.
    peer: str | None = None
    #: Environment of the worker process (on top of a scrubbed one).
    env: Mapping[str, str] = field(default_factory=dict)
    #: Run by ``make bench`` without ``--variants``.
    wall: bool = True
    #: Run by ``make bench-icount`` (its variants use the ``discard`` pipeline whatever ``kind``).
    icount: bool = True
    #: The ops it measures: ``CHAT`` (``workloads.OPS``), ``STRUCTURE`` (``STRUCTURE_OPS``: their
    #: own rows, so the chat variants' processes stay as they were), ``MODELS`` (``MODEL_OPS``,
    #: likewise) or ``ALL`` (the baseline).
    ops: str = CHAT

    def measures(self, op: str) -> bool:
        """Whether this variant runs ``op`` (and it can run here)."""
        mine = self.ops in (ALL, op_group(op))
        return mine and available(op)

    def make(self, kind: str | None = None) -> Pipeline | None:
        """Set up this variant on its own pipeline kind, or on ``kind``."""
        return self.setup(kind or self.kind)


VARIANTS: tuple[Variant, ...] = (
    Variant(BASELINE, "no instrumentation, no SDK", _none, floor=None, ops=ALL),
    Variant(
        FLOOR, "bare floor: one span, 10 constant attributes, no metrics", _floor(), floor=None
    ),
    Variant(
        FLOOR_METRICS,
        "floor + metrics: the bare floor plus the spec's metric points, in the span's context",
        _floor(metrics=True),
        floor=None,
    ),
    Variant(
        METRICS_ONLY,
        "metrics-only floor: the floor's metric points, no span",
        _floor(spans=False, metrics=True),
        floor=None,
    ),
    Variant(
        FLOOR_SAME,
        "bare floor with langchain-otel's span attributes of the same call (17 on an invoke, 18 "
        "on a stream: `floor.SAME_ATTRIBUTES`, `floor.SAME_STREAM_ATTRIBUTES`), no metrics",
        _floor(same_attributes=True),
        floor=None,
        wall=False,
    ),
    Variant(
        FLOOR_METRICS_SAME,
        "floor + metrics with langchain-otel's span attributes of the same call",
        _floor(metrics=True, same_attributes=True),
        floor=None,
        wall=False,
    ),
    Variant(
        FLOOR_METRICS_SAMPLED_OUT,
        "floor + metrics under the ALWAYS_OFF sampler: a non-recording span made current around "
        "the call (and each stream step), plus the metric points in its context",
        _floor(metrics=True, sampler=ALWAYS_OFF),
        floor=None,
        wall=False,
    ),
    Variant(
        "floor-simple", "bare floor, Simple+memory", _floor(), SIMPLE, floor=None, icount=False
    ),
    Variant(
        "floor-metrics-simple",
        "floor + metrics, Simple+memory",
        _floor(metrics=True),
        SIMPLE,
        floor=None,
        icount=False,
    ),
    Variant(SUBJECT, "spans+metrics", _langchain_otel(), same_work=FLOOR_METRICS_SAME),
    Variant(
        "langchain-otel-simple",
        "spans+metrics, Simple+memory",
        _langchain_otel(),
        SIMPLE,
        floor="floor-metrics-simple",
        icount=False,
    ),
    Variant(
        METRICS_OFF,
        "spans only: instrument(metrics_enabled=False)",
        _langchain_otel(metrics=False),
        floor=FLOOR,
        same_work=FLOOR_SAME,
    ),
    Variant(
        SAMPLED_OUT,
        "ALWAYS_OFF sampler, metrics on",
        _langchain_otel(ALWAYS_OFF),
        floor=METRICS_ONLY,
        same_work=FLOOR_METRICS_SAMPLED_OUT,
    ),
    Variant(
        "langchain-otel-generic",
        "no mapper registered (generic mapper)",
        _langchain_otel(mapped=False),
        icount=False,
    ),
    Variant(
        "langchain-otel-exemplars-off",
        "spans+metrics, OTEL_METRICS_EXEMPLAR_FILTER=always_off",
        _langchain_otel(),
        floor="floor-metrics-exemplars-off",
        env=EXEMPLARS_OFF,
        wall=False,
    ),
    Variant(
        "floor-metrics-exemplars-off",
        "floor + metrics, OTEL_METRICS_EXEMPLAR_FILTER=always_off",
        _floor(metrics=True),
        floor=None,
        env=EXEMPLARS_OFF,
        wall=False,
    ),
    Variant(
        "traceloop",
        "Traceloop, content off",
        _traceloop,
        peer="traceloop",
        env={"TRACELOOP_TRACE_CONTENT": "false"},
    ),
    Variant(
        "traceloop-simple",
        "Traceloop, content off, Simple+memory",
        _traceloop,
        SIMPLE,
        floor="floor-metrics-simple",
        peer="traceloop",
        env={"TRACELOOP_TRACE_CONTENT": "false"},
        wall=False,
        icount=False,
    ),
    Variant(
        "openinference",
        "OpenInference, inputs/outputs hidden (no metrics)",
        _openinference,
        floor=FLOOR,
        peer="openinference",
    ),
    Variant(
        "openinference-simple",
        "OpenInference, inputs/outputs hidden, Simple+memory",
        _openinference,
        SIMPLE,
        floor="floor-simple",
        peer="openinference",
        wall=False,
        icount=False,
    ),
    Variant(
        "otel-genai",
        "official genai-langchain, default (no content)",
        _otel_genai,
        peer="otel-genai",
    ),
    Variant(
        "otel-genai-simple",
        "official genai-langchain, default (no content), Simple+memory",
        _otel_genai,
        SIMPLE,
        floor="floor-metrics-simple",
        peer="otel-genai",
        wall=False,
        icount=False,
    ),
    Variant(
        FLOOR_STRUCTURE,
        "structure floor: one INTERNAL span with constant attributes (as many as ours) around "
        "BaseTool.run and Pregel.invoke",
        _floor_structure,
        floor=None,
        ops=STRUCTURE,
    ),
    Variant(
        SUBJECT_STRUCTURE,
        "langchain-otel as `langchain-otel` (spans+metrics, structure spans on by default), on "
        "the tool and graph ops",
        _langchain_otel(),
        floor=FLOOR_STRUCTURE,
        ops=STRUCTURE,
    ),
    Variant(
        FLOOR_MODELS,
        "embedding/completion floor: one CLIENT span with constant attributes (as many as ours) "
        "around BenchEmbeddings.embed_query and BaseLLM._generate_helper, plus the duration "
        "(and, for the completion, the 2 token) metric points",
        _floor_models,
        floor=None,
        ops=MODELS,
    ),
    Variant(
        SUBJECT_MODELS,
        "langchain-otel as `langchain-otel` (spans+metrics), with the embedding and completion "
        "classes registered, on the embed_query and completion ops",
        _langchain_otel(models=True),
        floor=FLOOR_MODELS,
        ops=MODELS,
    ),
)

BY_NAME: Mapping[str, Variant] = {variant.name: variant for variant in VARIANTS}

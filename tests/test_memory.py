"""No per-call state left behind, and no span lost by the export thread under a burst.

``SOAK_CALLS`` sets the soak length (``.ci/run`` runs 100k; the default keeps ``make test``
quick).
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import tracemalloc
import weakref

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from langchain_otel import LangChainInstrumentor
from langchain_otel.providers import MapperRegistry
from tests.models import ChatScripted, LLMScripted
from tests.test_embeddings_and_completions import (  # noqa: F401 -- acme_package: a fixture
    AcmeEmbeddings,
    AcmeMapper,
    acme_package,
)

pytestmark = pytest.mark.matrix

SOAK_CALLS = int(os.environ.get("SOAK_CALLS", "10000"))


class CountingExporter(SpanExporter):
    """Keeps no span: counts them."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        with self._lock:
            self.count += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


@pytest.fixture
def instrumented_counting():
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=provider, meter_provider=MeterProvider([reader]))
    yield exporter
    instrumentor.uninstrument()


def one_round(model: ChatScripted, index: int) -> None:
    kind = index % 3
    if kind == 0:
        model.invoke("hi")
    elif kind == 1:
        list(model.stream("hi"))
    else:
        stream = model.stream("hi")  # abandoned after one chunk
        next(stream)
        del stream


def test_no_references_kept_to_models_or_messages(instrumented_counting):
    models, messages = [], []
    for _ in range(300):
        model = ChatScripted()
        message = model.invoke("hi")
        models.append(weakref.ref(model))
        messages.append(weakref.ref(message))
        stream = model.stream("hi")
        chunk = next(stream)
        messages.append(weakref.ref(chunk))
        del model, message, stream, chunk
    gc.collect()

    assert [ref for ref in models if ref() is not None] == []
    assert [ref for ref in messages if ref() is not None] == []
    assert instrumented_counting.count == 600


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def warm_up(model: ChatScripted) -> None:
    """Caches, metric streams and interned strings settle in the first calls."""
    for index in range(2000):
        one_round(model, index)
    gc.collect()


def test_no_allocation_survives_a_call(instrumented_counting):
    model = ChatScripted(chunks=4)
    warm_up(model)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(3000):
            one_round(model, index)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    growth = after - before
    # A leak of one small object per call would keep > 150 KB; allocator noise stays far below.
    assert growth < 64 * 1024, f"{growth} bytes kept after 3000 calls"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_rss_is_flat_over_the_soak(instrumented_counting):
    model = ChatScripted(chunks=4)
    warm_up(model)
    before = rss_bytes()
    for index in range(SOAK_CALLS):
        one_round(model, index)
    gc.collect()
    growth = rss_bytes() - before

    assert instrumented_counting.count == 2000 + SOAK_CALLS
    assert growth < 4 * 1024 * 1024, f"RSS grew {growth} bytes over {SOAK_CALLS} calls"


def test_burst_loses_no_span_with_a_batch_processor(meter_provider):
    exporter = CountingExporter()
    provider = TracerProvider()
    processor = BatchSpanProcessor(exporter, max_queue_size=32768, max_export_batch_size=512)
    provider.add_span_processor(processor)
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=provider, meter_provider=meter_provider)
    try:
        model = ChatScripted()
        for _ in range(20000):
            model.invoke("hi")
    finally:
        instrumentor.uninstrument()
    assert processor.force_flush(30_000)
    assert exporter.count == 20000


def test_chat_classes_made_at_run_time_are_freed(instrumented_counting):
    """The mapper cache must not keep a class alive (issue 15, item 14)."""
    chat_class = type("ChatMadeAtRunTime", (ChatScripted,), {})
    chat_class().invoke("hi")
    assert instrumented_counting.count == 1
    ref = weakref.ref(chat_class)
    del chat_class
    gc.collect()

    assert ref() is None


def test_mapper_cache_forgets_dead_classes_and_never_mixes_them_up():
    registry = MapperRegistry()
    generic = registry.mapper_for(ChatScripted)
    refs = []
    for index in range(12):
        module = "langchain_openai.chat_models" if index % 2 else "somewhere_else"
        chat_class = type("ChatOpenAI", (), {"__module__": module})
        mapper = registry.mapper_for(chat_class)
        assert (mapper.provider_name == "openai") is bool(index % 2), index
        assert registry.mapper_for(chat_class) is mapper
        refs.append(weakref.ref(chat_class))
        del chat_class
        gc.collect()  # ids of dead classes get reused: a stale entry would answer wrongly

    assert [ref for ref in refs if ref() is not None] == []
    assert registry.mapper_for(ChatScripted) is generic


@pytest.mark.usefixtures("acme_package")
def test_no_references_kept_to_completion_or_embedding_calls(tracer_provider, span_exporter):
    """Embedding and completion spans end like chat spans: nothing of the call (model, prompt,
    vectors, result) is kept after it, whatever way it ended."""
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, provider_mappers=[AcmeMapper()])
    refs = []
    try:
        for index in range(100):
            llm = LLMScripted(reply="one two three")
            llm.invoke("hi")
            stream = llm.stream("hi")
            next(stream)
            del stream  # abandoned
            embeddings = AcmeEmbeddings(fail=ValueError("down") if index % 2 else None)
            with contextlib.suppress(ValueError):
                embeddings.embed_query("hi")
            refs += [weakref.ref(llm), weakref.ref(embeddings)]
            del llm, embeddings
        gc.collect()
    finally:
        instrumentor.uninstrument()

    assert [ref for ref in refs if ref() is not None] == []
    names = [s.name.split(" ")[0] for s in span_exporter.get_finished_spans()]
    assert (names.count("text_completion"), names.count("embeddings")) == (200, 100)

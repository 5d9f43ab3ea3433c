"""Shared fixtures: in-memory exporters -> providers -> instrumented LangChain; loopback fakes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from langchain_otel import LangChainInstrumentor
from tests.fakes import openai as fake_openai
from tests.fakes.server import FakeServer
from tests.helpers import InMemoryLogExporter

# tests/compat runs only in its own venv (`make test` builds it): its packages conflict with ours.
collect_ignore = [] if os.environ.get("COMPAT_SUITE") else ["compat"]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m matrix`` (``make test-matrix``) import only the modules marked ``matrix``.

    The version matrix's venvs lack packages the other modules import (LangGraph, the provider
    packages), so those modules are not even collected there; the main suite collects everything.
    """
    if (
        config.getoption("markexpr") == "matrix"
        and collection_path.suffix == ".py"
        and collection_path.name.startswith("test_")
    ):
        return "pytest.mark.matrix" not in collection_path.read_text()
    return None


# Variables that would change what the code under test does: OTel config, our own switches,
# provider keys and base URLs, LangSmith tracing.
_SCRUBBED_PREFIXES = (
    "OTEL_",
    "LANGCHAIN_OTEL_",
    "LANGSMITH_",
    "LANGCHAIN_",
    "OPENAI_",
    "AZURE_OPENAI_",
    "ANTHROPIC_",
    "GROQ_",
    "MISTRAL_",
    "FIREWORKS_",
    "TOGETHER_",
    "XAI_",
    "DEEPSEEK_",
    "OLLAMA_",
    "GOOGLE_",
    "GEMINI_",
    "AWS_",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_SCRUBBED_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    fake_openai.install(server)
    fake_openai.install(server, "/gateway/v1", fake_openai.GATEWAY)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(span_exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    return provider


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter_provider(metric_reader: InMemoryMetricReader) -> MeterProvider:
    return MeterProvider(metric_readers=[metric_reader])


@pytest.fixture
def log_exporter() -> InMemoryLogExporter:
    return InMemoryLogExporter()


@pytest.fixture
def logger_provider(log_exporter: InMemoryLogExporter) -> LoggerProvider:
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    return provider


@pytest.fixture
def instrumented(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, logger_provider: LoggerProvider
) -> Iterator[Callable[..., None]]:
    """``instrument(**settings)`` into the test's providers (a setting may replace one);
    uninstrumented after the test."""
    instrumentor = LangChainInstrumentor()
    providers = {
        "tracer_provider": tracer_provider,
        "meter_provider": meter_provider,
        "logger_provider": logger_provider,
    }

    def start(**settings: Any) -> None:
        instrumentor.instrument(**{**providers, **settings})

    yield start
    instrumentor.uninstrument()


@pytest.fixture
def instrument(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[LangChainInstrumentor]:
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()

"""Instrumentor lifecycle, suppression, sampling and loading through the entry point."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from langchain_otel import LangChainInstrumentor
from langchain_otel._semconv import SCHEMA_URL
from langchain_otel.providers import ChatModelMapper, GenericMapper
from tests.helpers import chat_spans, metric_points, only_chat_span, patched_attributes
from tests.models import ChatScripted
from tests.semconv.conformance import REGISTRY

pytestmark = pytest.mark.matrix

ROOT = Path(__file__).resolve().parent.parent
ORIGINALS = patched_attributes()


def test_instrumentation_dependencies():
    assert list(LangChainInstrumentor().instrumentation_dependencies()) == ["langchain-core >= 0.3"]


def test_spans_and_metrics_carry_the_schema_url_of_the_registry_we_follow(
    instrument, span_exporter, metric_reader
):
    ChatScripted().invoke("hi")

    span_schema_url = only_chat_span(span_exporter).instrumentation_scope.schema_url
    assert span_schema_url == SCHEMA_URL == REGISTRY["source"]["schema_url"]
    scopes = [
        scope_metrics.scope
        for resource_metrics in metric_reader.get_metrics_data().resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
    ]
    assert [scope.name for scope in scopes] == ["langchain_otel"]
    assert scopes[0].schema_url == SCHEMA_URL


def test_uninstrument_restores_originals_and_stops_spans(tracer_provider, span_exporter):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    assert all(patched_attributes()[key] is not ORIGINALS[key] for key in ORIGINALS)
    instrumentor.uninstrument()

    assert patched_attributes() == ORIGINALS
    ChatScripted().invoke("hi")
    list(ChatScripted().stream("hi"))
    assert chat_spans(span_exporter) == []


def test_instrument_twice_is_a_noop_and_reinstrument_works(tracer_provider, span_exporter):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        ChatScripted().invoke("hi")
        assert len(chat_spans(span_exporter)) == 1
    finally:
        instrumentor.uninstrument()
    assert patched_attributes() == ORIGINALS

    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        ChatScripted().invoke("hi")
        assert len(chat_spans(span_exporter)) == 2
    finally:
        instrumentor.uninstrument()
    assert patched_attributes() == ORIGINALS


@pytest.mark.usefixtures("instrument")
def test_suppressed_instrumentation_passes_straight_through(span_exporter):
    with suppress_instrumentation():
        message = ChatScripted().invoke("hi")
        chunks = list(ChatScripted().stream("hi"))
    assert message.content == "scripted answer"
    assert len(chunks) > 1
    assert chat_spans(span_exporter) == []


@pytest.mark.usefixtures("instrument")
async def test_suppressed_async_calls(span_exporter):
    with suppress_instrumentation():
        await ChatScripted().ainvoke("hi")
        [c async for c in ChatScripted().astream("hi")]
    assert chat_spans(span_exporter) == []


class CountingMapper(GenericMapper):
    model_classes = ("tests.ChatScripted",)

    def __init__(self) -> None:
        self.calls: list[str] = []

    def request_attributes(self, request):
        self.calls.append("request_attributes")
        return super().request_attributes(request)

    def response_attributes(self, response):
        self.calls.append("response_attributes")
        return super().response_attributes(response)


@pytest.mark.parametrize("sampled", [True, False])
def test_sampled_out_call_does_no_attribute_work_but_records_metrics(
    sampled, meter_provider, metric_reader, span_exporter
):
    provider = TracerProvider() if sampled else TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    mapper = CountingMapper()
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=provider, meter_provider=meter_provider, provider_mappers=[mapper]
    )
    try:
        ChatScripted().invoke("hi")
        list(ChatScripted().stream("hi"))
    finally:
        instrumentor.uninstrument()

    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.count == 2
    assert dict(duration.attributes)["gen_ai.response.model"] == "scripted-1-2024"
    if sampled:
        assert mapper.calls == ["request_attributes", "response_attributes"] * 2
        assert len(span_exporter.get_finished_spans()) == 2
    else:
        assert mapper.calls == []
        assert span_exporter.get_finished_spans() == ()


def test_a_mapper_failure_never_reaches_the_user(monkeypatch, instrument, span_exporter):
    def broken(self, response):
        raise RuntimeError("mapper bug")

    monkeypatch.setattr(ChatModelMapper, "response_attributes", broken)
    message = ChatScripted().invoke("hi")

    assert message.content == "scripted answer"
    span = only_chat_span(span_exporter)
    assert span.end_time is not None


def test_error_is_the_same_object(instrument, span_exporter):
    error = ValueError("provider says no")
    with pytest.raises(ValueError) as raised:
        ChatScripted(error=error).invoke("hi")
    assert raised.value is error
    assert only_chat_span(span_exporter).attributes["error.type"] == "ValueError"


class BrokenMeter:
    def create_histogram(self, *args, **kwargs):
        raise RuntimeError("this meter cannot make histograms")


class BrokenMeterProvider:
    def __init__(self, fails_in: str) -> None:
        self.fails_in = fails_in

    def get_meter(self, *args, **kwargs):
        if self.fails_in == "get_meter":
            raise RuntimeError("this provider cannot make meters")
        return BrokenMeter()


@pytest.mark.parametrize("fails_in", ["get_meter", "create_histogram"])
def test_a_broken_meter_provider_turns_metrics_off_not_instrument(
    fails_in, caplog, tracer_provider, span_exporter
):
    instrumentor = LangChainInstrumentor()
    with caplog.at_level(logging.DEBUG, logger="langchain_otel"):
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=BrokenMeterProvider(fails_in)
        )
    try:
        assert ChatScripted().invoke("hi").content == "scripted answer"
    finally:
        instrumentor.uninstrument()

    assert only_chat_span(span_exporter).attributes["gen_ai.usage.input_tokens"] == 11
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["langchain_otel"]
    assert "metrics" in warnings[0].getMessage()


def _console_spans(output: str) -> list[dict]:
    decoder = json.JSONDecoder()
    spans, index = [], 0
    while True:
        start = output.find("{", index)
        if start < 0:
            return spans
        span, index = decoder.raw_decode(output, start)
        spans.append(span)


# Provider-level GenAI instrumentations installed for other tests would add their own spans.
OTHER_GENAI = "openai,anthropic"


def _run_app(fake_server, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "OPENAI_", "LANGCHAIN_OTEL_"))
    }
    environment.update(
        FAKE_OPENAI_URL=f"{fake_server.url}/v1",
        OTEL_SERVICE_NAME="entry-point-test",
        OTEL_TRACES_EXPORTER="console",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=OTHER_GENAI,
    )
    environment.update(env)
    command = [str(Path(sys.executable).parent / "opentelemetry-instrument"), sys.executable]
    return subprocess.run(
        [*command, str(ROOT / "tests" / "apps" / "chat_app.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_loaded_by_opentelemetry_instrument(fake_server):
    spans = _console_spans(_run_app(fake_server).stdout)

    chat = [s for s in spans if s["name"] == "chat gpt-4o-mini"]
    (user,) = [s for s in spans if s["name"] == "handle-request"]
    assert len(chat) == 2
    assert {s["parent_id"] for s in chat} == {user["context"]["span_id"]}
    assert {s["kind"] for s in chat} == {"SpanKind.CLIENT"}
    assert chat[0]["attributes"]["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert chat[1]["attributes"]["gen_ai.request.stream"] is True
    assert chat[0]["resource"]["attributes"]["service.name"] == "entry-point-test"
    # The httpx instrumentation (loaded by the same launcher) nests its spans under ours.
    http = [s for s in spans if s["name"] == "POST"]
    assert {s["parent_id"] for s in http} == {s["context"]["span_id"] for s in chat}


def test_disabled_by_otel_python_disabled_instrumentations(fake_server):
    result = _run_app(
        fake_server, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=f"langchain_otel,{OTHER_GENAI}"
    )
    names = [s["name"] for s in _console_spans(result.stdout)]

    assert sorted(names) == ["POST", "POST", "handle-request"]

"""One inference span per model call when a provider-level GenAI instrumentation is active too.

Uses the real official ``opentelemetry-instrumentation-genai-openai`` (built on util-genai) and the
httpx instrumentation, against the loopback OpenAI fake.
"""

from __future__ import annotations

import pytest
from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor
from opentelemetry.instrumentation.openai import OpenAIInstrumentor as TraceloopOpenAIInstrumentor

from langchain_otel import LangChainInstrumentor
from tests.fakes import openai as fake
from tests.helpers import (
    duration_points_by_scope,
    http_spans,
    inference_spans,
    metric_points,
)
from tests.providers.helpers import make_model


@pytest.fixture
def layered(tracer_provider, meter_provider):
    """Instrument genai-openai, httpx and us (policy as given); uninstrument all after."""
    started = []

    def start(**kwargs):
        for instrumentor, options in (
            (OpenAIInstrumentor(), {"meter_provider": meter_provider}),
            (HTTPX2ClientInstrumentor(), {}),  # the openai SDK sends with httpx2
            (LangChainInstrumentor(), {"meter_provider": meter_provider, **kwargs}),
        ):
            instrumentor.instrument(tracer_provider=tracer_provider, **options)
            started.append(instrumentor)

    yield start
    for instrumentor in reversed(started):
        instrumentor.uninstrument()


@pytest.mark.parametrize("stream", [False, True])
def test_suppress_mode_leaves_exactly_our_span(
    stream, layered, fake_server, span_exporter, metric_reader
):
    layered()
    model = make_model(fake_server)
    if stream:
        list(model.stream("hi"))
    else:
        model.invoke("hi")

    (span,) = inference_spans(span_exporter)
    assert span.instrumentation_scope.name == "langchain_otel"
    (http,) = http_spans(span_exporter)
    assert http.parent.span_id == span.context.span_id  # HTTP spans are never suppressed
    assert duration_points_by_scope(metric_reader) == {"langchain_otel": 1}
    tokens = metric_points(metric_reader)["gen_ai.client.token.usage"]
    assert sorted(p.sum for p in tokens) == [17, 164]
    # The stood-down layer saw the stream's chunk ids, which LangChain does not expose: folded in.
    assert span.attributes["gen_ai.response.id"] == fake.RESPONSE_ID


@pytest.mark.parametrize("how", ["env", "argument"])
def test_keep_mode_nests_their_span_and_counts_each_call_once(
    how, monkeypatch, layered, fake_server, span_exporter, metric_reader
):
    if how == "env":
        monkeypatch.setenv("LANGCHAIN_OTEL_PROVIDER_SPANS", "keep")
        layered()
    else:
        layered(provider_spans="keep")
    make_model(fake_server).invoke("hi")
    list(make_model(fake_server).stream("hi"))

    spans = inference_spans(span_exporter)
    ours = [s for s in spans if s.instrumentation_scope.name == "langchain_otel"]
    theirs = [s for s in spans if s.instrumentation_scope.name != "langchain_otel"]
    assert len(ours) == len(theirs) == 2
    assert {s.parent.span_id for s in theirs} == {s.context.span_id for s in ours}
    assert {s.parent.span_id for s in http_spans(span_exporter)} == {
        s.context.span_id for s in theirs
    }
    # Each call counted once: the provider layer records, ours stand aside.
    assert duration_points_by_scope(metric_reader) == {
        "opentelemetry.instrumentation.genai.openai": 2
    }


def test_without_a_provider_layer_nothing_changes(
    tracer_provider, meter_provider, fake_server, span_exporter, metric_reader
):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, provider_spans="keep"
    )
    try:
        make_model(fake_server).invoke("hi")
    finally:
        instrumentor.uninstrument()

    assert len(inference_spans(span_exporter)) == 1
    assert duration_points_by_scope(metric_reader) == {"langchain_otel": 1}


@pytest.mark.parametrize("policy", ["suppress", "keep"])
def test_traceloop_openai_instrumentation(
    policy, tracer_provider, meter_provider, fake_server, span_exporter, metric_reader
):
    theirs, ours = TraceloopOpenAIInstrumentor(), LangChainInstrumentor()
    theirs.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    ours.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, provider_spans=policy
    )
    try:
        make_model(fake_server).invoke("hi")
        list(make_model(fake_server).stream("hi"))
    finally:
        ours.uninstrument()
        theirs.uninstrument()

    spans = span_exporter.get_finished_spans()
    mine = [s for s in spans if s.instrumentation_scope.name == "langchain_otel"]
    others = [s for s in spans if s.instrumentation_scope.name != "langchain_otel"]
    assert len(mine) == 2
    if policy == "suppress":
        assert others == []
        assert duration_points_by_scope(metric_reader) == {"langchain_otel": 2}
    else:
        assert others
        assert {s.parent.span_id for s in others} <= {s.context.span_id for s in mine}
        # Each call counted once: theirs record, ours stand aside.
        assert duration_points_by_scope(metric_reader) == {
            "opentelemetry.instrumentation.openai.v1": 2
        }

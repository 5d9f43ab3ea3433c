"""gen_ai.client.* metrics: names, units, buckets, attribute sets and values, per call style."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics._internal.instrument import _Histogram
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from langchain_otel import LangChainInstrumentor
from tests.helpers import metric_points, only_chat_span
from tests.models import ChatScripted
from tests.providers.helpers import STYLES, Call, make_model

pytestmark = pytest.mark.matrix

DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip

SCRIPTED = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "scripted",
    "gen_ai.request.model": "scripted-1",
    "gen_ai.response.model": "scripted-1-2024",
}


def metric_descriptors(reader: InMemoryMetricReader) -> dict[str, tuple[str, str]]:
    data = reader.get_metrics_data()
    return {
        metric.name: (metric.unit, type(metric.data).__name__)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }


@pytest.mark.usefixtures("instrument")
@pytest.mark.parametrize("style", STYLES)
async def test_points_per_call_style(style, metric_reader, span_exporter):
    await Call(style)(ChatScripted(), "hi")

    points = metric_points(metric_reader)
    streaming = style in ("stream", "astream")
    expected_names = {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"}
    if streaming:
        expected_names.add("gen_ai.client.operation.time_to_first_chunk")
    assert set(points) == expected_names

    (duration,) = points["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == SCRIPTED
    assert duration.count == 1
    assert duration.explicit_bounds == DURATION_BUCKETS
    span = only_chat_span(span_exporter)
    assert duration.sum == pytest.approx((span.end_time - span.start_time) / 1e9)

    tokens = {p.attributes["gen_ai.token.type"]: p for p in points["gen_ai.client.token.usage"]}
    assert set(tokens) == {"input", "output"}
    for token_type, point in tokens.items():
        assert dict(point.attributes) == {**SCRIPTED, "gen_ai.token.type": token_type}
        assert point.explicit_bounds == TOKEN_BUCKETS
        assert point.count == 1
        assert point.sum == span.attributes[f"gen_ai.usage.{token_type}_tokens"]
    assert (tokens["input"].sum, tokens["output"].sum) == (11, 7)

    if streaming:
        (ttfc,) = points["gen_ai.client.operation.time_to_first_chunk"]
        assert dict(ttfc.attributes) == SCRIPTED
        assert ttfc.explicit_bounds == DURATION_BUCKETS
        assert ttfc.sum == pytest.approx(span.attributes["gen_ai.response.time_to_first_chunk"])


@pytest.mark.usefixtures("instrument")
def test_units_and_instrument_kinds(metric_reader):
    list(ChatScripted().stream("hi"))

    assert metric_descriptors(metric_reader) == {
        "gen_ai.client.operation.duration": ("s", "Histogram"),
        "gen_ai.client.token.usage": ("{token}", "Histogram"),
        "gen_ai.client.operation.time_to_first_chunk": ("s", "Histogram"),
    }


@pytest.mark.usefixtures("instrument")
def test_failed_call_records_duration_with_error_type_and_no_tokens(metric_reader):
    with pytest.raises(TimeoutError):
        ChatScripted(error=TimeoutError("slow")).invoke("hi")

    points = metric_points(metric_reader)
    assert set(points) == {"gen_ai.client.operation.duration"}
    (duration,) = points["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "scripted",
        "gen_ai.request.model": "scripted-1",  # no answer: no gen_ai.response.model
        "error.type": "TimeoutError",
    }


@pytest.mark.usefixtures("instrument")
def test_real_client_metric_attributes_include_server(fake_server, metric_reader, span_exporter):
    make_model(fake_server).invoke("hi")

    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
    }
    span = only_chat_span(span_exporter)
    usage = {
        p.attributes["gen_ai.token.type"]: p.sum
        for p in metric_points(metric_reader)["gen_ai.client.token.usage"]
    }
    assert usage == {
        "input": span.attributes["gen_ai.usage.input_tokens"],
        "output": span.attributes["gen_ai.usage.output_tokens"],
    }


def test_sampled_out_calls_still_record_metrics(meter_provider, metric_reader):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(sampler=ALWAYS_OFF), meter_provider=meter_provider
    )
    try:
        ChatScripted().invoke("hi")
        list(ChatScripted().stream("hi"))
    finally:
        instrumentor.uninstrument()

    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.count == 2
    assert dict(duration.attributes) == SCRIPTED
    assert sum(p.sum for p in points["gen_ai.client.token.usage"]) == 2 * (11 + 7)
    assert points["gen_ai.client.operation.time_to_first_chunk"][0].count == 1


def test_no_token_points_when_the_provider_reports_no_usage(instrument, metric_reader):
    class ChatNoUsage(ChatScripted):
        def _generate(self, *args, **kwargs):
            result = super()._generate(*args, **kwargs)
            result.generations[0].message.usage_metadata = None
            return result

    ChatNoUsage().invoke("hi")

    assert "gen_ai.client.token.usage" not in metric_points(metric_reader)


@pytest.mark.parametrize("how", ["env", "argument"])
def test_metrics_can_be_turned_off(how, monkeypatch, tracer_provider, span_exporter):
    reader = InMemoryMetricReader()
    kwargs = {}
    if how == "env":
        monkeypatch.setenv("LANGCHAIN_OTEL_METRICS_ENABLED", "false")
    else:
        kwargs["metrics_enabled"] = False
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]), **kwargs
    )
    try:
        ChatScripted().invoke("hi")
    finally:
        instrumentor.uninstrument()

    assert metric_points(reader) == {}
    assert only_chat_span(span_exporter).attributes["gen_ai.usage.input_tokens"] == 11


def test_time_per_output_chunk_is_opt_in(monkeypatch, tracer_provider):
    monkeypatch.setenv("LANGCHAIN_OTEL_TIME_PER_CHUNK_METRIC", "true")
    reader = InMemoryMetricReader()
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider([reader]))
    try:
        chunks = list(ChatScripted(chunks=5).stream("hi"))
        ChatScripted().invoke("hi")  # not a stream: no chunk points
    finally:
        instrumentor.uninstrument()

    (point,) = metric_points(reader)["gen_ai.client.operation.time_per_output_chunk"]
    assert point.count == len(chunks) - 1
    assert point.explicit_bounds == DURATION_BUCKETS
    assert dict(point.attributes) == SCRIPTED


def test_default_stream_does_no_metric_work_per_chunk(monkeypatch, instrument, metric_reader):
    records = []
    original = _Histogram.record
    monkeypatch.setattr(
        _Histogram,
        "record",
        lambda self, *a, **k: (records.append(self.name), original(self, *a, **k)),
    )
    chunks = list(ChatScripted(chunks=10).stream("hi"))

    assert len(chunks) > 10
    assert sorted(records) == sorted(
        [
            "gen_ai.client.operation.duration",
            "gen_ai.client.operation.time_to_first_chunk",
            "gen_ai.client.token.usage",
            "gen_ai.client.token.usage",
        ]
    )


def exemplar_ids(point) -> set[tuple[int, int]]:
    return {(e.trace_id, e.span_id) for e in point.exemplars}


@pytest.mark.usefixtures("instrument")
@pytest.mark.parametrize("style", STYLES)
async def test_points_carry_the_chat_spans_ids_as_exemplars(span_exporter, metric_reader, style):
    # The SDK's default exemplar filter (trace_based) keeps a point's trace when it is
    # recorded in the context of a sampled span: every point links to its chat span.
    await Call(style)(ChatScripted(), "hi")

    span = only_chat_span(span_exporter)
    ids = {(span.context.trace_id, span.context.span_id)}
    points = metric_points(metric_reader)
    names = ["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]
    if "stream" in style:
        names.append("gen_ai.client.operation.time_to_first_chunk")
    assert set(points) == set(names)
    for name in names:
        for point in points[name]:
            assert exemplar_ids(point) == ids, name


def test_sampled_out_calls_record_points_without_exemplars(meter_provider, metric_reader):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(sampler=ALWAYS_OFF), meter_provider=meter_provider
    )
    try:
        ChatScripted().invoke("hi")
    finally:
        instrumentor.uninstrument()

    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert list(duration.exemplars) == []


def test_exemplar_filter_env_is_respected(monkeypatch, tracer_provider, span_exporter):
    monkeypatch.setenv("OTEL_METRICS_EXEMPLAR_FILTER", "always_off")
    reader = InMemoryMetricReader()
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    try:
        ChatScripted().invoke("hi")
    finally:
        instrumentor.uninstrument()

    (duration,) = metric_points(reader)["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert list(duration.exemplars) == []

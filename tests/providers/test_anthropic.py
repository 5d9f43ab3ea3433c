"""The real ChatAnthropic client against the loopback Anthropic Messages fake: exact attributes."""

from __future__ import annotations

import anthropic
import pytest
from langchain_anthropic import ChatAnthropic
from opentelemetry.trace import StatusCode

from langchain_otel.providers.anthropic import AnthropicMapper
from tests.fakes import anthropic as fake
from tests.helpers import (
    metric_points,
    only_chat_span,
    span_token_counts,
    stream_attributes,
    token_points,
    token_usage_points,
)
from tests.providers.helpers import client_span, error_span, get_weather, start_attributes, text

pytestmark = [
    pytest.mark.usefixtures("instrument"),
    pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning"),
]

SEED_MODEL = "claude-3-sonnet-20240229"
PARAMS = {"max_tokens": 512, "temperature": 0.3, "top_k": 40, "top_p": 0.9}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, usage: str = "plain", **kwargs) -> ChatAnthropic:
    options = {
        "model": SEED_MODEL,
        "base_url": server.url,
        "api_key": "sk-ant-test",
        "max_retries": 0,
        "default_headers": {fake.USAGE_HEADER: usage},
    }
    return ChatAnthropic(**{**options, **kwargs})


def expected(server, *, stream: bool, model: str = SEED_MODEL) -> dict:
    attributes = {
        **start_attributes(server, "anthropic", model, stream=stream),
        "gen_ai.request.max_tokens": 512,
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.top_k": 40.0,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": fake.served_model(model),
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 17,
        "gen_ai.usage.output_tokens": 296,
    }
    # LangChain drops the message id of a stream (message_start): no response id.
    if not stream:
        attributes["gen_ai.response.id"] = fake.MESSAGE_ID
    return attributes


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server, **PARAMS), "hi", stop=["END"])

    span = client_span(span_exporter, f"chat {SEED_MODEL}")
    assert text(answer).startswith("The oldest known cuneiform")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["id"] == fake.MESSAGE_ID
    assert call.attributes(span) == expected(server, stream=call.streaming)
    # anthropic >= 2.12 traces its calls (``anthropic.messages.create``) on the *global* tracer
    # provider only; with the explicit providers used here, ours is the only span.
    assert len(span_exporter.get_finished_spans()) == 1


CACHE_ATTRIBUTES = {
    # 17 uncached + 1024 read + 256 written: LangChain already adds the cache counts, once.
    "gen_ai.usage.input_tokens": 1297,
    "gen_ai.usage.output_tokens": 296,
    "gen_ai.usage.cache_read.input_tokens": 1024,
    "gen_ai.usage.cache_creation.input_tokens": 256,
}


@pytest.mark.parametrize("usage", ["cache", "cache-ttl"])
def test_invoke_cache_tokens_counted_once(server, span_exporter, usage):
    model = make_model(server, usage, model="claude-sonnet-4-5", max_tokens=512)
    message = model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert message.usage_metadata["input_tokens"] == 1297
    expected_attributes = {
        **start_attributes(server, "anthropic", "claude-sonnet-4-5"),
        "gen_ai.request.max_tokens": 512,
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.id": fake.MESSAGE_ID,
        "gen_ai.response.finish_reasons": ("end_turn",),
        **CACHE_ATTRIBUTES,
    }
    if usage == "cache-ttl":
        # The TTL split zeroes LangChain's cache_creation and reports 200 (5m) + 56 (1h).
        details = message.usage_metadata["input_token_details"]
        assert details["cache_creation"] == 0
        assert details["ephemeral_5m_input_tokens"] == 200
        assert details["ephemeral_1h_input_tokens"] == 56
        expected_attributes["gen_ai.usage.reasoning.output_tokens"] = 40
    assert dict(span.attributes) == expected_attributes


def test_stream_cache_ttl_tokens_and_metrics(server, span_exporter, metric_reader):
    model = make_model(server, "cache-ttl", model="claude-sonnet-4-5", max_tokens=512)
    chunks = list(model.stream("hi"))

    span = only_chat_span(span_exporter)
    usage = sum(chunks[1:], chunks[0]).usage_metadata
    assert usage["input_token_details"] == {
        "cache_read": 1024,
        "cache_creation": 0,
        "ephemeral_5m_input_tokens": 200,
        "ephemeral_1h_input_tokens": 56,
    }
    assert stream_attributes(span) == {
        **start_attributes(server, "anthropic", "claude-sonnet-4-5"),
        "gen_ai.request.max_tokens": 512,
        "gen_ai.request.stream": True,
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.reasoning.output_tokens": 40,
        **CACHE_ATTRIBUTES,
    }
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 1297, "output": 296}
    assert tokens["input"].count == tokens["output"].count == 1
    assert dict(tokens["input"].attributes) == {
        **start_attributes(server, "anthropic", "claude-sonnet-4-5"),
        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
        "gen_ai.token.type": "input",
    }


def test_tool_use_finish_reason(server, span_exporter):
    message = make_model(server).bind_tools([get_weather]).invoke("weather in Uruk?")

    span = only_chat_span(span_exporter)
    assert message.tool_calls[0]["name"] == "get_weather"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_use",)


def test_request_params_from_model_kwargs_and_call(server, span_exporter):
    # Unknown constructor params land in model_kwargs; call kwargs override both.
    model = make_model(server, max_tokens=512, stop_sequences=["STOP"], temperature=0.5)
    model.invoke("hi", temperature=0.1, top_k=5)

    span = only_chat_span(span_exporter)
    assert span.attributes["gen_ai.request.temperature"] == 0.1
    assert span.attributes["gen_ai.request.top_k"] == 5.0
    assert span.attributes["gen_ai.request.stop_sequences"] == ("STOP",)


def test_default_endpoint():
    model = ChatAnthropic(model=SEED_MODEL, api_key="sk-ant-test")
    assert AnthropicMapper().endpoint(model) == ("api.anthropic.com", 443)
    assert "_client" not in model.__dict__  # the lazy client was not created


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    model = make_model(server, model="error-429")
    with pytest.raises(anthropic.RateLimitError) as raised:
        model.invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert error_type == "langchain_anthropic.chat_models.AnthropicRateLimitError"
    attributes = dict(span.attributes)
    assert attributes == {
        **start_attributes(server, "anthropic", "error-429"),
        "gen_ai.request.max_tokens": attributes["gen_ai.request.max_tokens"],
        "error.type": error_type,
    }
    (event,) = span.events
    assert event.attributes["exception.type"] == error_type


async def test_astream_rate_limit_error(server, span_exporter):
    stream = make_model(server, model="error-429").astream("hi")
    with pytest.raises(anthropic.RateLimitError):
        await stream.__anext__()

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["gen_ai.request.stream"] is True
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes


def test_streaming_invoke_is_traced_as_a_stream(server, span_exporter, metric_reader):
    message = make_model(server, streaming=True, **PARAMS).invoke("hi", stop=["END"])

    span = only_chat_span(span_exporter)
    assert server.requests[-1].json()["stream"] is True
    assert message.content.startswith("The oldest known cuneiform")
    assert stream_attributes(span) == expected(server, stream=True)
    (ttfc,) = metric_points(metric_reader)["gen_ai.client.operation.time_to_first_chunk"]
    assert ttfc.count == 1


def test_2024_stream_without_input_count_reports_no_input_tokens(
    server, span_exporter, metric_reader
):
    # message_delta carries only output_tokens: the client then reports input_tokens = 0,
    # which Anthropic never bills. That is an unknown count, not a zero.
    chunks = list(
        make_model(server, usage="delta-output-only", **PARAMS).stream("hi", stop=["END"])
    )

    reported = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert sum(u["input_tokens"] for u in reported) == 0
    assert sum(u["output_tokens"] for u in reported) == 296
    attributes = {**expected(server, stream=True)}
    del attributes["gen_ai.usage.input_tokens"]
    assert stream_attributes(only_chat_span(span_exporter)) == attributes
    assert token_points(metric_reader) == {"output": 296}

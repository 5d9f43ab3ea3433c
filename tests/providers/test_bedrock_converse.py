"""The real ChatBedrockConverse client (Converse API) against the loopback Bedrock Runtime fake."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from opentelemetry.trace import StatusCode

from tests.fakes import bedrock as fake
from tests.helpers import (
    metric_points,
    only_chat_span,
    span_token_counts,
    stream_attributes,
    token_points,
    token_usage_points,
)
from tests.providers.helpers import client_span, error_span, get_weather, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument", "aws_env")

PARAMS = {
    "temperature": 0.3,
    "top_p": 0.9,
    "max_tokens": 512,
    "additional_model_request_fields": {"top_k": 40},
}
# What PARAMS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.3,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.max_tokens": 512,
    "gen_ai.request.top_k": 40.0,
}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, model_id: str = fake.SEED_MODEL, **kwargs) -> ChatBedrockConverse:
    options = {
        "model_id": model_id,
        "region_name": "us-east-1",
        "endpoint_url": server.url,
        "max_retries": 0,
        **PARAMS,
    }
    return ChatBedrockConverse(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    """The brief's Bedrock numbers (19 in / 371 out) through the Converse API."""
    return {
        **start_attributes(server, "aws.bedrock", fake.SEED_MODEL, stream=stream),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        # Converse reports no model: LangChain's model_name is the configured id.
        "gen_ai.response.model": fake.SEED_MODEL,
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 371,
    }


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, f"chat {fake.SEED_MODEL}")
    assert text(answer).startswith("The oldest known cuneiform")
    if call.streaming:
        assert len(answer) > 3
        assert server.requests[-1].path.endswith("/converse-stream")
    # The AWS RequestId is not a response id.
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_invoke_seed_numbers(server, span_exporter):
    message = make_model(server).invoke("hi", stop=["END"])

    span = only_chat_span(span_exporter)
    assert message.response_metadata["ResponseMetadata"]["RequestId"] == fake.REQUEST_ID
    assert dict(span.attributes) == expected(server, stream=False)
    assert "gen_ai.response.id" not in span.attributes
    body = server.requests[-1].json()
    assert body["inferenceConfig"] == {
        "maxTokens": 512,
        "temperature": 0.3,
        "topP": 0.9,
        "stopSequences": ["END"],
    }
    assert body["additionalModelRequestFields"] == {"top_k": 40}


def cache_expected(server) -> dict:
    return {
        **start_attributes(server, "aws.bedrock", fake.CACHE_MODEL),
        **REQUEST_ATTRIBUTES,
        "gen_ai.response.model": fake.CACHE_MODEL,
        "gen_ai.response.finish_reasons": ("end_turn",),
        # 19 uncached + 1024 read + 256 written (200 with a 5m TTL, 56 with 1h): counted once.
        "gen_ai.usage.input_tokens": 1299,
        "gen_ai.usage.output_tokens": 371,
        "gen_ai.usage.cache_read.input_tokens": 1024,
        "gen_ai.usage.cache_creation.input_tokens": 256,
    }


def test_invoke_cache_tokens_with_ttl_details(server, span_exporter):
    message = make_model(server, fake.CACHE_MODEL).invoke("hi")

    span = only_chat_span(span_exporter)
    assert message.usage_metadata["input_token_details"] == {
        "cache_read": 1024,
        "cache_creation": 0,
        "ephemeral_5m_input_tokens": 200,
        "ephemeral_1h_input_tokens": 56,
    }
    assert dict(span.attributes) == cache_expected(server)


def test_stream_cache_tokens_and_metrics(server, span_exporter, metric_reader):
    list(make_model(server, fake.CACHE_MODEL).stream("hi"))

    span = only_chat_span(span_exporter)
    assert stream_attributes(span) == {**cache_expected(server), "gen_ai.request.stream": True}
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 1299, "output": 371}
    assert tokens["input"].count == tokens["output"].count == 1
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == {
        **start_attributes(server, "aws.bedrock", fake.CACHE_MODEL),
        "gen_ai.response.model": fake.CACHE_MODEL,
    }


@pytest.mark.parametrize("streaming", [False, True])
def test_tool_use_finish_reason(server, span_exporter, streaming):
    model = make_model(server).bind_tools([get_weather])
    if streaming:
        chunks = list(model.stream("weather in Uruk?"))
        message = sum(chunks[1:], chunks[0])
    else:
        message = model.invoke("weather in Uruk?")

    span = only_chat_span(span_exporter)
    assert message.tool_calls[0]["name"] == "get_weather"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_use",)


def test_call_kwargs_override_fields(server, span_exporter):
    model = make_model(server)
    model.invoke(
        "hi",
        temperature=0.1,
        max_tokens=64,
        additional_model_request_fields={"top_k": 5},
        stop_sequences=["STOP"],
    )

    span = only_chat_span(span_exporter)
    body = server.requests[-1].json()
    assert body["inferenceConfig"]["temperature"] == 0.1
    assert body["additionalModelRequestFields"] == {"top_k": 5}
    assert span.attributes["gen_ai.request.temperature"] == 0.1
    assert span.attributes["gen_ai.request.max_tokens"] == 64
    assert span.attributes["gen_ai.request.top_p"] == 0.9
    assert span.attributes["gen_ai.request.top_k"] == 5.0
    assert span.attributes["gen_ai.request.stop_sequences"] == ("STOP",)


def test_explicit_inference_config_replaces_fields(server, span_exporter):
    make_model(server).invoke("hi", inference_config={"maxTokens": 100, "temperature": 0.0})

    span = only_chat_span(span_exporter)
    assert server.requests[-1].json()["inferenceConfig"] == {"maxTokens": 100, "temperature": 0.0}
    attributes = dict(span.attributes)
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.temperature"] == 0.0
    assert "gen_ai.request.top_p" not in attributes


def test_guardrail_id(server, span_exporter):
    guardrail = {"guardrailIdentifier": "gr-3kx8q1zt9w2m", "guardrailVersion": "DRAFT"}
    make_model(server, guardrails=guardrail).invoke("hi")

    span = only_chat_span(span_exporter)
    assert server.requests[-1].json()["guardrailConfig"]["guardrailIdentifier"] == (
        "gr-3kx8q1zt9w2m"
    )
    assert span.attributes["aws.bedrock.guardrail.id"] == "gr-3kx8q1zt9w2m"


def test_default_regional_endpoint(server, span_exporter):
    model = make_model(server, endpoint_url=None, region_name="eu-west-1")
    fake.send_to_loopback(model.client, server)
    model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.attributes["server.address"] == "bedrock-runtime.eu-west-1.amazonaws.com"
    assert span.attributes["server.port"] == 443


def test_throttling_error_is_reraised_unchanged(server, span_exporter):
    model = make_model(server, "anthropic.error-429")
    with pytest.raises(ClientError) as raised:
        model.invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert error_type == "botocore.errorfactory.ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert dict(span.attributes) == {
        **start_attributes(server, "aws.bedrock", "anthropic.error-429"),
        **REQUEST_ATTRIBUTES,
        "error.type": error_type,
    }


def test_stream_throttling_error(server, span_exporter):
    # An unknown model id is not "verified streaming-capable": without the override, langchain-aws
    # would fall back to a plain Converse request (and the span would rightly say so).
    model = make_model(server, "anthropic.error-429", disable_streaming=False)
    with pytest.raises(ClientError):
        next(model.stream("hi"))

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "botocore.errorfactory.ThrottlingException"
    assert span.attributes["gen_ai.request.stream"] is True
    assert server.requests[-1].path.endswith("/converse-stream")

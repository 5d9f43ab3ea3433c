"""The real ChatBedrock client (InvokeModel) against the loopback Bedrock Runtime fake."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from langchain_aws import ChatAnthropicBedrock, ChatAnthropicMantle, ChatBedrock
from opentelemetry.trace import StatusCode

from langchain_otel.providers import ChatRequest
from langchain_otel.providers.anthropic import AnthropicMapper
from tests.fakes import bedrock as fake
from tests.helpers import (
    only_chat_span,
    span_token_counts,
    stream_attributes,
    token_points,
    token_usage_points,
)
from tests.providers.helpers import client_span, error_span, get_weather, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument", "aws_env")

MODEL_KWARGS = {"temperature": 0.3, "max_tokens": 512, "top_k": 40}
# What MODEL_KWARGS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.3,
    "gen_ai.request.max_tokens": 512,
    "gen_ai.request.top_k": 40.0,
}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, model_id: str = fake.SEED_MODEL, **kwargs) -> ChatBedrock:
    options = {
        "model_id": model_id,
        "region_name": "us-east-1",
        "endpoint_url": server.url,
        "max_retries": 0,
        "model_kwargs": dict(MODEL_KWARGS),
    }
    return ChatBedrock(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    """The brief's Bedrock example: anthropic.claude-v2, 19 in / 371 out."""
    return {
        **start_attributes(server, "aws.bedrock", fake.SEED_MODEL, stream=stream),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        # InvokeModel: LangChain reports the requested model id; no response id at all.
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
        assert server.requests[-1].path.endswith("/invoke-with-response-stream")
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_invoke_seed_response(server, span_exporter):
    message = make_model(server).invoke("hi", stop=["END"])

    span = only_chat_span(span_exporter)
    assert message.response_metadata["usage"]["prompt_tokens"] == 19
    assert message.response_metadata["usage"]["completion_tokens"] == 371
    # LangChain turned the absent cache headers into 0s: they stay absent on the span.
    assert message.usage_metadata["input_token_details"] == {"cache_read": 0, "cache_creation": 0}
    assert dict(span.attributes) == expected(server, stream=False)
    assert "gen_ai.response.id" not in span.attributes
    body = server.requests[-1].json()
    assert (body["temperature"], body["max_tokens"], body["top_k"]) == (0.3, 512, 40)
    assert body["stop_sequences"] == ["END"]


CACHE_ATTRIBUTES = {
    # 19 uncached + 1024 read + 256 written: langchain-aws adds the cache counts, once.
    "gen_ai.usage.input_tokens": 1299,
    "gen_ai.usage.output_tokens": 371,
    "gen_ai.usage.cache_read.input_tokens": 1024,
    "gen_ai.usage.cache_creation.input_tokens": 256,
}


def cache_expected(server) -> dict:
    return {
        **start_attributes(server, "aws.bedrock", fake.CACHE_MODEL),
        **REQUEST_ATTRIBUTES,
        "gen_ai.response.model": fake.CACHE_MODEL,
        "gen_ai.response.finish_reasons": ("end_turn",),
        **CACHE_ATTRIBUTES,
    }


def test_invoke_cache_tokens_from_headers(server, span_exporter):
    message = make_model(server, fake.CACHE_MODEL).invoke("hi")

    span = only_chat_span(span_exporter)
    assert message.usage_metadata["input_tokens"] == 1299
    assert dict(span.attributes) == cache_expected(server)


def test_stream_cache_tokens_from_invocation_metrics_and_metrics(
    server, span_exporter, metric_reader
):
    list(make_model(server, fake.CACHE_MODEL).stream("hi"))

    span = only_chat_span(span_exporter)
    assert stream_attributes(span) == {**cache_expected(server), "gen_ai.request.stream": True}
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 1299, "output": 371}
    assert tokens["input"].count == tokens["output"].count == 1
    assert dict(tokens["output"].attributes) == {
        **start_attributes(server, "aws.bedrock", fake.CACHE_MODEL),
        "gen_ai.response.model": fake.CACHE_MODEL,
        "gen_ai.token.type": "output",
    }


def test_tool_use_finish_reason(server, span_exporter):
    message = make_model(server).bind_tools([get_weather]).invoke("weather in Uruk?")

    span = only_chat_span(span_exporter)
    assert message.tool_calls[0]["name"] == "get_weather"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_use",)


def test_request_params_fields_kwargs_and_model_kwargs(server, span_exporter):
    # Fields win over call kwargs (langchain-aws overwrites the body with them); call kwargs win
    # over model_kwargs.
    model = make_model(server, temperature=0.7, model_kwargs={"top_p": 0.8, "top_k": 10})
    model.invoke("hi", temperature=0.1, top_k=5)

    span = only_chat_span(span_exporter)
    body = server.requests[-1].json()
    assert (body["temperature"], body["top_k"], body["top_p"]) == (0.7, 5, 0.8)
    assert span.attributes["gen_ai.request.temperature"] == 0.7
    assert span.attributes["gen_ai.request.top_k"] == 5.0
    assert span.attributes["gen_ai.request.top_p"] == 0.8
    assert "gen_ai.request.max_tokens" not in span.attributes  # langchain-aws's 1024 default


def test_guardrail_id(server, span_exporter):
    guardrails = {"guardrailIdentifier": "gr-3kx8q1zt9w2m", "guardrailVersion": "1"}
    make_model(server, guardrails=guardrails).invoke("hi")

    span = only_chat_span(span_exporter)
    assert server.requests[-1].headers["x-amzn-bedrock-guardrailidentifier"] == "gr-3kx8q1zt9w2m"
    assert span.attributes["aws.bedrock.guardrail.id"] == "gr-3kx8q1zt9w2m"


def test_default_regional_endpoint(server, span_exporter):
    model = make_model(server, endpoint_url=None)
    fake.send_to_loopback(model.client, server)
    model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.attributes["server.address"] == "bedrock-runtime.us-east-1.amazonaws.com"
    assert span.attributes["server.port"] == 443


def test_throttling_error_is_reraised_unchanged(server, span_exporter):
    model = make_model(server, "anthropic.error-429")
    with pytest.raises(ClientError) as raised:
        model.invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert error_type == "botocore.errorfactory.ThrottlingException"
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert dict(span.attributes) == {
        **start_attributes(server, "aws.bedrock", "anthropic.error-429"),
        **REQUEST_ATTRIBUTES,
        "error.type": error_type,
    }
    (event,) = span.events
    assert event.attributes["exception.type"] == error_type


async def test_astream_throttling_error(server, span_exporter):
    stream = make_model(server, "anthropic.error-429").astream("hi")
    with pytest.raises(ClientError):
        await stream.__anext__()

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "botocore.errorfactory.ThrottlingException"
    assert span.attributes["gen_ai.request.stream"] is True


# -- ChatAnthropicBedrock / ChatAnthropicMantle: langchain-aws subclasses of ChatAnthropic ------
# They inherit ChatAnthropic's mapper but reach Claude through Bedrock, so they must not be
# reported as provider "anthropic" at api.anthropic.com (what their anthropic_api_url field says).


def anthropic_bedrock_expected(server, *, stream: bool) -> dict:
    attributes = {
        **start_attributes(server, "aws.bedrock", fake.SEED_MODEL, stream=stream),
        "gen_ai.request.max_tokens": 512,
        "gen_ai.request.temperature": 0.3,
        # The Messages body names the served model; its id is a response id (not the RequestId).
        "gen_ai.response.model": "claude-v2",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 371,
    }
    if not stream:
        attributes["gen_ai.response.id"] = fake.BODY_MESSAGE_ID
    return attributes


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_chat_anthropic_bedrock_is_bedrock(server, span_exporter, monkeypatch, call):
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", server.url)  # the SDK's own override
    model = ChatAnthropicBedrock(
        model=fake.SEED_MODEL,
        region_name="us-east-1",
        max_retries=0,
        max_tokens=512,
        temperature=0.3,
    )
    await call(model, "hi")

    span = only_chat_span(span_exporter)
    assert server.requests[-1].path.startswith(f"/model/{fake.SEED_MODEL}/invoke")
    assert call.attributes(span) == anthropic_bedrock_expected(server, stream=call.streaming)


@pytest.mark.parametrize(
    ("cls", "options", "endpoint"),
    [
        (ChatAnthropicBedrock, {}, ("bedrock-runtime.eu-west-1.amazonaws.com", 443)),
        (ChatAnthropicMantle, {"api_key": "k"}, ("bedrock-mantle.eu-west-1.api.aws", 443)),
        (
            ChatAnthropicMantle,
            {"api_key": "k", "base_url": "https://mantle.internal:8443/anthropic"},
            ("mantle.internal", 8443),
        ),
    ],
)
def test_claude_on_bedrock_endpoint_without_creating_clients(cls, options, endpoint):
    model = cls(model="claude-sonnet-4-5", region_name="eu-west-1", **options)
    mapper, attributes = AnthropicMapper().start(ChatRequest(model, {}))

    assert mapper.provider_name == attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert (attributes["server.address"], attributes["server.port"]) == endpoint
    assert "_client" not in model.__dict__
    assert "_async_client" not in model.__dict__

"""The real ChatTogether client (BaseChatOpenAI) against the loopback Together fake."""

from __future__ import annotations

import openai
import pytest
from langchain_together import ChatTogether

from langchain_otel.providers.together import TogetherMapper
from tests.fakes import together as fake
from tests.fakes.server import loopback_clients
from tests.helpers import (
    metric_points,
    only_chat_span,
    span_token_counts,
    stream_attributes,
    token_points,
    token_usage_points,
)
from tests.providers.helpers import client_span, error_span, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
PARAMS = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "seed": 7}
# What PARAMS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 50,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.seed": 7,
}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatTogether:
    options = {
        "model": MODEL,
        "base_url": f"{server.url}/v1",
        "api_key": "together-test-key",
        "max_retries": 0,
        "stream_usage": True,
        **PARAMS,
    }
    return ChatTogether(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    attributes = {
        # together_ai, although the answers say model_provider "openai".
        **start_attributes(server, "together_ai", MODEL, stream=stream),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": MODEL,  # the server's (Together echoes the request)
        "gen_ai.response.finish_reasons": ("eos",),
        "gen_ai.usage.input_tokens": 20,
        "gen_ai.usage.output_tokens": 208,
    }
    if not stream:
        # The Chat Completions stream carries no id through langchain-openai.
        attributes["gen_ai.response.id"] = fake.RESPONSE_ID
    return attributes  # no openai.* attributes: the provider is not OpenAI


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, f"chat {MODEL}")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["model_provider"] == "openai"
    assert call.attributes(span) == expected(server, stream=call.streaming)


@pytest.mark.parametrize("call", ["stream", "astream"], indirect=True)
async def test_stream_without_stream_usage_reports_no_tokens(
    call, server, span_exporter, metric_reader
):
    # langchain-together leaves stream_usage unset: no include_usage, so no usage on the wire.
    chunks = await call(make_model(server, stream_usage=None), "hi", stop=["END"])

    assert all(chunk.usage_metadata is None for chunk in chunks)
    without_tokens = {
        key: value
        for key, value in expected(server, stream=True).items()
        if not key.startswith("gen_ai.usage.")
    }
    assert stream_attributes(only_chat_span(span_exporter)) == without_tokens
    assert "gen_ai.client.token.usage" not in metric_points(metric_reader)


def test_default_endpoint_is_together(server, span_exporter):
    sync_client, async_client = loopback_clients(server)
    model = ChatTogether(
        model=MODEL, api_key="together-test-key", max_retries=0, http_client=sync_client,
        http_async_client=async_client,
    )  # fmt: skip
    assert model.together_api_base == "https://api.together.xyz/v1/"

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert attributes["gen_ai.provider.name"] == "together_ai"
    assert (attributes["server.address"], attributes["server.port"]) == ("api.together.xyz", 443)
    assert TogetherMapper().endpoint(model) == ("api.together.xyz", 443)


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    with pytest.raises(openai.RateLimitError) as raised:
        make_model(server, model="error-429").invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert error_type == "langchain_openai.chat_models.base.OpenAIRateLimitError"
    assert dict(span.attributes) == {
        **start_attributes(server, "together_ai", "error-429"),
        **REQUEST_ATTRIBUTES,
        "error.type": error_type,
    }


def test_metric_tokens_equal_span_tokens(server, span_exporter, metric_reader):
    make_model(server).invoke("hi")

    span = only_chat_span(span_exporter)
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 20, "output": 208}
    assert dict(tokens["input"].attributes) == {
        **start_attributes(server, "together_ai", MODEL),
        "gen_ai.response.model": MODEL,
        "gen_ai.token.type": "input",
    }

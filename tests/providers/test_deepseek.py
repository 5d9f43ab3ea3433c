"""ChatDeepSeek against the loopback fake speaking DeepSeek's OpenAI-compatible API."""

from __future__ import annotations

import functools

import openai
import pytest
from langchain_deepseek import ChatDeepSeek
from opentelemetry.trace import StatusCode

from langchain_otel.providers import ChatResponse
from langchain_otel.providers.deepseek import DeepSeekMapper
from tests.fakes import openai as fake
from tests.helpers import metric_points, only_chat_span, span_token_counts, token_points
from tests.providers.helpers import client_span, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

DEEPSEEK_ID = "930c60df-bf64-41c9-a88e-3ec75f81e00e"
DEEPSEEK_FINGERPRINT = "fp_8802369eaa_prod0623_fp8_kvcache"
# DeepSeek reports cache hits at the top level of usage, as a part of prompt_tokens.
DEEPSEEK_USAGE = {
    "prompt_tokens": 17,
    "completion_tokens": 164,
    "total_tokens": 181,
    "prompt_cache_hit_tokens": 12,
    "prompt_cache_miss_tokens": 5,
}
DEEPSEEK = fake.Flavor(
    response_id=DEEPSEEK_ID,
    served_model=lambda model: model,
    extras={"system_fingerprint": DEEPSEEK_FINGERPRINT},
    service_tier=False,
    usage=DEEPSEEK_USAGE,
)
PARAMS = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9}


@pytest.fixture(scope="module")
def fake_api():
    return functools.partial(fake.install, flavor=DEEPSEEK)


def make_model(server, **kwargs) -> ChatDeepSeek:
    options = {
        "model": "deepseek-chat",
        "base_url": f"{server.url}/v1",
        "api_key": "sk-deepseek-test",
        "max_retries": 0,
        **PARAMS,
    }
    return ChatDeepSeek(**{**options, **kwargs})


def expected(server, *, stream: bool, usage: bool = True) -> dict:
    attributes = {
        **start_attributes(server, "deepseek", "deepseek-chat", stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": "deepseek-chat",
        "gen_ai.response.finish_reasons": ("stop",),
    }
    if usage:
        attributes.update(
            {
                "gen_ai.usage.input_tokens": 17,
                "gen_ai.usage.output_tokens": 164,
                "gen_ai.usage.cache_read.input_tokens": 12,  # prompt_cache_hit_tokens
            }
        )
    if not stream:
        attributes["gen_ai.response.id"] = DEEPSEEK_ID
    return attributes


@pytest.mark.parametrize("stream_usage", [True, False])
async def test_call_styles(server, span_exporter, metric_reader, call, stream_usage):
    answer = await call(make_model(server, stream_usage=stream_usage), "hi", stop=["END"])

    span = client_span(span_exporter, "chat deepseek-chat")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["model_provider"] == "deepseek"
    # Usage reaches a stream only with stream_usage=True (langchain-deepseek never enables it).
    usage = stream_usage or not call.streaming
    assert call.attributes(span) == expected(server, stream=call.streaming, usage=usage)
    points = metric_points(metric_reader).get("gen_ai.client.token.usage", [])
    assert len(points) == (2 if usage else 0)


def test_endpoint_is_api_base_by_default():
    model = ChatDeepSeek(model="deepseek-chat", api_key="sk-deepseek-test")

    assert DeepSeekMapper().endpoint(model) == ("api.deepseek.com", 443)


def test_raw_cache_hits_when_langchain_did_not_fold_them():
    response = ChatResponse(
        metadata={"token_usage": {"prompt_tokens": 17, "prompt_cache_hit_tokens": 12}},
        usage={"input_tokens": 17, "output_tokens": 164, "total_tokens": 181},
        message_id=None,
        streaming=False,
    )

    assert DeepSeekMapper().usage_attributes(response) == {
        "gen_ai.usage.input_tokens": 17,
        "gen_ai.usage.output_tokens": 164,
        "gen_ai.usage.cache_read.input_tokens": 12,
    }


def test_rate_limit_error(server, span_exporter):
    with pytest.raises(openai.RateLimitError):
        make_model(server, model="error-429").invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == (
        "langchain_openai.chat_models.base.OpenAIRateLimitError"
    )
    assert span.attributes["gen_ai.provider.name"] == "deepseek"


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_token_metric_matches_span(server, span_exporter, metric_reader, call):
    await call(make_model(server, stream_usage=True), "hi")

    span = only_chat_span(span_exporter)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 17, "output": 164}
    for point in metric_points(metric_reader)["gen_ai.client.token.usage"]:
        assert point.attributes["gen_ai.provider.name"] == "deepseek"

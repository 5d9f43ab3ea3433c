"""ChatXAI against the loopback fake speaking xAI's OpenAI-compatible API: exact attributes."""

from __future__ import annotations

import functools

import openai
import pytest
from langchain_xai import ChatXAI
from opentelemetry.trace import StatusCode

from langchain_otel.providers.xai import XAIMapper
from tests.fakes import openai as fake
from tests.helpers import metric_points, only_chat_span, span_token_counts, token_points
from tests.providers.helpers import client_span, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

XAI_ID = "3f9c1a52-7d4e-4b8a-9c61-0e2d5b7a8f14"
XAI_FINGERPRINT = "fp_3a40ccc3a3"
# xAI counts reasoning outside completion_tokens: 9 + 7 + 2 = 18.
XAI_USAGE = {
    "prompt_tokens": 9,
    "completion_tokens": 7,
    "total_tokens": 18,
    "prompt_tokens_details": {
        "text_tokens": 9,
        "audio_tokens": 0,
        "image_tokens": 0,
        "cached_tokens": 6,
    },
    "completion_tokens_details": {
        "reasoning_tokens": 2,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
    "num_sources_used": 0,
}
XAI = fake.Flavor(
    response_id=XAI_ID,
    served_model=lambda model: f"{model}-0709",
    extras={"system_fingerprint": XAI_FINGERPRINT},
    service_tier=False,
    usage=XAI_USAGE,
)
PARAMS = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9}


@pytest.fixture(scope="module")
def fake_api():
    return functools.partial(fake.install, flavor=XAI)


def make_model(server, **kwargs) -> ChatXAI:
    options = {
        "model": "grok-4",
        "base_url": f"{server.url}/v1",
        "api_key": "xai-test-key",
        "max_retries": 0,
        **PARAMS,
    }
    return ChatXAI(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    attributes = {
        **start_attributes(server, "x_ai", "grok-4", stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.response.model": "grok-4-0709",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 9,
        # completion 7 + reasoning 2, counted once (langchain-xai adds it; we add nothing).
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 6,
        "gen_ai.usage.reasoning.output_tokens": 2,
    }
    # A stream has the usage too (stream_usage is on by default), but no response id.
    if not stream:
        attributes["gen_ai.response.id"] = XAI_ID
    return attributes


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi")

    span = client_span(span_exporter, "chat grok-4")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.usage_metadata["output_tokens"] == 9
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_endpoint_is_xai_api_base_by_default():
    model = ChatXAI(model="grok-4", api_key="xai-test-key")

    assert XAIMapper().endpoint(model) == ("api.x.ai", 443)


def test_responses_api(server, span_exporter):
    make_model(server, use_responses_api=True).invoke("hi")

    attributes = dict(only_chat_span(span_exporter).attributes)
    assert attributes["gen_ai.provider.name"] == "x_ai"
    assert attributes["gen_ai.response.id"] == fake.RESPONSES_ID
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert not [key for key in attributes if key.startswith("openai.")]


def test_rate_limit_error(server, span_exporter):
    with pytest.raises(openai.RateLimitError):
        make_model(server, model="error-429").invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == (
        "langchain_openai.chat_models.base.OpenAIRateLimitError"
    )
    assert span.attributes["gen_ai.provider.name"] == "x_ai"


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_token_metric_matches_span(server, span_exporter, metric_reader, call):
    await call(make_model(server), "hi")

    span = only_chat_span(span_exporter)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 9, "output": 9}
    for point in metric_points(metric_reader)["gen_ai.client.token.usage"]:
        assert point.attributes["gen_ai.provider.name"] == "x_ai"

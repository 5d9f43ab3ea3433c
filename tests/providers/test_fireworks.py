"""The real ChatFireworks client (fireworks SDK) against the loopback Fireworks fake."""

from __future__ import annotations

import pytest
from langchain_fireworks import ChatFireworks
from langchain_fireworks.chat_models import FireworksRateLimitError

from langchain_otel.providers.fireworks import FireworksMapper
from tests.fakes import fireworks as fake
from tests.helpers import only_chat_span, span_token_counts, token_points, token_usage_points
from tests.providers.helpers import client_span, error_span, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "accounts/fireworks/models/mixtral-8x7b-instruct"
# ChatFireworks has no top_p, top_k or seed field: they go with the call (or in model_kwargs).
CALL = {"stop": ["END"], "top_p": 0.9, "top_k": 40, "seed": 7}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatFireworks:
    options = {
        "model": MODEL,
        "base_url": server.url,
        "api_key": "fw-test-key",
        "max_retries": 0,
        "temperature": 0.2,
        "max_tokens": 200,
        "service_tier": "priority",
    }
    return ChatFireworks(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    # A stream's usage comes from the trailing usage chunk.
    return {
        **start_attributes(server, "fireworks_ai", MODEL, stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 200,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 40.0,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": MODEL,  # the requested one: the client reports no served model
        "gen_ai.response.finish_reasons": ("length",),
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 200,
        "gen_ai.usage.cache_read.input_tokens": 16,
        "gen_ai.usage.reasoning.output_tokens": 0,  # reported as 0, so 0 (not absent)
        "fireworks.response.service_tier": "priority",
    }  # never a gen_ai.response.id: the client keeps none


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", **CALL)

    span = client_span(span_exporter, f"chat {MODEL}")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["finish_reason"] == "length"
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_no_service_tier_when_the_server_reports_none(server, span_exporter):
    make_model(server, service_tier=None, max_tokens=None).invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert "fireworks.response.service_tier" not in attributes
    assert "gen_ai.request.max_tokens" not in attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_endpoint_follows_the_sdk_base_url_env(server, span_exporter, monkeypatch):
    # No base_url: the fireworks SDK reads FIREWORKS_BASE_URL, and so does the span.
    monkeypatch.setenv("FIREWORKS_BASE_URL", server.url)
    model = ChatFireworks(model=MODEL, api_key="fw-test-key", max_retries=0)
    assert model.fireworks_api_base is None

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", server.port)


def test_default_endpoint():
    model = ChatFireworks(model=MODEL, api_key="fw-test-key")
    assert FireworksMapper().endpoint(model) == ("api.fireworks.ai", 443)


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    with pytest.raises(FireworksRateLimitError) as raised:
        make_model(server, model="error-429").invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = "langchain_fireworks.chat_models.FireworksRateLimitError"
    assert raised.value.status_code == 429
    assert dict(span.attributes) == {
        **start_attributes(server, "fireworks_ai", "error-429"),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 200,
        "error.type": error_type,
    }


def test_metric_tokens_equal_span_tokens(server, span_exporter, metric_reader):
    list(make_model(server).stream("hi"))

    span = only_chat_span(span_exporter)
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 19, "output": 200}
    assert dict(tokens["input"].attributes) == {
        **start_attributes(server, "fireworks_ai", MODEL),
        "gen_ai.response.model": MODEL,
        "gen_ai.token.type": "input",
    }

"""The real ChatGroq client (groq SDK) against the loopback Groq fake: exact span attributes."""

from __future__ import annotations

from unittest.mock import MagicMock

import groq
import pytest
from langchain_groq import ChatGroq

from langchain_otel.providers.groq import GroqMapper
from tests.fakes import groq as fake
from tests.fakes.server import loopback_clients
from tests.helpers import only_chat_span, span_token_counts, token_points, token_usage_points
from tests.providers.helpers import client_span, error_span, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "mixtral-8x7b-32768"
# ChatGroq has no top_p or seed field: they go with the call (or in model_kwargs).
CALL = {"stop": ["END"], "top_p": 0.9, "seed": 7}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatGroq:
    options = {
        "model": MODEL,
        "base_url": server.url,
        "api_key": "gsk-test-key",
        "max_retries": 0,
        "temperature": 0.2,
        "max_tokens": 50,
    }
    return ChatGroq(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    attributes = {
        **start_attributes(server, "groq", MODEL, stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": MODEL,  # the requested one: the client reports no served model
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 22,
        "gen_ai.usage.output_tokens": 132,
    }
    # Streamed usage comes from x_groq.usage; langchain-groq keeps no timings from it.
    if not stream:
        # queue_time is null in the answer: absent, not 0.
        attributes["groq.usage.prompt_time"] = 0.022
        attributes["groq.usage.completion_time"] = 0.243
        attributes["groq.usage.total_time"] = 0.265
    return attributes  # never a gen_ai.response.id: x_groq.id is not kept by the client


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", **CALL)

    span = client_span(span_exporter, f"chat {MODEL}")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["token_usage"]["queue_time"] is None
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_timings_are_doubles_in_seconds(server, span_exporter):
    make_model(server).invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    timings = {k: v for k, v in attributes.items() if k.startswith("groq.")}
    assert timings == {
        "groq.usage.prompt_time": 0.022,
        "groq.usage.completion_time": 0.243,
        "groq.usage.total_time": 0.265,
    }
    assert all(type(value) is float for value in timings.values())


def test_model_kwargs_and_per_call_model(server, span_exporter):
    # Constructor extras land in model_kwargs and are sent; a per-call model is what is sent,
    # while the client's metadata still names the configured model.
    with pytest.warns(UserWarning, match="top_p"):
        model = make_model(server, top_p=0.5)
    message = model.invoke("hi", model="llama-3.1-8b-instant")

    attributes = only_chat_span(span_exporter).attributes
    assert message.response_metadata["model_name"] == MODEL
    assert attributes["gen_ai.request.top_p"] == 0.5
    assert attributes["gen_ai.request.model"] == "llama-3.1-8b-instant"
    assert attributes["gen_ai.response.model"] == "llama-3.1-8b-instant"


def test_endpoint_follows_the_sdk_base_url_env(server, span_exporter, monkeypatch):
    # No base_url: the groq SDK reads GROQ_BASE_URL, and so does the span (via the client).
    monkeypatch.setenv("GROQ_BASE_URL", server.url)
    model = ChatGroq(model=MODEL, api_key="gsk-test-key", max_retries=0)
    assert model.groq_api_base is None

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", server.port)


def test_default_endpoint(server, span_exporter):
    sync_client, async_client = loopback_clients(server)
    model = ChatGroq(
        model=MODEL, api_key="gsk-test-key", max_retries=0, http_client=sync_client,
        http_async_client=async_client,
    )  # fmt: skip

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("api.groq.com", 443)
    assert GroqMapper().endpoint(ChatGroq(model=MODEL, api_key="k")) == ("api.groq.com", 443)


def test_endpoint_with_an_odd_client_is_the_sdk_default():
    model = ChatGroq(model=MODEL, api_key="k", client=MagicMock(), async_client=MagicMock())
    assert GroqMapper().endpoint(model) == ("api.groq.com", 443)


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    with pytest.raises(groq.RateLimitError) as raised:
        make_model(server, model="error-429").invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    assert error_type == "groq.RateLimitError"
    assert dict(span.attributes) == {
        **start_attributes(server, "groq", "error-429"),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "error.type": error_type,
    }


def test_metric_tokens_equal_span_tokens(server, span_exporter, metric_reader):
    make_model(server).invoke("hi")

    span = only_chat_span(span_exporter)
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 22, "output": 132}
    # The timings stay on the span: they are never metric attributes.
    assert dict(tokens["output"].attributes) == {
        **start_attributes(server, "groq", MODEL),
        "gen_ai.response.model": MODEL,
        "gen_ai.token.type": "output",
    }

"""The real ChatMistralAI client (httpx + httpx-sse) against the loopback Mistral fake."""

from __future__ import annotations

import httpx
import pytest
from langchain_mistralai import ChatMistralAI

from langchain_otel.providers.mistralai import MistralAIMapper
from tests.fakes import mistralai as fake
from tests.helpers import only_chat_span, span_token_counts, token_points, token_usage_points
from tests.providers.helpers import client_span, error_span, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")

PARAMS = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9, "random_seed": 7}
# What PARAMS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 50,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.seed": 7,  # random_seed
}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatMistralAI:
    options = {
        "model": "mistral-small",
        "base_url": f"{server.url}/v1",
        "api_key": "mistral-test-key",
        "max_retries": 0,
        **PARAMS,
    }
    return ChatMistralAI(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    return {
        **start_attributes(server, "mistral_ai", "mistral-small", stream=stream),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        # invoke: the requested model stands in (the client echoes its configured one);
        # stream: the server's model from the final chunk. Mistral echoes the request.
        "gen_ai.response.model": "mistral-small",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 122,
    }  # never a gen_ai.response.id: Mistral's id is not kept by the client


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, "chat mistral-small")
    assert text(answer).startswith("The oldest known cuneiform")
    if call.streaming:
        assert len(answer) > 3
    assert call.attributes(span) == expected(server, stream=call.streaming)


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_per_call_model_and_client_defaults(call, server, span_exporter):
    # A per-call model is what the request sends; invoke's metadata still names the configured
    # one, so it must not become gen_ai.response.model. The client's own defaults for
    # temperature (0.7) and top_p (1) are sent with every request, so they are reported.
    model = ChatMistralAI(model="mistral-small", base_url=f"{server.url}/v1", api_key="k")
    answer = await call(model, "hi", model="mistral-large-latest")
    if not call.streaming:
        assert answer.response_metadata["model_name"] == "mistral-small"

    assert call.attributes(only_chat_span(span_exporter)) == {
        **start_attributes(server, "mistral_ai", "mistral-large-latest", stream=call.streaming),
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.top_p": 1.0,
        "gen_ai.response.model": "mistral-large-latest",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 122,
    }


def test_endpoint_follows_mistral_base_url_env(server, span_exporter, monkeypatch):
    monkeypatch.setenv("MISTRAL_BASE_URL", f"{server.url}/v1")
    model = ChatMistralAI(model="mistral-small", api_key="k", max_retries=0)

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", server.port)


def test_endpoint_defaults_to_the_public_api():
    model = ChatMistralAI(model="mistral-small", api_key="k")
    assert MistralAIMapper().endpoint(model) == ("api.mistral.ai", 443)


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    with pytest.raises(httpx.HTTPStatusError) as raised:
        make_model(server, model="error-429").invoke("hi")

    span = error_span(span_exporter, raised.value)
    assert raised.value.response.status_code == 429
    assert dict(span.attributes) == {
        **start_attributes(server, "mistral_ai", "error-429"),
        **REQUEST_ATTRIBUTES,
        "error.type": "httpx.HTTPStatusError",
    }
    (event,) = span.events
    assert event.attributes["exception.type"] == "httpx.HTTPStatusError"


def test_metric_tokens_equal_span_tokens(server, span_exporter, metric_reader):
    make_model(server).invoke("hi")

    span = only_chat_span(span_exporter)
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 19, "output": 122}
    assert dict(tokens["input"].attributes) == {
        **start_attributes(server, "mistral_ai", "mistral-small"),
        "gen_ai.response.model": "mistral-small",
        "gen_ai.token.type": "input",
    }

"""The real ChatOllama client (ollama SDK, NDJSON) against the loopback Ollama fake."""

from __future__ import annotations

import ollama
import pytest
from langchain_ollama import ChatOllama

from langchain_otel.providers.ollama import OllamaMapper
from tests.fakes import ollama as fake
from tests.helpers import (
    only_chat_span,
    span_token_counts,
    stream_attributes,
    token_points,
    token_usage_points,
)
from tests.providers.helpers import client_span, error_span, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "llama3.2"
PARAMS = {"temperature": 0.2, "num_predict": 50, "top_p": 0.9, "top_k": 40, "seed": 7}
# What PARAMS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 50,  # num_predict
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.top_k": 40.0,
    "gen_ai.request.seed": 7,
}
ANSWER_TOKENS = 10  # the fake counts one token per word


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatOllama:
    return ChatOllama(**{"model": MODEL, "base_url": server.url, **PARAMS, **kwargs})


def expected(server) -> dict:
    # Identical for invoke and stream: ChatOllama always streams (invoke aggregates the chunks).
    return {
        **start_attributes(server, "ollama", MODEL, stream=True),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": MODEL,  # the final NDJSON object's model
        "gen_ai.response.finish_reasons": ("stop",),  # done_reason
        "gen_ai.usage.input_tokens": fake.PROMPT_EVAL_COUNT,
        "gen_ai.usage.output_tokens": ANSWER_TOKENS,
    }  # never a gen_ai.response.id: Ollama has none


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, f"chat {MODEL}")
    assert server.requests[-1].json()["stream"] is True  # invoke streams on the wire too
    assert text(answer).startswith("The oldest known cuneiform")
    if call.streaming:
        assert len(answer) > 3
    # A streamed request: the client reports each chunk to LangChain, so invoke has a TTFC too.
    assert stream_attributes(span) == expected(server)


def test_invoke_without_streaming(server, span_exporter):
    make_model(server).invoke("hi", stop=["END"], stream=False)

    assert server.requests[-1].json()["stream"] is False
    # The one answer the client reports as a chunk is not a stream: no stream flag, no TTFC.
    attributes = dict(only_chat_span(span_exporter).attributes)
    assert attributes == {k: v for k, v in expected(server).items() if k != "gen_ai.request.stream"}


def test_num_predict_cut_is_a_length_finish(server, span_exporter):
    make_model(server, num_predict=4).invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert attributes["gen_ai.request.max_tokens"] == 4
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.usage.output_tokens"] == 4


def test_options_kwarg_replaces_the_model_options(server, span_exporter):
    # ``options`` replaces every option field (and the stop argument) in the request.
    options = {"temperature": 0.5, "num_predict": 4, "frequency_penalty": 0.3}
    make_model(server).invoke("hi", stop=["END"], options=options)

    assert server.requests[-1].json()["options"] == options
    attributes = stream_attributes(only_chat_span(span_exporter))
    assert attributes == {
        **start_attributes(server, "ollama", MODEL, stream=True),
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 4,
        "gen_ai.request.frequency_penalty": 0.3,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("length",),
        "gen_ai.usage.input_tokens": fake.PROMPT_EVAL_COUNT,
        "gen_ai.usage.output_tokens": 4,
    }


def test_endpoint_follows_ollama_host(server, span_exporter, monkeypatch):
    # No base_url: the client uses OLLAMA_HOST (scheme-less is http), and so does the span.
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.port}")
    model = ChatOllama(model=MODEL)
    assert model.base_url is None

    model.invoke("hi")

    attributes = only_chat_span(span_exporter).attributes
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", server.port)


@pytest.mark.parametrize(
    ("base_url", "ollama_host", "endpoint"),
    [
        (None, None, ("127.0.0.1", 11434)),
        (None, "gpu-box", ("gpu-box", 11434)),  # Ollama's default port, not HTTPS's 443
        ("gpu-box:8080", "elsewhere", ("gpu-box", 8080)),
        # langchain-ollama drops a scheme-less base_url without a port: so does the client.
        ("gpu-box", None, ("127.0.0.1", 11434)),
        ("https://ollama.example.com", None, ("ollama.example.com", 443)),
        ("http://user:secret@ollama.internal:8080", None, ("ollama.internal", 8080)),
    ],
)
def test_endpoint_is_where_the_client_goes(base_url, ollama_host, endpoint, monkeypatch):
    if ollama_host is not None:
        monkeypatch.setenv("OLLAMA_HOST", ollama_host)
    model = ChatOllama(model=MODEL, base_url=base_url)

    assert OllamaMapper().endpoint(model) == endpoint


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter):
    with pytest.raises(ollama.ResponseError) as raised:
        make_model(server, model="error-429").invoke("hi")

    span = error_span(span_exporter, raised.value)
    assert raised.value.status_code == 429
    assert dict(span.attributes) == {
        **start_attributes(server, "ollama", "error-429", stream=True),
        **REQUEST_ATTRIBUTES,
        "langchain_otel.stream.chunk_count": 0,  # a streamed request that failed before a chunk
        "error.type": "ollama._types.ResponseError",
    }


def test_metric_tokens_equal_span_tokens(server, span_exporter, metric_reader):
    make_model(server).invoke("hi")

    span = only_chat_span(span_exporter)
    tokens = token_usage_points(metric_reader)
    assert token_points(metric_reader) == span_token_counts(span)
    assert span_token_counts(span) == {"input": fake.PROMPT_EVAL_COUNT, "output": ANSWER_TOKENS}
    assert dict(tokens["input"].attributes) == {
        **start_attributes(server, "ollama", MODEL),
        "gen_ai.response.model": MODEL,
        "gen_ai.token.type": "input",
    }

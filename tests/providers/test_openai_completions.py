"""langchain_openai.OpenAI (a ``BaseLLM``, the Completions API) against the loopback fake."""

from __future__ import annotations

import json

import openai
import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_openai import AzureOpenAI, OpenAI
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.helpers import metric_points, only_span, operation_spans, stream_attributes, token_points
from tests.providers.helpers import client_span, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "gpt-3.5-turbo-instruct"


@pytest.fixture(scope="module")
def fake_api():
    def install(server):
        fake.install(server)
        fake.install_azure(server, fake.OPENAI)

    return install


def make_model(server, **kwargs) -> OpenAI:
    options = {
        "model": MODEL,
        "base_url": f"{server.url}/v1",
        "api_key": "sk-test-key",
        "max_retries": 0,
        "max_tokens": 50,
        "temperature": 0.2,
        "seed": 7,
    }
    return OpenAI(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    attributes = {
        **start_attributes(server, "openai", MODEL, "text_completion", stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.seed": 7,
        "gen_ai.request.top_p": 1.0,  # the class's defaults are sent: they are reported
        "gen_ai.request.frequency_penalty": 0.0,
        "gen_ai.request.presence_penalty": 0.0,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.finish_reasons": ("stop",),
        # LangChain reports the configured model, no response id.
        "gen_ai.response.model": MODEL,
    }
    # No usage on a stream: LangChain does not ask for it.
    if not stream:
        attributes["gen_ai.usage.input_tokens"] = fake.COMPLETION_USAGE["prompt_tokens"]
        attributes["gen_ai.usage.output_tokens"] = fake.COMPLETION_USAGE["completion_tokens"]
    return attributes


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, f"text_completion {MODEL}")
    assert text(answer) == fake.ANSWER
    if call.streaming:
        assert server.requests[-1].json()["stream"] is True
    # langchain-openai's async path drops the system fingerprint; the streams report none.
    fingerprint = {"openai.response.system_fingerprint": fake.FINGERPRINT}
    assert call.attributes(span) == {
        **expected(server, stream=call.streaming),
        **(fingerprint if call.style == "invoke" else {}),
    }


def test_streaming_invoke(server, span_exporter):
    """``streaming=True``: invoke streams on the wire; the chunks reach the request's run
    manager, so the span is a stream with a time to first chunk."""
    make_model(server, streaming=True).invoke("hi", stop=["END"])

    span = only_span(span_exporter, "text_completion")
    assert stream_attributes(span) == expected(server, stream=True)


def test_generate_sends_one_request_for_all_prompts(server, span_exporter):
    before = len(server.requests)
    result = make_model(server).generate(["hi", "ho"], stop=["END"])

    assert len(result.generations) == 2
    assert len(server.requests) - before == 1
    assert dict(only_span(span_exporter, "text_completion").attributes) == {
        **expected(server, stream=False),
        "gen_ai.response.finish_reasons": ("stop", "stop"),  # one per choice
        "openai.response.system_fingerprint": fake.FINGERPRINT,
    }


def test_batch_is_one_generate_call(server, span_exporter):
    make_model(server).batch(["hi", "ho", "ha"], stop=["END"])

    assert len(operation_spans(span_exporter, "text_completion")) == 1


def test_truncated_answer(server, span_exporter):
    make_model(server, max_tokens=3).invoke("hi")

    span = only_span(span_exporter, "text_completion")
    assert span.attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert span.attributes["gen_ai.request.max_tokens"] == 3


async def test_error(server, span_exporter, metric_reader, call):
    with pytest.raises(openai.RateLimitError):
        await call(make_model(server, model="error-429"), "hi")

    span = only_span(span_exporter, "text_completion")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "openai.RateLimitError"
    assert "gen_ai.response.finish_reasons" not in span.attributes
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert point.attributes["gen_ai.operation.name"] == "text_completion"
    assert point.attributes["error.type"] == "openai.RateLimitError"


def test_metrics(server, span_exporter, metric_reader):
    make_model(server).invoke("hi")

    points = metric_points(metric_reader)
    base = {
        **start_attributes(server, "openai", MODEL, "text_completion"),
        "gen_ai.response.model": MODEL,
    }
    (duration,) = points["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == base
    assert token_points(metric_reader) == {"input": 5, "output": 12}


def test_cache_hit_makes_no_span(server, span_exporter):
    set_llm_cache(InMemoryCache())
    try:
        model = make_model(server)
        model.invoke("cached")
        model.invoke("cached")
    finally:
        set_llm_cache(None)

    # The second call made no request.
    assert len(operation_spans(span_exporter, "text_completion")) == 1


def test_content_capture(server, span_exporter, tracer_provider, meter_provider, monkeypatch):
    from langchain_otel import LangChainInstrumentor  # noqa: PLC0415

    LangChainInstrumentor().uninstrument()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    LangChainInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    model = make_model(server)
    model.invoke("Where was cuneiform invented?")
    list(model.stream("Where?"))

    invoke_span, stream_span = operation_spans(span_exporter, "text_completion")
    answer = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": fake.ANSWER}],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(invoke_span.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Where was cuneiform invented?"}]}
    ]
    assert json.loads(invoke_span.attributes["gen_ai.output.messages"]) == answer
    assert json.loads(stream_span.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Where?"}]}
    ]
    assert json.loads(stream_span.attributes["gen_ai.output.messages"]) == answer


def make_azure(server, **kwargs) -> AzureOpenAI:
    options = {
        "azure_endpoint": server.url,
        "deployment_name": "prod-instruct",
        "api_version": "2024-10-21",
        "api_key": "azure-test-key",
        "max_retries": 0,
        "max_tokens": 50,
    }
    return AzureOpenAI(**{**options, **kwargs})


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_azure(server, span_exporter, call):
    await call(make_azure(server), "hi")

    span = only_span(span_exporter, "text_completion")
    assert server.requests[-1].path == "/openai/deployments/prod-instruct/completions"
    assert span.name == "text_completion prod-instruct"
    expected_attributes = {
        # No model configured: the deployment is the request model.
        **start_attributes(server, "azure.ai.openai", "prod-instruct", "text_completion"),
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 1.0,
        "gen_ai.request.frequency_penalty": 0.0,
        "gen_ai.request.presence_penalty": 0.0,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.response.model": "prod-instruct",
    }
    if call.streaming:
        expected_attributes["gen_ai.request.stream"] = True
    else:
        expected_attributes["gen_ai.usage.input_tokens"] = 5
        expected_attributes["gen_ai.usage.output_tokens"] = 12
    assert call.attributes(span) == expected_attributes  # no openai.* attributes on Azure

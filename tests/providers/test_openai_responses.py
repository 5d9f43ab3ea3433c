"""ChatOpenAI on the Responses API against the loopback fake: exact attributes, derived finish."""

from __future__ import annotations

import openai
import pytest
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from opentelemetry.trace import StatusCode

from langchain_otel.providers import ChatResponse
from langchain_otel.providers.openai import OpenAIMapper
from tests.fakes import openai as fake
from tests.helpers import metric_points, only_chat_span, span_token_counts, token_points
from tests.providers.helpers import (
    OPENAI_USAGE_ATTRIBUTES,
    client_span,
    error_span,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument")

PARAMS = {"temperature": 0.2, "top_p": 0.9, "max_tokens": 50}


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return "sunny"


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatOpenAI:
    options = {
        "model": "gpt-4.1",
        "base_url": f"{server.url}/v1",
        "api_key": "sk-test-key",
        "max_retries": 0,
        "use_responses_api": True,
        **PARAMS,
    }
    return ChatOpenAI(**{**options, **kwargs})


def expected(server, *, stream: bool, finish: str = "stop", model: str = "gpt-4.1") -> dict:
    return {
        **start_attributes(server, "openai", model, stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.response.model": fake.served_model(model),
        # The Responses API has no finish_reason: derived from status / incomplete_details.
        "gen_ai.response.finish_reasons": (finish,),
        # resp_... is on the answer in both modes (the stream's response.created event).
        "gen_ai.response.id": fake.RESPONSES_ID,
        **OPENAI_USAGE_ATTRIBUTES,
        "openai.response.service_tier": "default",
        "openai.api.type": "responses",
    }


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, "chat gpt-4.1")
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.id == fake.RESPONSES_ID
        assert answer.response_metadata["object"] == "response"
    # No stop sequences: LangChain drops ``stop`` from Responses API requests.
    assert call.attributes(span) == expected(server, stream=call.streaming)


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_max_output_tokens_is_length(server, span_exporter, style):
    model = make_model(server, max_tokens=4)
    if style == "invoke":
        assert model.invoke("hi").response_metadata["status"] == "incomplete"
    else:
        list(model.stream("hi"))

    attributes = dict(only_chat_span(span_exporter).attributes)
    assert attributes["gen_ai.request.max_tokens"] == 4
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.usage.output_tokens"] == 4


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_content_filter_is_content_filter(server, span_exporter, style):
    model = make_model(server)
    if style == "invoke":
        model.invoke(fake.CONTENT_FILTER_PROMPT)
    else:
        list(model.stream(fake.CONTENT_FILTER_PROMPT))

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert span.attributes["gen_ai.usage.output_tokens"] == 0


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_function_call_is_tool_calls(server, span_exporter, style):
    model = make_model(server).bind_tools([get_weather])
    if style == "invoke":
        assert model.invoke("weather in Uruk?").tool_calls[0]["name"] == "get_weather"
    else:
        list(model.stream("weather in Uruk?"))

    attributes = dict(only_chat_span(span_exporter).attributes)
    # Same value as Chat Completions gives the same ChatOpenAI (and the official OpenAI
    # instrumentation gives a Responses API function call).
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attributes["openai.api.type"] == "responses"


def test_failed_response_is_an_error_span(server, span_exporter):
    with pytest.raises(ValueError, match="server_error") as raised:
        make_model(server).invoke(fake.SERVER_FAILURE_PROMPT)

    span = error_span(span_exporter, raised.value)
    assert span.attributes["error.type"] == "ValueError"
    # LangChain raises before building a message: nothing of the answer is readable.
    assert "gen_ai.response.id" not in span.attributes
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert span.attributes["openai.api.type"] == "responses"  # from the request


def test_failed_response_stream_keeps_the_response_id(server, span_exporter):
    with pytest.raises(ValueError, match="server_error"):
        list(make_model(server).stream(fake.SERVER_FAILURE_PROMPT))

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"
    # response.created arrived before response.failed.
    assert span.attributes["gen_ai.response.id"] == fake.RESPONSES_ID
    assert "gen_ai.response.finish_reasons" not in span.attributes


def test_rate_limit_error(server, span_exporter):
    with pytest.raises(openai.RateLimitError):
        make_model(server, model="error-429").invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == (
        "langchain_openai.chat_models.base.OpenAIRateLimitError"
    )
    assert span.attributes["openai.api.type"] == "responses"
    assert "gen_ai.response.model" not in span.attributes  # nothing came back


def test_model_routed_automatically_is_detected(server, span_exporter):
    # Codex models go to the Responses API without use_responses_api.
    model = make_model(server, model="gpt-5.1-codex", use_responses_api=None, temperature=None)
    message = model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert server.requests[-1].path == "/v1/responses"
    assert message.response_metadata["object"] == "response"
    assert span.attributes["openai.api.type"] == "responses"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.response.id"] == fake.RESPONSES_ID


def test_call_routed_by_a_builtin_tool_is_detected(server, span_exporter):
    # Per-call routing: a built-in tool sends this one call to the Responses API.
    model = make_model(server, use_responses_api=None).bind_tools([{"type": "web_search"}])
    model.invoke("news about Uruk?", stop=["END"])

    attributes = dict(only_chat_span(span_exporter).attributes)
    assert server.requests[-1].path == "/v1/responses"
    assert attributes["openai.api.type"] == "responses"
    assert "gen_ai.request.stop_sequences" not in attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_same_model_on_chat_completions(server, span_exporter):
    make_model(server, use_responses_api=False).invoke("hi", stop=["END"])

    attributes = dict(only_chat_span(span_exporter).attributes)
    assert attributes["openai.api.type"] == "chat_completions"
    assert attributes["gen_ai.request.stop_sequences"] == ("END",)
    assert attributes["gen_ai.response.id"] == fake.RESPONSE_ID


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_token_metric_matches_span(server, span_exporter, metric_reader, call):
    await call(make_model(server), "hi")

    span = only_chat_span(span_exporter)
    assert token_points(metric_reader) == span_token_counts(span) == {"input": 17, "output": 164}
    for point in metric_points(metric_reader)["gen_ai.client.token.usage"]:
        assert point.attributes["gen_ai.provider.name"] == "openai"
        assert point.attributes["gen_ai.response.model"] == "gpt-4.1-2024-07-18"


@pytest.mark.parametrize(
    ("status", "details", "tool_calls", "reasons"),
    [
        ("completed", None, False, ["stop"]),
        ("completed", None, True, ["tool_calls"]),
        ("incomplete", {"reason": "max_output_tokens"}, False, ["length"]),
        ("incomplete", {"reason": "content_filter"}, False, ["content_filter"]),
        ("incomplete", {"reason": "max_messages"}, False, ["max_messages"]),
        ("incomplete", None, False, ["incomplete"]),
        ("failed", None, False, ["error"]),
        ("cancelled", None, False, ["error"]),
        ("queued", None, False, []),
        ("in_progress", None, False, []),
    ],
)
def test_finish_reason_table(status, details, tool_calls, reasons):
    metadata = {"object": "response", "status": status, "incomplete_details": details}
    response = ChatResponse(metadata, None, fake.RESPONSES_ID, False, tool_calls=tool_calls)

    assert OpenAIMapper().finish_reasons(response) == reasons

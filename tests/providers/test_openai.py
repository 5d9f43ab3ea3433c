"""The real ChatOpenAI client against the loopback OpenAI fake: exact span attributes."""

from __future__ import annotations

import openai
import pytest
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.helpers import only_chat_span
from tests.providers.helpers import client_span, error_span, make_model, openai_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")


def expected(server, *, stream: bool) -> dict:
    """A call with PARAMS and ``stop=["END"]``."""
    return {
        **openai_attributes(server, stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.seed": 7,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("END",),
    }


PARAMS = {"temperature": 0.2, "max_tokens": 50, "seed": 7, "top_p": 0.9}


async def test_call_styles(fake_server, span_exporter, call):
    answer = await call(make_model(fake_server, **PARAMS), "hi", stop=["END"])

    span = client_span(span_exporter, "chat gpt-4o-mini")
    assert text(answer).startswith("The oldest known cuneiform")
    if call.streaming:
        assert len(answer) > 3
    assert call.attributes(span) == expected(fake_server, stream=call.streaming)


def test_rate_limit_error_is_reraised_unchanged(fake_server, span_exporter):
    model = make_model(fake_server, model="error-429")
    with pytest.raises(openai.RateLimitError) as raised:
        model.invoke("hi")

    span = error_span(span_exporter, raised.value)
    error_type = f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    # Content capture is off: the provider's message (which can echo the prompt) stays out.
    assert span.status.description == (
        "OpenAIRateLimitError: status_code=429, code=rate_limit_exceeded, type=requests"
    )
    assert span.attributes["error.type"] == error_type
    assert error_type == "langchain_openai.chat_models.base.OpenAIRateLimitError"
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == error_type
    # No answer came back: nothing says which model would have served it.
    assert "gen_ai.response.model" not in span.attributes


def test_stream_error_surfaces_on_first_next(fake_server, span_exporter):
    stream = make_model(fake_server, model="error-500").stream("hi")
    assert span_exporter.get_finished_spans() == ()  # lazy: nothing sent yet
    with pytest.raises(openai.InternalServerError) as raised:
        next(stream)

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == (
        f"{type(raised.value).__module__}.{type(raised.value).__qualname__}"
    )
    assert span.attributes["gen_ai.request.stream"] is True
    assert "gen_ai.response.time_to_first_chunk" not in span.attributes


@pytest.mark.parametrize("tier", [None, "auto", "default"])
def test_request_service_tier_only_when_set_and_not_auto(fake_server, span_exporter, tier):
    make_model(fake_server, service_tier=tier).invoke("hi")

    attributes = dict(only_chat_span(span_exporter).attributes)
    if tier == "default":
        assert attributes["openai.request.service_tier"] == "default"
    else:
        assert "openai.request.service_tier" not in attributes
    assert attributes["openai.response.service_tier"] == "default"
    assert attributes["openai.response.system_fingerprint"] == fake.FINGERPRINT


@pytest.mark.parametrize("style", ["invoke", "stream"])
@pytest.mark.parametrize("tier", ["priority", "flex"])
def test_priority_and_flex_usage_keys_are_summed(fake_server, span_exporter, tier, style):
    # On these tiers langchain-openai renames the details (priority_cache_read, flex_reasoning)
    # and adds a tier count (priority: input minus cache reads): only the renamed ones count.
    model = make_model(fake_server)
    if style == "invoke":
        message = model.invoke("hi", service_tier=tier)
        assert message.usage_metadata["input_token_details"][f"{tier}_cache_read"] == 5
    else:
        list(model.stream("hi", service_tier=tier))

    attributes = dict(only_chat_span(span_exporter).attributes)
    assert attributes["openai.request.service_tier"] == tier
    assert attributes["openai.response.service_tier"] == tier
    assert attributes["gen_ai.usage.input_tokens"] == 17
    assert attributes["gen_ai.usage.output_tokens"] == 164
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 5
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 3

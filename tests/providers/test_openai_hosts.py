"""ChatOpenAI pointed at OpenAI-compatible hosts: the provider follows the host, endpoint is real.

The model is configured with the provider's real https URL; loopback httpx clients carry the bytes
to the fake, so host detection and ``server.address`` see exactly what a user's client would.
"""

from __future__ import annotations

import openai
import pytest
from langchain_openai import ChatOpenAI
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.fakes.server import loopback_clients
from tests.helpers import metric_points, only_chat_span, span_token_counts, token_points
from tests.providers.helpers import OPENAI_USAGE_ATTRIBUTES

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "llama-3.3-70b"

# base URL -> (gen_ai.provider.name, server.address)
HOSTS = {
    "https://api.together.xyz/v1": ("together_ai", "api.together.xyz"),
    "https://api.fireworks.ai/inference/v1": ("fireworks_ai", "api.fireworks.ai"),
    "https://api.groq.com/openai/v1": ("groq", "api.groq.com"),
    "https://api.mistral.ai/v1": ("mistral_ai", "api.mistral.ai"),
    "https://api.deepseek.com/v1": ("deepseek", "api.deepseek.com"),
    "https://api.x.ai/v1": ("x_ai", "api.x.ai"),
}


@pytest.fixture(scope="module")
def fake_api():
    def install(server):
        for prefix in ("/v1", "/inference/v1", "/openai/v1"):
            fake.install(server, prefix=prefix)

    return install


def make_model(server, base_url: str | None, **kwargs) -> ChatOpenAI:
    http_client, http_async_client = loopback_clients(server)
    options = {
        "model": MODEL,
        "api_key": "sk-test-key",
        "max_retries": 0,
        "stream_usage": True,
        "temperature": 0.5,
        "http_client": http_client,
        "http_async_client": http_async_client,
    }
    if base_url is not None:
        options["base_url"] = base_url
    return ChatOpenAI(**{**options, **kwargs})


def expected(provider: str, address: str, *, stream: bool, port: int = 443) -> dict:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": MODEL,
        "server.address": address,
        "server.port": port,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.response.model": fake.served_model(MODEL),
        "gen_ai.response.finish_reasons": ("stop",),
        **OPENAI_USAGE_ATTRIBUTES,
    }
    if stream:
        attributes["gen_ai.request.stream"] = True
    else:
        attributes["gen_ai.response.id"] = fake.RESPONSE_ID
    return attributes


OPENAI_ONLY = {
    "openai.response.system_fingerprint": fake.FINGERPRINT,
    "openai.response.service_tier": "default",
    "openai.api.type": "chat_completions",
}


@pytest.mark.parametrize("base_url", list(HOSTS))
async def test_known_host_names_the_provider(server, span_exporter, base_url, call):
    provider, address = HOSTS[base_url]
    answer = await call(make_model(server, base_url), "hi")

    span = only_chat_span(span_exporter)
    if call.streaming:
        assert len(answer) > 3
    # The host's provider: no openai.* attributes although the answer is OpenAI-shaped.
    assert call.attributes(span) == expected(provider, address, stream=call.streaming)


async def test_unknown_host_stays_openai_with_its_endpoint(server, span_exporter, call):
    answer = await call(make_model(server, "https://llm.internal.example:8443/v1"), "hi")

    span = only_chat_span(span_exporter)
    if call.streaming:
        assert len(answer) > 3
    base = expected("openai", "llm.internal.example", stream=call.streaming, port=8443)
    assert call.attributes(span) == {**base, **OPENAI_ONLY}


def test_default_endpoint_is_api_openai_com(server, span_exporter):
    make_model(server, None).invoke("hi")

    span = only_chat_span(span_exporter)
    assert dict(span.attributes) == {
        **expected("openai", "api.openai.com", stream=False),
        **OPENAI_ONLY,
    }


def test_compatible_host_gets_no_openai_service_tier(server, span_exporter):
    model = make_model(server, "https://api.groq.com/openai/v1", service_tier="flex")
    message = model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert message.response_metadata["service_tier"] == "flex"
    assert not [key for key in span.attributes if key.startswith("openai.")]
    assert span.attributes["gen_ai.provider.name"] == "groq"


async def test_credentials_in_the_base_url_reach_no_attribute(
    server, span_exporter, metric_reader, call
):
    model = make_model(server, "https://alice:s3cr3t-token@llm.internal.example/v1")
    assert "s3cr3t" in str(model.root_client.base_url)  # the client really holds them
    answer = await call(model, "hi")
    if call.streaming:
        assert len(answer) > 3

    span = only_chat_span(span_exporter)
    assert span.attributes["server.address"] == "llm.internal.example"
    assert span.attributes["server.port"] == 443
    values = [span.name, *(str(v) for v in span.attributes.values())]
    for points in metric_points(metric_reader).values():
        for point in points:
            values.extend(str(v) for v in point.attributes.values())
    assert not [v for v in values if "s3cr3t" in v or "alice" in v]


def test_error_on_a_known_host(server, span_exporter):
    model = make_model(server, "https://api.together.xyz/v1", model="error-429")
    with pytest.raises(openai.RateLimitError):
        model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["gen_ai.provider.name"] == "together_ai"
    assert span.attributes["server.address"] == "api.together.xyz"
    assert span.attributes["error.type"] == (
        "langchain_openai.chat_models.base.OpenAIRateLimitError"
    )
    assert not [key for key in span.attributes if key.startswith("openai.")]


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_token_metric_matches_span(server, span_exporter, metric_reader, call):
    await call(make_model(server, "https://api.fireworks.ai/inference/v1"), "hi")

    span = only_chat_span(span_exporter)
    assert token_points(metric_reader) == span_token_counts(span)
    for point in metric_points(metric_reader)["gen_ai.client.token.usage"]:
        assert point.attributes["gen_ai.provider.name"] == "fireworks_ai"
        assert point.attributes["server.address"] == "api.fireworks.ai"

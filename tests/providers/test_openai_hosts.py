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
from tests.fakes.server import FakeServer, loopback_clients
from tests.helpers import metric_points, only_chat_span

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
def server():
    server = FakeServer()
    for prefix in ("/v1", "/inference/v1", "/openai/v1"):
        fake.install(server, prefix=prefix)
    server.start()
    yield server
    server.stop()


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
        "gen_ai.usage.input_tokens": 17,
        "gen_ai.usage.output_tokens": 164,
        "gen_ai.usage.cache_read.input_tokens": 5,
        "gen_ai.usage.reasoning.output_tokens": 3,
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


async def run(style: str, model) -> None:
    if style == "invoke":
        model.invoke("hi")
    elif style == "ainvoke":
        await model.ainvoke("hi")
    elif style == "stream":
        assert len(list(model.stream("hi"))) > 3
    else:
        assert len([c async for c in model.astream("hi")]) > 3


def span_attributes(span, style: str) -> dict:
    attributes = dict(span.attributes)
    if style in ("stream", "astream"):
        assert isinstance(attributes.pop("gen_ai.response.time_to_first_chunk"), float)
    return attributes


STYLES = ["invoke", "ainvoke", "stream", "astream"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("base_url", list(HOSTS))
async def test_known_host_names_the_provider(server, span_exporter, base_url, style):
    provider, address = HOSTS[base_url]
    await run(style, make_model(server, base_url))

    span = only_chat_span(span_exporter)
    streaming = style in ("stream", "astream")
    # The host's provider: no openai.* attributes although the answer is OpenAI-shaped.
    assert span_attributes(span, style) == expected(provider, address, stream=streaming)


@pytest.mark.parametrize("style", STYLES)
async def test_unknown_host_stays_openai_with_its_endpoint(server, span_exporter, style):
    await run(style, make_model(server, "https://llm.internal.example:8443/v1"))

    span = only_chat_span(span_exporter)
    streaming = style in ("stream", "astream")
    base = expected("openai", "llm.internal.example", stream=streaming, port=8443)
    assert span_attributes(span, style) == {**base, **OPENAI_ONLY}


def test_default_endpoint_is_api_openai_com(server, span_exporter):
    make_model(server, None).invoke("hi")

    span = only_chat_span(span_exporter)
    assert span_attributes(span, "invoke") == {
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


@pytest.mark.parametrize("style", STYLES)
async def test_credentials_in_the_base_url_reach_no_attribute(
    server, span_exporter, metric_reader, style
):
    model = make_model(server, "https://alice:s3cr3t-token@llm.internal.example/v1")
    assert "s3cr3t" in str(model.root_client.base_url)  # the client really holds them
    await run(style, model)

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


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_token_metric_matches_span(server, span_exporter, metric_reader, style):
    model = make_model(server, "https://api.fireworks.ai/inference/v1")
    if style == "invoke":
        model.invoke("hi")
    else:
        list(model.stream("hi"))

    span = only_chat_span(span_exporter)
    points = metric_points(metric_reader)["gen_ai.client.token.usage"]
    assert {p.attributes["gen_ai.token.type"]: p.sum for p in points} == {
        "input": span.attributes["gen_ai.usage.input_tokens"],
        "output": span.attributes["gen_ai.usage.output_tokens"],
    }
    for point in points:
        assert point.attributes["gen_ai.provider.name"] == "fireworks_ai"
        assert point.attributes["server.address"] == "api.fireworks.ai"

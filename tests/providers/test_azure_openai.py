"""AzureChatOpenAI against the loopback Azure OpenAI fake (deployments route): exact attributes."""

from __future__ import annotations

import functools

import openai
import pytest
from langchain_openai import AzureChatOpenAI
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.fakes.server import loopback_clients
from tests.helpers import metric_points, only_chat_span, span_token_counts, token_points
from tests.providers.helpers import (
    OPENAI_USAGE_ATTRIBUTES,
    client_span,
    error_span,
    start_attributes,
)

pytestmark = pytest.mark.usefixtures("instrument")

DEPLOYMENT = "prod-gpt4o"
SERVED = "gpt-4o-2024-11-20"
AZURE_ID = "chatcmpl-AZ3x9QmN2pL7vR4sT8wY1bC6dE0f"
AZURE_FINGERPRINT = "fp_b705f0c291"
# Azure serves the deployment's model whatever the body says, reports no service tier, and
# annotates prompts and choices with content-filter results.
AZURE = fake.Flavor(
    response_id=AZURE_ID,
    served_model=lambda model: SERVED,
    extras={"system_fingerprint": AZURE_FINGERPRINT},
    service_tier=False,
    content_filters=True,
)
PARAMS = {"temperature": 0.2, "max_tokens": 50, "top_p": 0.9}


@pytest.fixture(scope="module")
def fake_api():
    return functools.partial(fake.install_azure, flavor=AZURE)


def make_model(server, **kwargs) -> AzureChatOpenAI:
    options = {
        "azure_endpoint": server.url,
        "azure_deployment": DEPLOYMENT,
        "api_version": "2024-10-21",
        "model": "gpt-4o",
        "api_key": "azure-test-key",
        "max_retries": 0,
        **PARAMS,
    }
    return AzureChatOpenAI(**{**options, **kwargs})


def expected(server, *, stream: bool) -> dict:
    attributes = {
        **start_attributes(server, "azure.ai.openai", "gpt-4o", stream=stream),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": SERVED,
        "gen_ai.response.finish_reasons": ("stop",),
        **OPENAI_USAGE_ATTRIBUTES,
        # No openai.* attributes: semconv defines them for the provider "openai" only.
    }
    # stream_usage is on by default for Azure; the stream carries no completion id.
    if not stream:
        attributes["gen_ai.response.id"] = AZURE_ID
    return attributes


async def test_call_styles(server, span_exporter, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, "chat gpt-4o")
    assert server.requests[-1].path == f"/openai/deployments/{DEPLOYMENT}/chat/completions"
    if call.streaming:
        assert len(answer) > 3
    else:
        assert answer.response_metadata["prompt_filter_results"]
    assert call.attributes(span) == expected(server, stream=call.streaming)


def test_request_model_is_the_deployment_without_a_model_name(server, span_exporter):
    model = AzureChatOpenAI(
        azure_endpoint=server.url,
        azure_deployment=DEPLOYMENT,
        api_version="2024-10-21",
        api_key="azure-test-key",
        max_retries=0,
    )
    model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.name == f"chat {DEPLOYMENT}"
    assert span.attributes["gen_ai.request.model"] == DEPLOYMENT
    assert span.attributes["gen_ai.response.model"] == SERVED


def test_per_call_model_wins(server, span_exporter):
    make_model(server).invoke("hi", model="gpt-4o-mini")

    assert only_chat_span(span_exporter).attributes["gen_ai.request.model"] == "gpt-4o-mini"


def test_server_address_is_the_azure_endpoint_host(server, span_exporter):
    http_client, http_async_client = loopback_clients(server)
    model = make_model(
        server,
        azure_endpoint="https://contoso-eastus.openai.azure.com/",
        http_client=http_client,
        http_async_client=http_async_client,
    )
    model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.attributes["server.address"] == "contoso-eastus.openai.azure.com"
    assert span.attributes["server.port"] == 443
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"


def test_content_filter_on_invoke_is_an_error_span(server, span_exporter):
    # langchain-openai raises on an Azure content_filter finish before returning any message.
    with pytest.raises(ValueError, match="content filter") as raised:
        make_model(server).invoke(fake.CONTENT_FILTER_PROMPT)

    span = error_span(span_exporter, raised.value)
    assert span.attributes["error.type"] == "ValueError"
    # The answer never reaches LangChain's caller, so its finish reason is not available.
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert "gen_ai.response.id" not in span.attributes


@pytest.mark.parametrize("call", ["stream", "astream"], indirect=True)
async def test_content_filter_on_a_stream_is_the_finish_reason(server, span_exporter, call):
    chunks = await call(make_model(server), fake.CONTENT_FILTER_PROMPT)

    span = only_chat_span(span_exporter)
    assert "".join(str(c.content) for c in chunks) == ""
    # A stream does not raise: the span ends normally and reports the filter.
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)


def test_rate_limit_error(server, span_exporter):
    with pytest.raises(openai.RateLimitError):
        make_model(server, model="error-429").invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == (
        "langchain_openai.chat_models.base.OpenAIRateLimitError"
    )
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.attributes["gen_ai.request.model"] == "error-429"


@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_token_metric_matches_span(server, span_exporter, metric_reader, call):
    await call(make_model(server), "hi")

    span = only_chat_span(span_exporter)
    assert token_points(metric_reader) == span_token_counts(span)
    for point in metric_points(metric_reader)["gen_ai.client.token.usage"]:
        assert point.attributes["gen_ai.provider.name"] == "azure.ai.openai"
        assert point.attributes["gen_ai.request.model"] == "gpt-4o"
        assert point.attributes["gen_ai.response.model"] == SERVED

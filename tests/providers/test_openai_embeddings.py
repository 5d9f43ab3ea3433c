"""OpenAIEmbeddings / AzureOpenAIEmbeddings (real clients) against the loopback embeddings fake.

``check_embedding_ctx_length=False`` sends the texts as they are (the default tokenizes them with
tiktoken first, which downloads its encoding: no network here); the spans are the same.
"""

from __future__ import annotations

import openai
import pytest
from langchain_openai import AzureOpenAIEmbeddings, OpenAIEmbeddings
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from tests.fakes import openai as fake
from tests.fakes.server import loopback_clients
from tests.helpers import metric_points, only_span, operation_spans
from tests.providers.helpers import client_span, make_embeddings, start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "text-embedding-3-small"


@pytest.fixture(scope="module")
def fake_api():
    def install(server):
        fake.install(server)
        fake.install_azure(server, fake.OPENAI)

    return install


def make_model(server, **kwargs) -> OpenAIEmbeddings:
    return make_embeddings(server, **{"model": MODEL, **kwargs})


def expected(server, **extra) -> dict:
    return {
        **start_attributes(server, "openai", MODEL, "embeddings"),
        "gen_ai.embeddings.dimension.count": fake.EMBEDDING_DIMENSIONS,  # the answer's length
        **extra,
    }


async def test_one_span_per_call(server, span_exporter, embed):
    result = await embed(make_model(server))

    span = client_span(span_exporter, f"embeddings {MODEL}")
    assert dict(span.attributes) == expected(server)  # LangChain drops the usage: none here
    vector = result if embed.style.endswith("query") else result[0]
    assert vector == pytest.approx(fake.vector_of(0, fake.EMBEDDING_DIMENSIONS))  # float32


async def test_requested_dimensions_and_encoding_format(server, span_exporter, embed):
    model = make_model(server, dimensions=8, model_kwargs={"encoding_format": "float"})
    await embed(model)

    span = only_span(span_exporter, "embeddings")
    assert server.requests[-1].json()["dimensions"] == 8
    assert dict(span.attributes) == expected(
        server,
        **{
            "gen_ai.embeddings.dimension.count": 8,
            "gen_ai.request.encoding_formats": ("float",),
        },
    )


async def test_batches_are_requests_inside_one_span(server, span_exporter):
    """``chunk_size`` splits the texts into requests inside ``embed_documents``: no hook per
    batch exists in LangChain, so the span covers both (documented in the README)."""
    before = len(server.requests)
    vectors = make_model(server, chunk_size=2).embed_documents(["a", "b", "c"])

    assert len(vectors) == 3
    assert len(server.requests) - before == 2
    span = only_span(span_exporter, "embeddings")
    assert dict(span.attributes) == expected(server)


async def test_error(server, span_exporter, metric_reader, embed):
    model = make_model(server, model="error-429")
    with pytest.raises(openai.RateLimitError) as raised:
        await embed(model)

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    error_type = "openai.RateLimitError"
    assert dict(span.attributes) == {
        **start_attributes(server, "openai", "error-429", "embeddings"),
        "error.type": error_type,
    }
    assert [e.name for e in span.events] == ["exception"]
    assert raised.value.__traceback__ is not None
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert point.attributes["error.type"] == error_type
    assert point.attributes["gen_ai.operation.name"] == "embeddings"


async def test_metrics(server, span_exporter, metric_reader):
    make_model(server).embed_query("Uruk")

    points = metric_points(metric_reader)
    (point,) = points["gen_ai.client.operation.duration"]
    assert dict(point.attributes) == {
        **start_attributes(server, "openai", MODEL, "embeddings"),
    }
    assert point.count == 1
    assert "gen_ai.client.token.usage" not in points  # no usage: none invented


def test_span_is_a_child_of_the_current_span(server, span_exporter, tracer_provider):
    with tracer_provider.get_tracer("app").start_as_current_span("rag") as parent:
        make_model(server).embed_query("Uruk")

    span = only_span(span_exporter, "embeddings")
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert trace.get_current_span() is trace.INVALID_SPAN


@pytest.mark.parametrize(
    ("base_url", "provider", "address"),
    [
        ("https://api.together.xyz/v1", "together_ai", "api.together.xyz"),
        ("https://api.mistral.ai/v1", "mistral_ai", "api.mistral.ai"),
        ("https://llm.internal.example/v1", "openai", "llm.internal.example"),
    ],
)
async def test_openai_compatible_hosts(server, span_exporter, base_url, provider, address):
    http_client, http_async_client = loopback_clients(server)
    model = make_model(
        server, base_url=base_url, http_client=http_client, http_async_client=http_async_client
    )
    model.embed_query("Uruk")
    await model.aembed_documents(["Uruk"])

    spans = operation_spans(span_exporter, "embeddings")
    assert len(spans) == 2
    for span in spans:
        assert dict(span.attributes) == {
            **expected(server),
            "gen_ai.provider.name": provider,
            "server.address": address,
            "server.port": 443,
        }


def make_azure(server, **kwargs) -> AzureOpenAIEmbeddings:
    options = {
        "azure_endpoint": server.url,
        "azure_deployment": "prod-embed",
        "api_version": "2024-10-21",
        "api_key": "azure-test-key",
        "max_retries": 0,
        "check_embedding_ctx_length": False,
    }
    return AzureOpenAIEmbeddings(**{**options, **kwargs})


async def test_azure(server, span_exporter, embed):
    await embed(make_azure(server))

    span = only_span(span_exporter, "embeddings")
    assert server.requests[-1].path == "/openai/deployments/prod-embed/embeddings"
    assert span.name == "embeddings prod-embed"
    assert dict(span.attributes) == {
        **expected(server),
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.request.model": "prod-embed",  # no model configured: the deployment
    }


async def test_azure_with_a_configured_model(server, span_exporter):
    make_azure(server, model="text-embedding-3-large", dimensions=8).embed_query("Uruk")

    span = only_span(span_exporter, "embeddings")
    assert dict(span.attributes) == {
        **expected(server),
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.request.model": "text-embedding-3-large",
        "gen_ai.embeddings.dimension.count": 8,
    }


async def test_azure_error(server, span_exporter):
    with pytest.raises(openai.RateLimitError):
        make_azure(server, model="error-429").embed_query("x")

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        **start_attributes(server, "azure.ai.openai", "error-429", "embeddings"),
        "error.type": "openai.RateLimitError",
    }

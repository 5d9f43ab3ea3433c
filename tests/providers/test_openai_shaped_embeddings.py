"""MistralAIEmbeddings, FireworksEmbeddings and TogetherEmbeddings (real clients): each speaks the
OpenAI embeddings shape (``data[].embedding``) to its own endpoint. The clients are configured
with the provider's real URL; loopback httpx clients carry the bytes to the fake."""

from __future__ import annotations

import openai
import pytest
from httpx import HTTPStatusError
from langchain_fireworks import FireworksEmbeddings
from langchain_mistralai import MistralAIEmbeddings
from langchain_together import TogetherEmbeddings
from opentelemetry.trace import StatusCode
from tokenizers import Tokenizer
from tokenizers.models import WordLevel

from tests.fakes import openai as fake
from tests.fakes.server import loopback_clients
from tests.helpers import only_span

pytestmark = pytest.mark.usefixtures("instrument")


@pytest.fixture(scope="module")
def fake_api():
    def install(server):
        fake.install(server)  # /v1/embeddings
        fake.install(server, "/inference/v1")  # Fireworks' path

    return install


def expected(provider: str, address: str, model: str, dimensions: int) -> dict:
    return {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "server.address": address,
        "server.port": 443,
        "gen_ai.embeddings.dimension.count": dimensions,
    }


def mistral(server, model: str = "mistral-embed") -> MistralAIEmbeddings:
    http_client, http_async_client = loopback_clients(server)
    http_client.base_url = http_async_client.base_url = "https://api.mistral.ai/v1/"
    return MistralAIEmbeddings(
        model=model,
        api_key="test-key",
        client=http_client,
        async_client=http_async_client,
        max_retries=None,
        # A local tokenizer: the default one is downloaded from Hugging Face.
        tokenizer=Tokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]")),
    )


def fireworks(server, model: str = "nomic-ai/nomic-embed-text-v1.5") -> FireworksEmbeddings:
    http_client, _ = loopback_clients(server)
    client = openai.OpenAI(
        api_key="test-key",
        base_url="https://api.fireworks.ai/inference/v1",
        http_client=http_client,
        max_retries=0,
    )
    embeddings = FireworksEmbeddings(model=model, api_key="test-key")
    embeddings.client = client  # the class always builds its own client, on the real host
    return embeddings


def together(server, model: str = "intfloat/multilingual-e5-large-instruct", **kwargs):
    http_client, http_async_client = loopback_clients(server)
    return TogetherEmbeddings(
        model=model,
        api_key="test-key",
        max_retries=0,
        http_client=http_client,
        http_async_client=http_async_client,
        **kwargs,
    )


async def test_mistral(server, span_exporter, embed):
    await embed(mistral(server))

    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(
        "mistral_ai", "api.mistral.ai", "mistral-embed", fake.EMBEDDING_DIMENSIONS
    )


async def test_fireworks(server, span_exporter, embed):
    """FireworksEmbeddings has no async methods: LangChain runs the sync ones in an executor,
    inside the async call's span (one span)."""
    await embed(fireworks(server))

    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(
        "fireworks_ai",
        "api.fireworks.ai",
        "nomic-ai/nomic-embed-text-v1.5",
        fake.EMBEDDING_DIMENSIONS,
    )


async def test_together(server, span_exporter, embed):
    await embed(together(server, dimensions=8))

    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(
        "together_ai", "api.together.xyz", "intfloat/multilingual-e5-large-instruct", 8
    )


async def test_together_sends_one_request_per_text_inside_one_span(server, span_exporter):
    before = len(server.requests)
    together(server).embed_documents(["a", "b", "c"])

    assert len(server.requests) - before == 3
    only_span(span_exporter, "embeddings")


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (mistral, HTTPStatusError),
        (fireworks, openai.RateLimitError),
        (together, openai.RateLimitError),
    ],
)
def test_errors(server, span_exporter, make, error):
    with pytest.raises(error) as raised:
        make(server, model="error-429").embed_query("x")

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == f"{type(raised.value).__module__}.{error.__name__}"
    assert span.attributes["gen_ai.request.model"] == "error-429"
    assert "gen_ai.embeddings.dimension.count" not in span.attributes

"""GoogleGenerativeAIEmbeddings and VertexAIEmbeddings (real google-genai clients) against the
loopback Gemini fake (``:batchEmbedContents``; Vertex AI ``:predict``)."""

from __future__ import annotations

import pytest
from google import genai
from google.auth.credentials import Credentials
from google.genai import errors as genai_errors
from google.genai.types import HttpOptions
from langchain_google_genai import GoogleGenerativeAIEmbeddings
from langchain_google_genai._common import GoogleGenerativeAIError
from langchain_google_vertexai import VertexAIEmbeddings
from opentelemetry.trace import StatusCode

from langchain_otel.providers import MapperRegistry
from tests.fakes import google_genai as fake
from tests.helpers import only_span
from tests.providers.helpers import start_attributes

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "gemini-embedding-001"


class StaticToken(Credentials):
    def refresh(self, request: object) -> None:
        self.token = "test-token"


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> GoogleGenerativeAIEmbeddings:
    options = {"model": f"models/{MODEL}", "base_url": server.url, "api_key": "test-key"}
    return GoogleGenerativeAIEmbeddings(**{**options, **kwargs})


def expected(server, dimensions: int = fake.EMBEDDING_DIMENSIONS) -> dict:
    return {
        # The request model without the "models/" prefix, as for chat.
        **start_attributes(server, "gcp.gemini", MODEL, "embeddings"),
        "gen_ai.embeddings.dimension.count": dimensions,
    }


async def test_one_span_per_call(server, span_exporter, embed):
    await embed(make_model(server))

    span = only_span(span_exporter, "embeddings")
    assert server.requests[-1].path == f"/v1beta/models/{MODEL}:batchEmbedContents"
    assert span.name == f"embeddings {MODEL}"
    assert dict(span.attributes) == expected(server)


async def test_output_dimensionality(server, span_exporter, embed):
    await embed(make_model(server, output_dimensionality=4))

    assert server.requests[-1].json()["requests"][0]["outputDimensionality"] == 4
    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(server, 4)


def test_error(server, span_exporter):
    with pytest.raises(GoogleGenerativeAIError):  # the client wraps the SDK's ClientError
        make_model(server, model="models/error-429").embed_query("x")

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        **start_attributes(server, "gcp.gemini", "error-429", "embeddings"),
        "error.type": "langchain_google_genai._common.GoogleGenerativeAIError",
    }


def test_vertex_backend_start_attributes():
    """``vertexai=True``: the Vertex AI provider and regional host, as for chat (no call made)."""
    model = GoogleGenerativeAIEmbeddings(
        model=MODEL,
        vertexai=True,
        project="test-project",
        location="europe-west4",
        credentials=StaticToken(),
    )
    mapper = MapperRegistry().embedding_mapper_for(type(model))
    assert mapper is not None
    _, attributes = mapper.embedding_start(model, {})
    assert attributes == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": MODEL,
        "server.address": "europe-west4-aiplatform.googleapis.com",
        "server.port": 443,
    }


VERTEX_MODEL = "text-embedding-005"


def make_vertex(server, **kwargs) -> VertexAIEmbeddings:
    """The class builds its google-genai client itself (on the real regional host): the test
    swaps in one with the fake's base URL."""
    options = {"project": "p", "location": "europe-west4", "credentials": StaticToken()}
    model = VertexAIEmbeddings(**{"model": VERTEX_MODEL, **options, **kwargs})
    http_options = HttpOptions(base_url=server.url)
    model.client = genai.Client(vertexai=True, **options, http_options=http_options)
    return model


def test_vertex_ai_embeddings_real_host_without_a_call():
    model = VertexAIEmbeddings(
        model=VERTEX_MODEL, project="p", location="europe-west4", credentials=StaticToken()
    )
    mapper = MapperRegistry().embedding_mapper_for(type(model))
    assert mapper is not None
    _, attributes = mapper.embedding_start(model, {})
    assert attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attributes["server.address"] == "europe-west4-aiplatform.googleapis.com"


async def test_vertex_ai_embeddings(server, span_exporter, embed):
    await embed(make_vertex(server, dimensions=4))

    span = only_span(span_exporter, "embeddings")
    assert server.requests[-1].path.endswith(f"/models/{VERTEX_MODEL}:predict")
    assert span.name == f"embeddings {VERTEX_MODEL}"
    assert dict(span.attributes) == {
        **expected(server, 4),
        "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": VERTEX_MODEL,
    }


def test_vertex_ai_embeddings_error(server, span_exporter):
    with pytest.raises(genai_errors.ClientError):
        make_vertex(server, model="error-429", max_retries=1).embed_query("x")

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        **start_attributes(server, "gcp.vertex_ai", "error-429", "embeddings"),
        "error.type": "google.genai.errors.ClientError",
    }

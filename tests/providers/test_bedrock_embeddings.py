"""BedrockEmbeddings (real boto3 client, InvokeModel) against the loopback Bedrock fake (Titan)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings
from opentelemetry.trace import StatusCode

from tests.fakes import bedrock as fake
from tests.fakes.server import FakeServer

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "amazon.titan-embed-text-v2:0"
STYLES = ["embed_documents", "embed_query", "aembed_documents", "aembed_query"]


@pytest.fixture(scope="module")
def server():
    server = FakeServer()
    fake.install(server)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for name, value in fake.AWS_ENV.items():
        monkeypatch.setenv(name, value)


def make_model(server, **kwargs) -> BedrockEmbeddings:
    options = {"model_id": MODEL, "region_name": "us-east-1", "endpoint_url": server.url}
    return BedrockEmbeddings(**{**options, **kwargs})


async def run(style: str, model) -> None:
    if style == "embed_documents":
        model.embed_documents(["Uruk", "Ur"])
    elif style == "embed_query":
        model.embed_query("Uruk")
    elif style == "aembed_documents":
        await model.aembed_documents(["Uruk", "Ur"])
    else:
        await model.aembed_query("Uruk")


def only_span(exporter):
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("embeddings")]
    return span


def expected(server, dimensions: int = fake.TITAN_DIMENSIONS) -> dict:
    return {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "gen_ai.embeddings.dimension.count": dimensions,
    }  # Titan's inputTextTokenCount is dropped by langchain-aws: no usage


@pytest.mark.parametrize("style", STYLES)
async def test_one_span_per_call(server, span_exporter, style):
    """One request per text (and, async, one executor call per text): still one span."""
    await run(style, make_model(server))

    assert only_span(span_exporter).name == f"embeddings {MODEL}"
    assert dict(only_span(span_exporter).attributes) == expected(server)


@pytest.mark.parametrize("style", STYLES)
async def test_requested_dimensions(server, span_exporter, style):
    await run(style, make_model(server, dimensions=256))

    assert server.requests[-1].json()["dimensions"] == 256
    assert dict(only_span(span_exporter).attributes) == expected(server, 256)


def test_error(server, span_exporter):
    with pytest.raises(ClientError):
        make_model(server, model_id="amazon.error-429").embed_query("x")

    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": "amazon.error-429",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "error.type": "botocore.errorfactory.ThrottlingException",
    }

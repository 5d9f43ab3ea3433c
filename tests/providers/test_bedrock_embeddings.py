"""BedrockEmbeddings (real boto3 client, InvokeModel) against the loopback Bedrock fake (Titan)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from langchain_aws import BedrockEmbeddings
from opentelemetry.trace import StatusCode

from tests.fakes import bedrock as fake
from tests.helpers import only_span
from tests.providers.helpers import start_attributes

pytestmark = pytest.mark.usefixtures("instrument", "aws_env")

MODEL = "amazon.titan-embed-text-v2:0"


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> BedrockEmbeddings:
    options = {"model_id": MODEL, "region_name": "us-east-1", "endpoint_url": server.url}
    return BedrockEmbeddings(**{**options, **kwargs})


def expected(server, dimensions: int = fake.TITAN_DIMENSIONS) -> dict:
    return {
        **start_attributes(server, "aws.bedrock", MODEL, "embeddings"),
        "gen_ai.embeddings.dimension.count": dimensions,
    }  # Titan's inputTextTokenCount is dropped by langchain-aws: no usage


async def test_one_span_per_call(server, span_exporter, embed):
    """One request per text (and, async, one executor call per text): still one span."""
    await embed(make_model(server))

    assert only_span(span_exporter, "embeddings").name == f"embeddings {MODEL}"
    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(server)


async def test_requested_dimensions(server, span_exporter, embed):
    await embed(make_model(server, dimensions=256))

    assert server.requests[-1].json()["dimensions"] == 256
    assert dict(only_span(span_exporter, "embeddings").attributes) == expected(server, 256)


def test_error(server, span_exporter):
    with pytest.raises(ClientError):
        make_model(server, model_id="amazon.error-429").embed_query("x")

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {
        **start_attributes(server, "aws.bedrock", "amazon.error-429", "embeddings"),
        "error.type": "botocore.errorfactory.ThrottlingException",
    }

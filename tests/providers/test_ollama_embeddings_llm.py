"""OllamaEmbeddings (``/api/embed``) and OllamaLLM (``/api/generate``, NDJSON) against the fake."""

from __future__ import annotations

import ollama
import pytest
from langchain_ollama import OllamaEmbeddings, OllamaLLM
from opentelemetry.trace import StatusCode

from tests.fakes import ollama as fake
from tests.helpers import metric_points, only_span, stream_attributes, token_points
from tests.providers.helpers import start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")

EMBEDDING_MODEL = "nomic-embed-text"
MODEL = "llama3.2"


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def embedding_attributes(server, **extra) -> dict:
    return {
        **start_attributes(server, "ollama", EMBEDDING_MODEL, "embeddings"),
        "gen_ai.embeddings.dimension.count": fake.EMBEDDING_DIMENSIONS,
        **extra,
    }  # the server's prompt_eval_count is dropped by langchain-ollama: no usage


async def test_embeddings(server, span_exporter, embed):
    await embed(OllamaEmbeddings(model=EMBEDDING_MODEL, base_url=server.url))

    span = only_span(span_exporter, "embeddings")
    assert span.name == f"embeddings {EMBEDDING_MODEL}"
    assert dict(span.attributes) == embedding_attributes(server)


async def test_embeddings_dimensions(server, span_exporter, embed):
    model = OllamaEmbeddings(model=EMBEDDING_MODEL, base_url=server.url, dimensions=4)
    await embed(model)

    span = only_span(span_exporter, "embeddings")
    assert server.requests[-1].json()["dimensions"] == 4
    assert dict(span.attributes) == embedding_attributes(
        server, **{"gen_ai.embeddings.dimension.count": 4}
    )


async def test_embeddings_error(server, span_exporter, embed):
    model = OllamaEmbeddings(model="error-404", base_url=server.url)
    with pytest.raises(ollama.ResponseError):
        await embed(model)

    span = only_span(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {  # no answer: no dimension count
        **start_attributes(server, "ollama", "error-404", "embeddings"),
        "error.type": "ollama._types.ResponseError",
    }


def make_llm(server, **kwargs) -> OllamaLLM:
    options = {"model": MODEL, "base_url": server.url, "num_predict": 50, "temperature": 0.2}
    return OllamaLLM(**{**options, **kwargs})


async def test_completion(server, span_exporter, metric_reader, call):
    answer = await call(make_llm(server), "hi", stop=["END"])

    assert text(answer) == fake.ANSWER
    span = only_span(span_exporter, "text_completion")
    assert span.name == f"text_completion {MODEL}"
    # OllamaLLM always streams on the wire (invoke aggregates the chunks), like ChatOllama.
    assert stream_attributes(span) == {
        **start_attributes(server, "ollama", MODEL, "text_completion"),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.stream": True,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),  # done_reason
        "gen_ai.usage.input_tokens": fake.PROMPT_EVAL_COUNT,
        "gen_ai.usage.output_tokens": 10,
    }
    points = metric_points(metric_reader)
    assert token_points(metric_reader) == {"input": fake.PROMPT_EVAL_COUNT, "output": 10}
    (ttfc,) = points["gen_ai.client.operation.time_to_first_chunk"]
    assert ttfc.attributes["gen_ai.operation.name"] == "text_completion"


async def test_completion_error(server, span_exporter, call):
    with pytest.raises(ollama.ResponseError):
        await call(make_llm(server, model="error-429"), "hi", stop=["END"])

    span = only_span(span_exporter, "text_completion")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ollama._types.ResponseError"
    assert span.attributes["gen_ai.request.model"] == "error-429"

"""OllamaEmbeddings (``/api/embed``) and OllamaLLM (``/api/generate``, NDJSON) against the fake."""

from __future__ import annotations

import ollama
import pytest
from langchain_ollama import OllamaEmbeddings, OllamaLLM
from opentelemetry.trace import StatusCode

from tests.fakes import ollama as fake
from tests.fakes.server import FakeServer
from tests.helpers import metric_points, stream_attributes

pytestmark = pytest.mark.usefixtures("instrument")

EMBEDDING_MODEL = "nomic-embed-text"
MODEL = "llama3.2"
EMBED_STYLES = ["embed_documents", "embed_query", "aembed_documents", "aembed_query"]
LLM_STYLES = ["invoke", "ainvoke", "stream", "astream"]


@pytest.fixture(scope="module")
def server():
    server = FakeServer()
    fake.install(server)
    server.start()
    yield server
    server.stop()


def spans_named(exporter, operation: str):
    return [s for s in exporter.get_finished_spans() if s.name.split(" ")[0] == operation]


async def embed(style: str, model) -> object:
    if style == "embed_documents":
        return model.embed_documents(["Uruk", "Ur"])
    if style == "embed_query":
        return model.embed_query("Uruk")
    if style == "aembed_documents":
        return await model.aembed_documents(["Uruk", "Ur"])
    return await model.aembed_query("Uruk")


def embedding_attributes(server, **extra) -> dict:
    return {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": EMBEDDING_MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "gen_ai.embeddings.dimension.count": fake.EMBEDDING_DIMENSIONS,
        **extra,
    }  # the server's prompt_eval_count is dropped by langchain-ollama: no usage


@pytest.mark.parametrize("style", EMBED_STYLES)
async def test_embeddings(server, span_exporter, style):
    await embed(style, OllamaEmbeddings(model=EMBEDDING_MODEL, base_url=server.url))

    (span,) = spans_named(span_exporter, "embeddings")
    assert span.name == f"embeddings {EMBEDDING_MODEL}"
    assert dict(span.attributes) == embedding_attributes(server)


@pytest.mark.parametrize("style", EMBED_STYLES)
async def test_embeddings_dimensions(server, span_exporter, style):
    model = OllamaEmbeddings(model=EMBEDDING_MODEL, base_url=server.url, dimensions=4)
    await embed(style, model)

    (span,) = spans_named(span_exporter, "embeddings")
    assert server.requests[-1].json()["dimensions"] == 4
    assert dict(span.attributes) == embedding_attributes(
        server, **{"gen_ai.embeddings.dimension.count": 4}
    )


@pytest.mark.parametrize("style", EMBED_STYLES)
async def test_embeddings_error(server, span_exporter, style):
    model = OllamaEmbeddings(model="error-404", base_url=server.url)
    with pytest.raises(ollama.ResponseError):
        await embed(style, model)

    (span,) = spans_named(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {  # no answer: no dimension count
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": "error-404",
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "error.type": "ollama._types.ResponseError",
    }


def make_llm(server, **kwargs) -> OllamaLLM:
    options = {"model": MODEL, "base_url": server.url, "num_predict": 50, "temperature": 0.2}
    return OllamaLLM(**{**options, **kwargs})


async def complete(style: str, model) -> str:
    if style == "invoke":
        return model.invoke("hi", stop=["END"])
    if style == "ainvoke":
        return await model.ainvoke("hi", stop=["END"])
    if style == "stream":
        return "".join(model.stream("hi", stop=["END"]))
    return "".join([chunk async for chunk in model.astream("hi", stop=["END"])])


@pytest.mark.parametrize("style", LLM_STYLES)
async def test_completion(server, span_exporter, metric_reader, style):
    text = await complete(style, make_llm(server))

    assert text == fake.ANSWER
    (span,) = spans_named(span_exporter, "text_completion")
    assert span.name == f"text_completion {MODEL}"
    # OllamaLLM always streams on the wire (invoke aggregates the chunks), like ChatOllama.
    assert stream_attributes(span) == {
        "gen_ai.operation.name": "text_completion",
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
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
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": fake.PROMPT_EVAL_COUNT, "output": 10}
    (ttfc,) = points["gen_ai.client.operation.time_to_first_chunk"]
    assert ttfc.attributes["gen_ai.operation.name"] == "text_completion"


@pytest.mark.parametrize("style", LLM_STYLES)
async def test_completion_error(server, span_exporter, style):
    with pytest.raises(ollama.ResponseError):
        await complete(style, make_llm(server, model="error-429"))

    (span,) = spans_named(span_exporter, "text_completion")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ollama._types.ResponseError"
    assert span.attributes["gen_ai.request.model"] == "error-429"

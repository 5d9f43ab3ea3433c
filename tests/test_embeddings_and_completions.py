"""The embedding and completion spans' rules, on classes defined here: registration through
``provider_mappers``, one span per call, what instrumentation never changes, uninstrument."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.llms import BaseLLM
from opentelemetry.trace import StatusCode

from langchain_otel import LangChainInstrumentor
from langchain_otel.providers import ChatModelMapper
from tests.helpers import metric_points

pytestmark = pytest.mark.matrix


class AcmeEmbeddings(Embeddings):
    def __init__(self, model: str = "acme-embed", fail: BaseException | None = None) -> None:
        self.model = model
        self.fail = fail
        self.result: list[list[float]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail is not None:
            raise self.fail
        self.result = [[0.5, 0.25, 0.125] for _ in texts]
        return self.result

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class TunedAcmeEmbeddings(AcmeEmbeddings):
    """A user's subclass that overrides the method and calls the parent's."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return super().embed_documents([t.lower() for t in texts])


class AcmeMapper(ChatModelMapper):
    provider_name = "acme"
    embedding_classes = ("acme_embed.AcmeEmbeddings",)
    completion_classes = ("langchain_core.FakeListLLM",)

    def base_url(self, model: object) -> object:
        return "https://embed.acme.example:8443/v1"


@pytest.fixture
def acme_package(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A provider package exporting the class, as ``embedding_classes`` requires."""
    package = types.ModuleType("acme_embed")
    package.AcmeEmbeddings = AcmeEmbeddings  # type: ignore[attr-defined]
    monkeypatch.setattr(AcmeEmbeddings, "__module__", "acme_embed")
    monkeypatch.setitem(sys.modules, "acme_embed", package)
    return package


@pytest.fixture
def instrumented(acme_package, tracer_provider, meter_provider):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        provider_mappers=[AcmeMapper()],
    )
    yield instrumentor
    instrumentor.uninstrument()


ACME = {
    "gen_ai.operation.name": "embeddings",
    "gen_ai.provider.name": "acme",
    "gen_ai.request.model": "acme-embed",
    "server.address": "embed.acme.example",
    "server.port": 8443,
}


def spans(exporter: Any, operation: str) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name.split(" ")[0] == operation]


@pytest.mark.usefixtures("instrumented")
def test_a_mapper_registers_an_embedding_class(span_exporter, metric_reader):
    model = AcmeEmbeddings()
    vector = model.embed_query("Uruk")

    assert vector is model.result[0]  # the result itself, unchanged
    (span,) = spans(span_exporter, "embeddings")
    assert span.name == "embeddings acme-embed"
    assert dict(span.attributes) == {**ACME, "gen_ai.embeddings.dimension.count": 3}
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert dict(point.attributes) == ACME


@pytest.mark.usefixtures("instrumented")
async def test_default_async_methods_run_the_sync_ones_inside_one_span(span_exporter):
    await AcmeEmbeddings().aembed_documents(["a", "b"])
    await AcmeEmbeddings().aembed_query("a")

    assert len(spans(span_exporter, "embeddings")) == 2


@pytest.mark.usefixtures("instrumented")
def test_a_subclass_is_served_by_its_parents_mapper(span_exporter):
    TunedAcmeEmbeddings().embed_documents(["A"])

    (span,) = spans(span_exporter, "embeddings")
    assert dict(span.attributes) == {**ACME, "gen_ai.embeddings.dimension.count": 3}


@pytest.mark.usefixtures("instrumented")
def test_the_error_is_the_same_object(span_exporter):
    error = ConnectionError("embedding service down")
    with pytest.raises(ConnectionError) as raised:
        AcmeEmbeddings(fail=error).embed_documents(["a"])

    assert raised.value is error
    (span,) = spans(span_exporter, "embeddings")
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes) == {**ACME, "error.type": "ConnectionError"}


@pytest.mark.usefixtures("instrumented")
def test_a_mapper_failure_never_reaches_the_user(monkeypatch, span_exporter):
    def broken(*args: object) -> object:
        raise RuntimeError("mapper bug")

    monkeypatch.setattr(AcmeMapper, "embedding_request_attributes", broken)
    assert AcmeEmbeddings().embed_query("a") == [0.5, 0.25, 0.125]
    assert len(spans(span_exporter, "embeddings")) == 1  # still ended
    monkeypatch.setattr(AcmeMapper, "embedding_start", broken)
    assert AcmeEmbeddings().embed_query("a") == [0.5, 0.25, 0.125]  # untraced
    assert len(spans(span_exporter, "embeddings")) == 1


def test_uninstrument_restores_the_methods(acme_package, tracer_provider, span_exporter):
    originals = {name: vars(AcmeEmbeddings)[name] for name in ("embed_documents", "embed_query")}
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, provider_mappers=[AcmeMapper()])
    assert vars(AcmeEmbeddings)["embed_documents"] is not originals["embed_documents"]
    instrumentor.uninstrument()

    assert {name: vars(AcmeEmbeddings)[name] for name in originals} == originals
    assert "aembed_query" not in vars(AcmeEmbeddings)  # inherited: removed again
    AcmeEmbeddings().embed_query("a")
    assert spans(span_exporter, "embeddings") == []


def test_unregistered_embedding_classes_are_not_traced(instrument, span_exporter):
    AcmeEmbeddings().embed_query("a")  # no mapper names it here

    assert spans(span_exporter, "embeddings") == []


@pytest.mark.usefixtures("instrumented")
def test_a_mapper_registers_a_completion_class(span_exporter):
    FakeListLLM(responses=["Uruk"]).invoke("Where?")

    (span,) = spans(span_exporter, "text_completion")
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "text_completion",
        "gen_ai.provider.name": "acme",
        "server.address": "embed.acme.example",
        "server.port": 8443,
    }


class PlainLLM(BaseLLM):
    """A completion class no mapper claims, with no ``_stream``."""

    @property
    def _llm_type(self) -> str:
        return "plain"

    def _generate(self, prompts: list[str], stop: Any = None, run_manager: Any = None, **kw: Any):
        from langchain_core.outputs import Generation, LLMResult  # noqa: PLC0415

        return LLMResult(
            generations=[[Generation(text="ok")] for _ in prompts],
            llm_output={"token_usage": {"prompt_tokens": 2, "completion_tokens": 1}},
        )


def test_unclaimed_completion_classes_get_the_generic_mapper(instrument, span_exporter):
    assert PlainLLM().invoke("hi") == "ok"

    (span,) = spans(span_exporter, "text_completion")
    assert span.name == "text_completion"  # no model known
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "text_completion",
        "gen_ai.provider.name": "plain",  # ls_provider: the class's _llm_type
        "gen_ai.usage.input_tokens": 2,
        "gen_ai.usage.output_tokens": 1,
    }


def test_a_stream_without_stream_support_is_one_span(instrument, span_exporter):
    """``BaseLLM.stream`` answers with ``invoke`` when the class has no ``_stream``: that
    inner request is the stream's own."""
    assert list(PlainLLM().stream("hi")) == ["ok"]

    (span,) = spans(span_exporter, "text_completion")
    assert span.attributes["gen_ai.usage.input_tokens"] == 2
    assert "gen_ai.request.stream" not in span.attributes


def test_completion_error_is_the_same_object(instrument, span_exporter):
    error = TimeoutError("slow")

    class Failing(PlainLLM):
        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            raise error

    with pytest.raises(TimeoutError) as raised:
        Failing().invoke("hi")

    assert raised.value is error
    (span,) = spans(span_exporter, "text_completion")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "TimeoutError"

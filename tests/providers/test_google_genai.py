"""The real ChatGoogleGenerativeAI client (google-genai SDK) against the loopback Gemini fake."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials
from langchain_core.messages import HumanMessage
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_google_genai.chat_models import GoogleRateLimitError
from opentelemetry.trace import StatusCode

from langchain_otel._errors import error_description
from langchain_otel._request import ChatRequest
from langchain_otel.providers.google_genai import GoogleGenAIMapper
from tests.fakes import google_genai as fake
from tests.fakes._script import ANSWER
from tests.fakes.server import LoopbackTransport
from tests.helpers import (
    StreamingHandler,
    metric_points,
    only_chat_span,
    stream_attributes,
    token_points,
)
from tests.providers.helpers import client_span, start_attributes, text

pytestmark = pytest.mark.usefixtures("instrument")

MODEL = "gemini-flash-latest"
SERVED = fake.served_model(MODEL)  # the snapshot the alias resolved to (modelVersion)
PARAMS = {
    "temperature": 0.2,
    "max_output_tokens": 50,
    "top_p": 0.9,
    "top_k": 40,
    "seed": 7,
    "presence_penalty": 0.3,
    "frequency_penalty": 0.5,
}
# What PARAMS are on every span, answered or not.
REQUEST_ATTRIBUTES = {
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 50,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.top_k": 40.0,
    "gen_ai.request.seed": 7,
    "gen_ai.request.presence_penalty": 0.3,
    "gen_ai.request.frequency_penalty": 0.5,
}


@pytest.fixture(scope="module")
def fake_api():
    return fake.install


def make_model(server, **kwargs) -> ChatGoogleGenerativeAI:
    options = {"model": MODEL, "base_url": server.url, "api_key": "test-key", "retries": 0}
    return ChatGoogleGenerativeAI(**{**options, **PARAMS, **kwargs})


def make_vertex_model(server, **kwargs) -> ChatGoogleGenerativeAI:
    """The Vertex AI backend (``vertexai=True``); a static token, since nothing is verified."""
    options = {
        "vertexai": True,
        "project": "test-project",
        "location": "europe-west4",
        "credentials": Credentials(token="test-token"),
    }
    return make_model(server, **{**options, "api_key": None, **kwargs})


def expected(server, *, stream: bool, provider: str = "gcp.gemini", served: str = SERVED) -> dict:
    return {
        **start_attributes(server, provider, MODEL, stream=stream),
        **REQUEST_ATTRIBUTES,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.response.model": served,
        "gen_ai.response.finish_reasons": ("STOP",),
        # LangChain already folds the 50 thoughts into output_tokens (164 + 50): not added again.
        "gen_ai.usage.input_tokens": 2071,
        "gen_ai.usage.output_tokens": 214,
        "gen_ai.usage.cache_read.input_tokens": 2048,
        "gen_ai.usage.reasoning.output_tokens": 50,
    }


async def test_call_styles(server, span_exporter, metric_reader, call):
    answer = await call(make_model(server), "hi", stop=["END"])

    span = client_span(span_exporter, f"chat {MODEL}")
    assert text(answer) == ANSWER
    if call.streaming:
        assert len(answer) > 3
        assert server.requests[-1].query == {"alt": ["sse"]}
    # A stream has cumulative counts on every chunk: LangChain's deltas and our sum give the totals.
    assert call.attributes(span) == expected(server, stream=call.streaming)
    assert token_points(metric_reader) == {"input": 2071, "output": 214}


def test_invoke(server, span_exporter):
    message = make_model(server).invoke("hi", stop=["END"])

    span = only_chat_span(span_exporter)
    assert message.usage_metadata["output_tokens"] == 214
    # No response id: langchain-google-genai drops responseId (the fake sent one).
    assert "gen_ai.response.id" not in span.attributes
    sent = server.requests[-1]
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.json()["generationConfig"]["stopSequences"] == ["END"]


def test_rate_limit_error_is_reraised_unchanged(server, span_exporter, metric_reader):
    model = make_model(server, model="error-429")
    with pytest.raises(GoogleRateLimitError) as raised:
        model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert "RESOURCE_EXHAUSTED" in str(raised.value)
    assert len([r for r in server.requests if "error-429" in r.path]) == 1  # retries=0
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == error_description(raised.value, with_content=False)[:512]
    (event,) = span.events
    assert event.name == "exception"
    attributes = dict(span.attributes)
    assert attributes.pop("error.type") == "langchain_google_genai.chat_models.GoogleRateLimitError"
    assert attributes == {
        **start_attributes(server, "gcp.gemini", "error-429"),
        **REQUEST_ATTRIBUTES,
    }
    assert "gen_ai.client.token.usage" not in metric_points(metric_reader)


async def test_astream_error_surfaces_on_first_chunk(server, span_exporter):
    stream = make_model(server, model="error-429").astream("hi")
    with pytest.raises(GoogleRateLimitError):
        await anext(stream)

    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"].endswith("GoogleRateLimitError")
    assert span.attributes["gen_ai.request.stream"] is True


def test_vertex_backend_invoke(server, span_exporter):
    make_vertex_model(server).invoke("hi", stop=["END"])

    span = only_chat_span(span_exporter)
    assert server.requests[-1].path == (
        f"/v1beta1/projects/test-project/locations/europe-west4/publishers/google/models/"
        f"{MODEL}:generateContent"
    )
    assert dict(span.attributes) == expected(server, stream=False, provider="gcp.vertex_ai")


async def test_vertex_backend_astream(server, span_exporter):
    [c async for c in make_vertex_model(server).astream("hi", stop=["END"])]

    span = only_chat_span(span_exporter)
    assert stream_attributes(span) == expected(server, stream=True, provider="gcp.vertex_ai")


@pytest.mark.parametrize(
    ("backend", "host"),
    [
        ("gemini", "generativelanguage.googleapis.com"),
        ("vertex", "europe-west4-aiplatform.googleapis.com"),
    ],
)
def test_default_endpoint_is_the_real_host(server, span_exporter, backend, host):
    """No base_url: the SDK's own default host is reported while the bytes go to the fake."""
    transport = {"client_args": {"transport": LoopbackTransport(server.port)}}
    if backend == "gemini":
        model = make_model(server, base_url=None, **transport)
    else:
        model = make_vertex_model(server, base_url=None, **transport)
    model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert server.requests[-1].headers["host"] == host
    assert (span.attributes["server.address"], span.attributes["server.port"]) == (host, 443)
    assert span.attributes["gen_ai.response.finish_reasons"] == ("STOP",)


@pytest.mark.parametrize("vertex", [False, True])
@pytest.mark.parametrize("call", ["invoke", "stream"], indirect=True)
async def test_blocked_answer(server, span_exporter, call, vertex):
    factory = make_vertex_model if vertex else make_model
    await call(factory(server, model=f"{MODEL}-blocked"), "hi")

    attributes = dict(only_chat_span(span_exporter).attributes)
    namespace = "gcp.vertex_ai" if vertex else "gcp.gemini"
    assert attributes["gen_ai.response.finish_reasons"] == ("SAFETY",)
    categories = attributes.pop(f"{namespace}.response.safety.blocked_categories")
    assert categories == (fake.BLOCKED_CATEGORY,)
    assert type(categories[0]) is str  # the SDK's enum member, exported as a plain string
    assert not [k for k in attributes if k.startswith(("gcp.", "openai."))]


def test_models_prefix_is_dropped_from_the_request_model(server, span_exporter):
    make_model(server, model=f"models/{MODEL}").invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert span.attributes["gen_ai.response.model"] == SERVED


def test_request_parameters_come_from_call_kwargs_first():
    model = ChatGoogleGenerativeAI(model=MODEL, api_key="test-key", n=2, stop=["A"])
    mapper = GoogleGenAIMapper()

    def params(**kwargs):
        return mapper.request_attributes(ChatRequest(model, kwargs))

    assert params() == {
        "gen_ai.request.temperature": 0.7,  # the class default is sent
        "gen_ai.request.stop_sequences": ["A"],
        "gen_ai.request.choice.count": 2,
    }
    assert params(candidate_count=1, stop_sequences=["B"], top_k=5, max_output_tokens=9) == {
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.stop_sequences": ["B"],
        "gen_ai.request.top_k": 5.0,
        "gen_ai.request.max_tokens": 9,
    }
    assert params(stop=["C"], stop_sequences=["B"])["gen_ai.request.stop_sequences"] == ["C"]


def test_backend_picks_provider_and_default_host():
    gemini = ChatGoogleGenerativeAI(model=MODEL, api_key="test-key")
    vertex = ChatGoogleGenerativeAI(
        model=MODEL, vertexai=True, project="p", credentials=Credentials(token="t")
    )
    mapper = GoogleGenAIMapper()

    _, attributes = mapper.start(ChatRequest(gemini, {}))
    assert attributes["gen_ai.provider.name"] == "gcp.gemini"
    assert (attributes["server.address"], attributes["server.port"]) == (
        "generativelanguage.googleapis.com",
        443,
    )
    chosen, attributes = mapper.start(ChatRequest(vertex, {}))
    assert attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert chosen.provider_name == "gcp.vertex_ai"
    assert attributes["server.address"] == "aiplatform.googleapis.com"  # location: global


def test_invoke_that_streams_reports_one_finish_reason(server, span_exporter, metric_reader):
    # A streaming callback handler makes invoke stream on the wire: LangChain's merge would glue
    # the chunks' reasons; the span reads them per chunk.
    config = {"callbacks": [StreamingHandler()]}
    message = make_model(server).invoke("hi", config, stop=["END"])

    assert server.requests[-1].path.endswith(":streamGenerateContent")
    assert message.content == ANSWER
    assert stream_attributes(only_chat_span(span_exporter)) == expected(server, stream=True)
    assert token_points(metric_reader) == {"input": 2071, "output": 214}


def test_candidate_count_two_reports_both_finish_reasons(server, span_exporter):
    result = make_model(server, n=2).generate([[HumanMessage("hi")]])

    assert server.requests[-1].json()["generationConfig"]["candidateCount"] == 2
    assert len(result.generations[0]) == 2
    attributes = expected(server, stream=False)
    del attributes["gen_ai.request.stop_sequences"]
    assert dict(only_chat_span(span_exporter).attributes) == {
        **attributes,
        "gen_ai.request.choice.count": 2,
        "gen_ai.response.finish_reasons": ("STOP", "STOP"),
    }

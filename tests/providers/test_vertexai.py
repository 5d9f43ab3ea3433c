"""The real ChatVertexAI client (gapic over gRPC) against the in-process Vertex fake."""

from __future__ import annotations

import functools

import pytest
from google.api_core import exceptions as google_exceptions
from langchain_core.messages import AIMessageChunk
from langchain_google_vertexai import ChatVertexAI
from opentelemetry.trace import StatusCode

from langchain_otel._request import ChatRequest
from langchain_otel._response import ChatResponse, response_from_chunks
from langchain_otel.providers.vertexai import VertexAIMapper, gemini_finish_reasons
from tests.fakes import vertexai as fake
from tests.fakes._script import ANSWER
from tests.helpers import metric_points, only_chat_span, stream_attributes, token_points
from tests.providers.helpers import client_span, error_span, text

pytestmark = [
    pytest.mark.usefixtures("instrument"),
    pytest.mark.filterwarnings("ignore:The class `ChatVertexAI` was deprecated"),
    pytest.mark.filterwarnings("ignore:Use .*ChatGoogleGenerativeAI.* instead:DeprecationWarning"),
]

MODEL = "gemini-2.0-flash"
LOCATION = "europe-west4"
HOST = f"{LOCATION}-aiplatform.googleapis.com"
# Model fields, plus call kwargs: ``stop`` and a penalty (ChatVertexAI sends penalties from call
# kwargs only; its ``presence_penalty`` field never reaches the request, so it is not reported).
PARAMS = {
    "temperature": 0.2,
    "max_output_tokens": 50,
    "top_p": 0.9,
    "top_k": 40,
    "seed": 7,
    "presence_penalty": 0.3,
}
CALL = {"stop": ["END"], "frequency_penalty": 0.5}


@pytest.fixture(scope="module")
def server():
    server = fake.FakeVertexServer().start()
    yield server
    server.stop()


def make_model(server, *, asynchronous: bool = False, **kwargs) -> ChatVertexAI:
    """A model whose gapic clients talk gRPC to the fake; ``async_client`` needs a running loop."""
    options = {
        "model": MODEL,
        "project": "test-project",
        "location": LOCATION,
        "max_retries": 0,
        "client": server.client(),
        **PARAMS,
    }
    if asynchronous:
        options["async_client"] = server.async_client()
    return ChatVertexAI(**{**options, **kwargs})


def request_attributes(model: str) -> dict:
    """What every span says of the request, answered or not: the model's endpoint
    (client_options), not the injected channel's 127.0.0.1:port, and the model fields of PARAMS."""
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": model,
        "server.address": HOST,
        "server.port": 443,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 40.0,
        "gen_ai.request.seed": 7,
    }


def expected(*, stream: bool, model: str = MODEL) -> dict:
    attributes = {
        **request_attributes(model),
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.frequency_penalty": 0.5,
        # The client reports its own model_name; the server's model_version ("-001") is dropped.
        "gen_ai.response.model": model,
        "gen_ai.response.finish_reasons": ("STOP",),
        # The brief's numbers: prompt 10, candidates 30, total 40 (cache_read 0 as reported).
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gcp.vertex_ai.response.safety.blocked": False,
    }
    if stream:
        attributes["gen_ai.request.stream"] = True
    return attributes


async def test_call_styles(server, span_exporter, metric_reader, call):
    answer = await call(make_model(server, asynchronous=call.asynchronous), "hi", **CALL)

    span = client_span(span_exporter, f"chat {MODEL}")
    assert text(answer) == ANSWER
    if call.streaming:
        assert len(answer) > 3
    assert call.attributes(span) == expected(stream=call.streaming)
    assert token_points(metric_reader) == {"input": 10, "output": 30}


def test_invoke(server, span_exporter):
    message = make_model(server).invoke("hi", **CALL)

    span = only_chat_span(span_exporter)
    # No response id: ChatVertexAI drops response_id (the fake sent one).
    assert "gen_ai.response.id" not in span.attributes
    assert message.id.startswith("lc_run-")
    sent = server.requests[-1]
    assert sent.model.endswith(f"/locations/{LOCATION}/publishers/google/models/{MODEL}")
    assert sent.generation_config.frequency_penalty == pytest.approx(0.5)
    assert "presence_penalty" not in sent.generation_config
    assert sent.generation_config.candidate_count == 1


def test_stream(server, span_exporter):
    chunks = list(make_model(server).stream("hi", **CALL))

    span = only_chat_span(span_exporter)
    merged = functools.reduce(lambda a, b: a + b, chunks)
    assert merged.content == ANSWER
    # LangChain's own merge glues every chunk's finish reason together; the span keeps "STOP".
    assert merged.response_metadata["finish_reason"].startswith("FINISH_REASON_UNSPECIFIED")
    assert merged.response_metadata["finish_reason"].endswith("UNSPECIFIEDSTOP")
    assert stream_attributes(span) == expected(stream=True)


def test_resource_exhausted_is_reraised_unchanged(server, span_exporter, metric_reader):
    model = make_model(server, model="error-429")
    with pytest.raises(google_exceptions.ResourceExhausted) as raised:
        model.invoke("hi")

    span = error_span(span_exporter, raised.value)
    assert raised.value.code == 429
    (event,) = span.events
    assert event.name == "exception"
    attributes = dict(span.attributes)
    assert attributes.pop("error.type") == "google.api_core.exceptions.ResourceExhausted"
    assert attributes == request_attributes("error-429")
    assert "gen_ai.client.token.usage" not in metric_points(metric_reader)


async def test_astream_error_surfaces_on_first_chunk(server, span_exporter):
    stream = make_model(server, model="error-429", asynchronous=True).astream("hi")
    with pytest.raises(google_exceptions.ResourceExhausted):
        await anext(stream)

    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"] == "google.api_core.exceptions.ResourceExhausted"
    assert span.attributes["gen_ai.request.stream"] is True
    assert "gen_ai.response.finish_reasons" not in span.attributes


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_thinking_tokens_count_as_output(server, span_exporter, metric_reader, style):
    """Vertex reports candidates only in output_tokens: the thoughts are added, once."""
    model = make_model(server, model="gemini-2.5-pro-thinking")
    if style == "invoke":
        message = model.invoke("hi")
        assert message.usage_metadata["output_tokens"] == 30  # LangChain: candidates only
    else:
        # Every chunk carries cumulative counts; LangChain's deltas must add up to the totals.
        list(model.stream("hi"))

    span = only_chat_span(span_exporter)
    usage = {k: v for k, v in span.attributes.items() if k.startswith("gen_ai.usage.")}
    assert usage == {
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 126,  # 30 candidates + 96 thoughts
        "gen_ai.usage.cache_read.input_tokens": 1024,
        "gen_ai.usage.reasoning.output_tokens": 96,
    }
    assert token_points(metric_reader) == {"input": 1200, "output": 126}


def test_invoke_of_a_streaming_model_reports_one_finish_reason(server, span_exporter):
    """``streaming=True`` makes invoke stream and merge: "FINISH_REASON_UNSPECIFIED...STOP"."""
    message = make_model(server, streaming=True).invoke("hi")

    span = only_chat_span(span_exporter)
    assert message.response_metadata["finish_reason"].endswith("UNSPECIFIEDSTOP")
    assert span.attributes["gen_ai.response.finish_reasons"] == ("STOP",)
    assert span.attributes["gen_ai.usage.output_tokens"] == 30
    assert span.attributes["gcp.vertex_ai.response.safety.blocked"] is False


def test_stream_closed_early_reports_no_placeholder_finish_reason(server, span_exporter):
    stream = make_model(server).stream("hi")
    first = next(stream)
    stream.close()

    span = only_chat_span(span_exporter)
    assert first.response_metadata["finish_reason"] == "FINISH_REASON_UNSPECIFIED"
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.finish_reasons" not in span.attributes
    assert "gen_ai.usage.output_tokens" not in span.attributes


@pytest.mark.parametrize("style", ["invoke", "stream"])
def test_blocked_answer(server, span_exporter, style):
    model = make_model(server, model="gemini-2.0-flash-blocked")
    if style == "invoke":
        assert model.invoke("hi").response_metadata["is_blocked"] is True
    else:
        chunks = list(model.stream("hi"))
        assert all("is_blocked" not in c.response_metadata for c in chunks)  # derived instead

    attributes = only_chat_span(span_exporter).attributes
    assert attributes["gen_ai.response.finish_reasons"] == ("SAFETY",)
    assert attributes["gcp.vertex_ai.response.safety.blocked"] is True
    assert attributes["gcp.vertex_ai.response.safety.blocked_categories"] == (
        fake.BLOCKED_CATEGORY,
    )


@pytest.mark.parametrize(
    ("options", "endpoint"),
    [
        ({}, ("us-central1-aiplatform.googleapis.com", 443)),
        ({"location": "global"}, ("aiplatform.googleapis.com", 443)),
        ({"location": "asia-northeast1"}, ("asia-northeast1-aiplatform.googleapis.com", 443)),
        (
            {"base_url": "europe-west1-aiplatform.googleapis.com"},
            ("europe-west1-aiplatform.googleapis.com", 443),
        ),
        ({"api_endpoint": "http://127.0.0.1:8080", "api_transport": "rest"}, ("127.0.0.1", 8080)),
    ],
)
def test_endpoint_comes_from_fields_and_creates_no_client(options, endpoint):
    model = ChatVertexAI(model=MODEL, project="test-project", **options)
    _, attributes = VertexAIMapper().start(ChatRequest(model, {}))

    assert (attributes["server.address"], attributes["server.port"]) == endpoint
    assert attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert model.client is None
    assert model.async_client is None


def test_choice_count_follows_what_the_client_sends():
    model = ChatVertexAI(model=MODEL, project="test-project", n=2)
    mapper = VertexAIMapper()

    def count(streaming=False, **kwargs):
        return mapper.request_attributes(ChatRequest(model, kwargs, streaming)).get(
            "gen_ai.request.choice.count"
        )

    assert count() == 2
    assert count(streaming=True) is None  # streaming requests carry no candidate count
    assert count(candidate_count=3) == 3
    assert count(n=3) == 2  # a call kwarg ``n`` is filtered out by the client
    assert count(candidate_count=1) is None
    model.streaming = True  # invoke then streams too
    assert count() is None


@pytest.mark.parametrize(
    ("reason", "reported"),
    [
        ("STOP", ["STOP"]),
        ("FINISH_REASON_UNSPECIFIED", []),
        ("FINISH_REASON_UNSPECIFIEDFINISH_REASON_UNSPECIFIEDSTOP", ["STOP"]),
        ("STOPSTOP", ["STOP"]),
        ("MAX_TOKENSMAX_TOKENS", ["MAX_TOKENS"]),
        ("UNKNOWN_42", ["UNKNOWN_42"]),
        ("", []),
        (None, []),
        (3, []),
    ],
)
def test_gemini_finish_reasons(reason, reported):
    assert gemini_finish_reasons({"finish_reason": reason}) == reported


def test_stream_view_keeps_the_last_real_finish_reason():
    chunks = [
        AIMessageChunk(
            content="a", response_metadata={"finish_reason": "FINISH_REASON_UNSPECIFIED"}
        ),
        AIMessageChunk(
            content="b", response_metadata={"finish_reason": "FINISH_REASON_UNSPECIFIED"}
        ),
        AIMessageChunk(
            content="", response_metadata={"finish_reason": "STOP", "model_name": MODEL}
        ),
        AIMessageChunk(content="", response_metadata={"usage_metadata": {}, "safety_ratings": []}),
    ]
    response = response_from_chunks(chunks)

    assert response.metadata == {"finish_reason": "STOP", "model_name": MODEL}
    assert VertexAIMapper().finish_reasons(response) == ["STOP"]


def test_odd_shapes_map_to_nothing():
    response = ChatResponse(
        metadata={"safety_ratings": [None, {"blocked": True}, {"blocked": "yes", "category": 1}]},
        usage={"input_tokens": "10", "output_tokens": -1},
        message_id=None,
        streaming=False,
    )
    mapper = VertexAIMapper()

    # A rating that says blocked counts, even without a usable category.
    assert mapper.response_attributes(response) == {"gcp.vertex_ai.response.safety.blocked": True}
    assert mapper.response_model(response) is None

"""Property tests: every mapper survives arbitrary metadata shapes and emits only valid values.

Everything is also encoded with the OTLP protobuf encoder: mapper output after ``sanitized`` (as
the lifecycle applies it), and the instrumented path's spans and metric points as they are.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from langchain_otel._embeddings import vector_length
from langchain_otel._request import ChatRequest
from langchain_otel._response import (
    ChatResponse,
    response_from_chunks,
    response_from_llm_result,
    response_from_message,
)
from langchain_otel._values import MAX_TEXT_LENGTH, safe_text, sanitized
from langchain_otel.providers import GenericMapper, MapperRegistry
from tests.helpers import assert_exportable, chat_spans
from tests.models import ChatScripted

pytestmark = pytest.mark.matrix

MAPPERS = [*MapperRegistry().mappers, GenericMapper()]
MAPPER_IDS = [type(m).__name__ + ":" + m.provider_name for m in MAPPERS]

KEYS = [
    "id", "model", "model_name", "model_id", "finish_reason", "stop_reason", "stopReason",
    "done_reason", "token_usage", "usage", "usage_metadata", "system_fingerprint", "service_tier",
    "is_blocked", "safety_ratings", "status", "incomplete_details", "object", "x_groq", "headers",
    "metrics", "ResponseMetadata", "prompt_eval_count", "eval_count", "model_provider",
    "input_tokens", "output_tokens", "cache_read", "cache_creation", "reasoning",
    "input_token_details", "output_token_details", "prompt_tokens", "completion_tokens",
    "queue_time", "category", "blocked", "cached_tokens", "prompt_tokens_details",
    "completion_tokens_details", "reason", "type",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5),
    st.just("x" * 20_000),
    st.binary(max_size=10),
)
junk = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6),
    ),
    max_leaves=25,
)
metadata = st.dictionaries(st.sampled_from(KEYS), junk, max_size=10)
usage = st.one_of(st.none(), metadata)

VALID_SCALARS = (str, bool, int, float)


def assert_valid_attributes(attributes: dict) -> None:
    assert isinstance(attributes, dict)
    for key, value in attributes.items():
        assert isinstance(key, str)
        if isinstance(value, (list, tuple)):
            assert all(v is not None for v in value), key
            kinds = {type(v) for v in value}
            assert len(kinds) <= 1, (key, kinds)
            assert all(isinstance(v, VALID_SCALARS) for v in value), key
        else:
            assert isinstance(value, VALID_SCALARS), (key, type(value))
        if key.startswith("gen_ai.usage.") and key.endswith("_tokens"):
            assert type(value) is int and value >= 0, (key, value)


def contains_int(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, dict):
        return any(contains_int(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_int(v) for v in value)
    return False


_EXPORTER = InMemorySpanExporter()
_PROVIDER = TracerProvider()
_PROVIDER.add_span_processor(SimpleSpanProcessor(_EXPORTER))
_TRACER = _PROVIDER.get_tracer("fuzz")


def assert_exports(*attribute_dicts: dict, request_model: object = None) -> None:
    """Mapper output, sanitized as the lifecycle does, survives the OTLP encoder whole."""
    _EXPORTER.clear()
    for attributes in attribute_dicts:
        name = f"chat {request_model}" if request_model else "chat"
        _TRACER.start_span(safe_text(name, MAX_TEXT_LENGTH), attributes=sanitized(attributes)).end()
    assert_exportable(_EXPORTER)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("mapper", MAPPERS, ids=MAPPER_IDS)
@FUZZ
@given(
    meta=metadata,
    use=usage,
    message_id=st.one_of(st.none(), st.text(max_size=12)),
    streaming=st.booleans(),
)
def test_response_side_never_raises_and_is_valid(mapper, meta, use, message_id, streaming):
    before = copy.deepcopy((meta, use))
    response = ChatResponse(metadata=meta, usage=use, message_id=message_id, streaming=streaming)

    attributes = mapper.response_attributes(response)
    model = mapper.response_model(response)
    usage_attributes = mapper.usage_attributes(response)

    assert_valid_attributes(attributes)
    assert_valid_attributes(usage_attributes)
    assert_exports(attributes, usage_attributes)
    assert model is None or (isinstance(model, str) and model)
    assert (meta, use) == before  # the user's metadata is never modified
    if not contains_int(meta) and not contains_int(use):
        assert not [k for k in attributes if k.startswith("gen_ai.usage.")]  # nothing invented


@pytest.mark.parametrize("mapper", MAPPERS, ids=MAPPER_IDS)
@FUZZ
@given(fields=metadata, kwargs=metadata)
def test_request_side_never_raises_and_is_valid(mapper, fields, kwargs):
    model = SimpleNamespace(**{k: v for k, v in fields.items() if k.isidentifier()})
    request = ChatRequest(model, kwargs)

    refined, start_attributes = mapper.start(request)
    request_attributes = refined.request_attributes(request)
    assert_valid_attributes(start_attributes)
    assert_valid_attributes(request_attributes)
    assert_exports(
        start_attributes,
        request_attributes,
        request_model=sanitized(start_attributes).get("gen_ai.request.model"),
    )


@FUZZ
@given(
    chunks=st.lists(
        st.tuples(metadata, usage, st.one_of(st.none(), st.text(max_size=8))), max_size=6
    )
)
def test_stream_view_survives_any_chunk_sequence(chunks):
    messages = []
    for meta, use, chunk_id in chunks:
        chunk = AIMessageChunk(content="x")
        chunk.response_metadata = meta
        chunk.usage_metadata = use  # type: ignore[assignment]
        chunk.id = chunk_id
        messages.append(chunk)
    response = response_from_chunks(messages)
    for mapper in MAPPERS:
        attributes = mapper.response_attributes(response)
        assert_valid_attributes(attributes)
        assert_exports(attributes)


@settings(FUZZ, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(meta=metadata, use=usage)
@example(  # what a provider's JSON can hand us: a lone surrogate, a count beyond int64
    meta={"model_name": json.loads('"llama\\udc80"')},
    use={"input_tokens": 2**64, "output_tokens": 1, "total_tokens": 2**64 + 1},
)
def test_instrumented_call_returns_the_message_unchanged(
    instrument, span_exporter, metric_reader, meta, use
):
    span_exporter.clear()  # the fixture spans every example

    class ChatJunk(ChatScripted):
        def _generate(self, *args, **kwargs):
            result = super()._generate(*args, **kwargs)
            message = result.generations[0].message
            message.response_metadata = copy.deepcopy(meta)
            message.usage_metadata = copy.deepcopy(use)  # type: ignore[assignment]
            return result

    returned = ChatJunk().invoke("hi")

    assert returned.content == "scripted answer"
    assert returned.usage_metadata == use
    (span,) = chat_spans(span_exporter)
    assert_valid_attributes(dict(span.attributes))
    assert_exportable(span_exporter, metric_reader)


def test_message_view_of_odd_objects():
    assert response_from_message(None).metadata == {}
    assert response_from_message(AIMessage(content="x")).usage is None


EMBEDDING_MAPPERS = [m for m in MAPPERS if m.embedding_classes]
EMBEDDING_KEYS = ["model", "dimensions", "encoding_format", "deployment", "model_kwargs", "client"]
embedding_fields = st.dictionaries(
    st.sampled_from(EMBEDDING_KEYS),
    junk | st.dictionaries(st.sampled_from(EMBEDDING_KEYS), junk, max_size=3),
    max_size=6,
)


@pytest.mark.parametrize(
    "mapper", EMBEDDING_MAPPERS, ids=[type(m).__name__ for m in EMBEDDING_MAPPERS]
)
@FUZZ
@given(fields=embedding_fields, kwargs=embedding_fields, answer=junk)
def test_embedding_side_never_raises_and_is_valid(mapper, fields, kwargs, answer):
    model = SimpleNamespace(**fields)
    before = copy.deepcopy((fields, kwargs))

    refined, start_attributes = mapper.embedding_start(model, kwargs)
    request_attributes = refined.embedding_request_attributes(model, kwargs)
    count = vector_length(answer)

    assert_valid_attributes(start_attributes)
    assert_valid_attributes(request_attributes)
    assert start_attributes["gen_ai.operation.name"] == "embeddings"
    assert count is None or (type(count) is int and count > 0)
    assert_exports(
        start_attributes,
        request_attributes,
        request_model=sanitized(start_attributes).get("gen_ai.request.model"),
    )
    assert (fields, kwargs) == before


@pytest.mark.parametrize("mapper", MAPPERS, ids=MAPPER_IDS)
@FUZZ
@given(llm_output=st.one_of(st.none(), metadata), infos=st.lists(st.one_of(st.none(), metadata)))
def test_completion_view_never_raises_and_invents_nothing(mapper, llm_output, infos):
    result = SimpleNamespace(
        generations=[[SimpleNamespace(generation_info=info)] for info in infos],
        llm_output=llm_output,
    )
    before = copy.deepcopy((llm_output, infos))
    view = response_from_llm_result(result)
    if view is None:
        assert not infos
        return
    view = replace(view, usage=mapper.completion_usage(view.metadata))

    attributes = mapper.response_attributes(view)
    assert_valid_attributes(attributes)
    assert_exports(attributes)
    assert (llm_output, infos) == before
    if not contains_int(llm_output) and not contains_int(infos):
        assert not [k for k in attributes if k.startswith("gen_ai.usage.")]

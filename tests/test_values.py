"""Every value we emit is exportable and bounded (issue 15, items 7, 8 and 15)."""

from __future__ import annotations

import enum
import json
from types import MappingProxyType

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from langchain_otel._values import (
    INT64_MAX,
    INT64_MIN,
    MAX_SEQUENCE_LENGTH,
    MAX_TEXT_LENGTH,
    metric_value,
    safe_text,
    sanitized,
)
from tests.helpers import assert_exportable, chat_spans, metric_points
from tests.models import ChatScripted

pytestmark = pytest.mark.matrix

LONE = json.loads('"llama\\udc80"')  # what a provider's JSON can legally hand us


class Color(str, enum.Enum):
    RED = "red"


class Count(enum.IntEnum):
    TWO = 2


class Sneaky(int):
    def __int__(self) -> int:
        raise RuntimeError("never called")


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        (LONE, 100, "llama\ufffd"),
        ("\udc80\ud800x", 100, "\ufffd\ufffdx"),
        ("\ud83d\ude00", 100, "\U0001f600"),  # a split pair is joined, not replaced
        ("a\ud83d\ude00", 2, "a\ufffd"),  # cut inside a split pair
        ("x" * 2000, 1024, "x" * 1024),
        ("ünïcödé ✓ 😀", 100, "ünïcödé ✓ 😀"),
        ("abc", 0, ""),
        ("abc", -1, ""),
        ("", 5, ""),
    ],
)
def test_safe_text(value, limit, expected):
    text = safe_text(value, limit)

    assert text == expected
    text.encode("utf-8")


@pytest.mark.parametrize("value", ["plain ascii", "ünïcödé ✓ 😀"])
def test_safe_text_returns_fine_text_itself(value):
    assert safe_text(value, 100) is value


def test_sanitized_returns_fine_attributes_themselves():
    attributes = {
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-ünï",
        "gen_ai.usage.input_tokens": INT64_MAX,
        "gen_ai.request.seed": INT64_MIN,
        "gen_ai.request.temperature": float("nan"),
        "gen_ai.request.stream": True,
        "gen_ai.response.finish_reasons": ["stop", "length"],
        "gen_ai.request.stop_sequences": ("a", "b"),
        "ints": [1, 2],
        "empty": [],
    }

    assert sanitized(attributes) is attributes


def test_sanitized_exact_output():
    attributes = {
        "model": LONE,
        "long": "y" * 5000,
        "in range": INT64_MAX,
        "too big": INT64_MAX + 1,
        "too small": INT64_MIN - 1,
        "seed": 10**30,
        "none": None,
        "bytes": b"x",
        "dict": {"a": 1},
        "enum": Color.RED,
        "int enum": Count.TWO,
        "sneaky": Sneaky(5),
        "bool": False,
        "float": 1.5,
        "big list": [1, 2**64],
        "mixed": ["a", 1],
        "int and bool": [1, True],
        "with none": ["a", None],
        "reasons": ("stop", LONE),
        "enum list": [Color.RED, "blue"],
        "many": [str(i) for i in range(500)],
        LONE: "key fixed",
        "k" * 300: 1,
        7: "non-string key",
    }
    before = dict(attributes)

    assert sanitized(attributes) == {
        "model": "llama\ufffd",
        "long": "y" * MAX_TEXT_LENGTH,
        "in range": INT64_MAX,
        "enum": "red",
        "int enum": 2,
        "sneaky": 5,
        "bool": False,
        "float": 1.5,
        "reasons": ["stop", "llama\ufffd"],
        "enum list": ["red", "blue"],
        "many": [str(i) for i in range(MAX_SEQUENCE_LENGTH)],
        "llama\ufffd": "key fixed",
        "k" * 256: 1,
    }
    assert attributes == before  # never modified
    cleaned = sanitized(attributes)
    assert type(cleaned["enum"]) is str and type(cleaned["int enum"]) is int


def test_sanitized_copies_a_mapping_that_is_no_dict():
    result = sanitized(MappingProxyType({"a": 1}))

    assert result == {"a": 1} and type(result) is dict


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (0.25, 0.25),
        (INT64_MAX, INT64_MAX),
        (INT64_MAX + 1, None),
        (INT64_MIN - 1, None),
        (10**400, None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        (None, None),
        ("3", None),
        (Count.TWO, 2),
    ],
)
def test_metric_value(value, expected):
    result = metric_value(value)

    assert result == expected
    assert result is None or type(result) in (int, float)


def test_sanitized_values_and_names_survive_the_otlp_encoder(tracer_provider, span_exporter):
    """Raw, the span name fails the whole batch and the attributes are dropped by the encoder."""
    tracer = tracer_provider.get_tracer("test")
    attributes = {"gen_ai.request.model": LONE, "gen_ai.request.seed": 2**64, "x": "\ud800"}
    tracer.start_span(f"chat {LONE}", attributes=attributes).end()
    with pytest.raises(UnicodeEncodeError):
        encode_spans(span_exporter.get_finished_spans()).SerializeToString()
    span_exporter.clear()

    clean = sanitized(attributes)
    name = safe_text(f"chat {clean['gen_ai.request.model']}", MAX_TEXT_LENGTH)
    tracer.start_span(name, attributes=clean).end()

    assert_exportable(span_exporter)
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat llama\ufffd"
    assert dict(span.attributes) == {"gen_ai.request.model": "llama\ufffd", "x": "\ufffd"}


@pytest.mark.parametrize("model", [LONE, "m" * 100_000])
def test_instrumented_call_emits_only_exportable_bounded_values(
    model, instrument, span_exporter, metric_reader
):
    ChatScripted(model_name=model).invoke("hi", seed=2**70)

    assert_exportable(span_exporter, metric_reader)
    (span,) = chat_spans(span_exporter)
    assert len(span.name) <= MAX_TEXT_LENGTH
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    for value in [*span.attributes.values(), *duration.attributes.values()]:
        assert not isinstance(value, str) or len(value) <= MAX_TEXT_LENGTH

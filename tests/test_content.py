"""Opt-in message content: off by default, each mode's shapes, limits, the hook, events."""

from __future__ import annotations

import json

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from pydantic import BaseModel

from langchain_otel import ChatContent, _content
from langchain_otel._semconv import SCHEMA_URL
from langchain_otel.providers.openai import OpenAIMapper
from tests.content_shapes import (
    check_messages,
    check_system_instructions,
    check_tool_definitions,
)
from tests.fakes._script import ANSWER
from tests.helpers import metric_points, only_chat_span
from tests.providers.helpers import make_model

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEh"
    "QGAhKmMIQAAAABJRU5ErkJggg=="
)
SECRETS = ("SYS-MARK", "PROMPT-MARK", "TOOL-RESULT-MARK", "SECOND-TURN-MARK", ANSWER[:20], PNG[:16])


@tool
def get_weather(city: str) -> str:
    """Weather for a city DESCRIPTION-MARK."""
    return "sunny"


class Tablet(BaseModel):
    city: str
    year: int


def conversation() -> list:
    return [
        SystemMessage("You are a careful historian. SYS-MARK"),
        HumanMessage(
            content=[
                {"type": "text", "text": "Look at this tablet PROMPT-MARK"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/tablet.png"}},
            ]
        ),
        AIMessage(
            content="",
            tool_calls=[{"id": "call_1", "name": "get_weather", "args": {"city": "Uruk"}}],
        ),
        ToolMessage(content="sunny TOOL-RESULT-MARK", tool_call_id="call_1"),
        HumanMessage("Summarise. SECOND-TURN-MARK"),
    ]


@pytest.fixture
def capture(instrumented):
    """instrument(capture_content=mode, ...); uninstrumented after the test."""

    def start(mode: str | None, **kwargs) -> None:
        instrumented(capture_content=mode, **kwargs)

    return start


def serialized_telemetry(span_exporter, metric_reader, log_exporter) -> str:
    spans = [span.to_json() for span in span_exporter.get_finished_spans()]
    logs = [record.to_json() for record in log_exporter.get_finished_logs()]
    metrics = repr(metric_points(metric_reader))
    return "\n".join([*spans, *logs, metrics])


@pytest.mark.parametrize("stream", [False, True])
def test_default_records_no_content_anywhere(
    stream, capture, fake_server, span_exporter, metric_reader, log_exporter
):
    capture(None)
    model = make_model(fake_server)
    if stream:
        list(model.bind_tools([get_weather]).stream(conversation()))
        list(model.stream("Tell me PROMPT-MARK"))
    else:
        model.bind_tools([get_weather]).invoke(conversation())
        model.invoke("Tell me PROMPT-MARK")

    everything = serialized_telemetry(span_exporter, metric_reader, log_exporter)
    assert "gen_ai.client.operation.duration" in everything  # the scan saw real telemetry
    for secret in (*SECRETS, "DESCRIPTION-MARK", "Uruk"):
        assert secret not in everything
    assert log_exporter.get_finished_logs() == ()
    spans = span_exporter.get_finished_spans()
    assert all("gen_ai.input.messages" not in s.attributes for s in spans)
    # Bound tools are listed by name and type only.
    tools = json.loads(spans[0].attributes["gen_ai.tool.definitions"])
    assert tools == [{"type": "function", "name": "get_weather"}]


def expected_input(with_tool_call: bool = True) -> list[dict]:
    return [
        {
            "role": "system",
            "parts": [{"type": "text", "content": "You are a careful historian. SYS-MARK"}],
        },
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Look at this tablet PROMPT-MARK"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": "",
                    "size": len(PNG) * 3 // 4,
                },
                {"type": "uri", "modality": "image", "uri": "https://example.com/tablet.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Uruk"},
                }
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "response": "sunny TOOL-RESULT-MARK", "id": "call_1"}
            ],
        },
        {"role": "user", "parts": [{"type": "text", "content": "Summarise. SECOND-TURN-MARK"}]},
    ]


EXPECTED_TOOL_OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {
                "type": "tool_call",
                "id": "call_Qx7b2LmN4pR8sT1v",
                "name": "get_weather",
                "arguments": {"city": "Uruk"},
            }
        ],
        "finish_reason": "tool_calls",
    }
]
EXPECTED_TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city DESCRIPTION-MARK.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("mode", ["SPAN_ONLY", "span_and_event", "true"])
def test_span_content(mode, stream, capture, fake_server, span_exporter):
    capture(mode)
    model = make_model(fake_server).bind_tools([get_weather])
    if stream:
        list(model.stream(conversation()))
    else:
        model.invoke(conversation())

    attributes = only_chat_span(span_exporter).attributes
    inputs = json.loads(attributes["gen_ai.input.messages"])
    outputs = json.loads(attributes["gen_ai.output.messages"])
    tools = json.loads(attributes["gen_ai.tool.definitions"])
    check_messages(inputs)
    check_messages(outputs, output=True)
    check_tool_definitions(tools)
    assert inputs == expected_input()
    assert outputs == EXPECTED_TOOL_OUTPUT
    assert tools == EXPECTED_TOOLS
    # OpenAI takes the system prompt as a message: no separate system instructions.
    assert "gen_ai.system_instructions" not in attributes


@pytest.mark.parametrize("stream", [False, True])
def test_structured_output_content(stream, capture, fake_server, span_exporter):
    capture("SPAN_ONLY")
    model = make_model(fake_server).with_structured_output(Tablet)
    if stream:
        list(model.stream("Where? PROMPT-MARK"))
    else:
        assert model.invoke("Where? PROMPT-MARK") == Tablet(city="Uruk", year=42)

    attributes = only_chat_span(span_exporter).attributes
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    assert output["finish_reason"] == "stop"
    assert json.loads(output["parts"][0]["content"]) == {"city": "Uruk", "year": 42}


@pytest.mark.parametrize("stream", [False, True])
def test_plain_text_answer(stream, capture, fake_server, span_exporter):
    capture("SPAN_ONLY")
    model = make_model(fake_server)
    if stream:
        list(model.stream([("system", "Be brief."), ("human", "Hi PROMPT-MARK")]))
    else:
        model.invoke([("system", "Be brief."), ("human", "Hi PROMPT-MARK")])

    attributes = only_chat_span(span_exporter).attributes
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": ANSWER}],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Hi PROMPT-MARK"}]},
    ]


@pytest.mark.parametrize("mode", ["EVENT_ONLY", "SPAN_AND_EVENT"])
@pytest.mark.parametrize("stream", [False, True])
def test_event_content(mode, stream, capture, fake_server, span_exporter, log_exporter):
    capture(mode)
    model = make_model(fake_server).bind_tools([get_weather])
    if stream:
        list(model.stream(conversation()))
    else:
        model.invoke(conversation())

    span = only_chat_span(span_exporter)
    (log,) = log_exporter.get_finished_logs()
    record = log.log_record
    attributes = dict(record.attributes)
    # opentelemetry-api < 1.35 has no event_name: the name then goes in the event.name attribute.
    event_name = getattr(record, "event_name", None) or attributes.pop("event.name")
    assert event_name == "gen_ai.client.inference.operation.details"
    assert log.instrumentation_scope.schema_url == SCHEMA_URL
    assert record.trace_id == span.context.trace_id
    assert record.span_id == span.context.span_id
    inputs = [dict(m) for m in attributes.pop("gen_ai.input.messages")]
    check_messages(json.loads(json.dumps(inputs, default=list)))
    assert (
        json.loads(json.dumps(attributes.pop("gen_ai.output.messages"), default=list))
        == EXPECTED_TOOL_OUTPUT
    )
    assert (
        json.loads(json.dumps(attributes.pop("gen_ai.tool.definitions"), default=list))
        == EXPECTED_TOOLS
    )
    # The other attributes are the span's, content aside.
    span_attributes = {
        k: v
        for k, v in span.attributes.items()
        if not k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.tool"))
    }
    assert attributes == span_attributes
    if mode == "EVENT_ONLY":
        assert "gen_ai.input.messages" not in span.attributes


def test_system_instructions_when_the_api_takes_them_apart(
    monkeypatch, capture, fake_server, span_exporter
):
    monkeypatch.setattr(OpenAIMapper, "separate_system_instructions", True)
    capture("SPAN_ONLY")
    make_model(fake_server).invoke([("system", "Be brief. SYS-MARK"), ("human", "Hi")])

    attributes = only_chat_span(span_exporter).attributes
    instructions = json.loads(attributes["gen_ai.system_instructions"])
    check_system_instructions(instructions)
    assert instructions == [{"type": "text", "content": "Be brief. SYS-MARK"}]
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
    ]


def test_part_length_limit_keeps_valid_json(monkeypatch, capture, fake_server, span_exporter):
    monkeypatch.setenv("LANGCHAIN_OTEL_CONTENT_MAX_LENGTH", "40")
    capture("SPAN_ONLY")
    make_model(fake_server).invoke("x" * 500)

    attributes = only_chat_span(span_exporter).attributes
    (message,) = json.loads(attributes["gen_ai.input.messages"])
    assert message["parts"][0]["content"] == "x" * 40 + "…[truncated]"
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    text = output["parts"][0]["content"]
    assert text.endswith("…[truncated]")
    assert len(text) == 40 + len("…[truncated]")


ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"  # 36 characters


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (1, "a…[truncated]"),
        (10, "abcdefghij…[truncated]"),
        (30, "abcdefghijklmnopqrstuvwxyz0123…[truncated]"),
        (35, "abcdefghijklmnopqrstuvwxyz012345678…[truncated]"),
        (36, ALPHABET),  # fits: not cut, no mark
        (8192, ALPHABET),
    ],
    ids=["1", "10", "30", "35", "36", "8192"],
)
def test_the_length_limit_is_the_text_kept_and_the_mark_comes_on_top(limit, expected):
    assert _content.truncate(ALPHABET, limit) == expected
    assert _content.truncate_values({"a": [ALPHABET]}, limit) == {"a": [expected]}


def test_sdk_attribute_length_limit_is_respected(capture, fake_server, span_exporter):
    limited = TracerProvider(span_limits=SpanLimits(max_span_attribute_length=300))
    limited.add_span_processor(SimpleSpanProcessor(span_exporter))
    capture("SPAN_ONLY", tracer_provider=limited)
    make_model(fake_server).invoke([("human", f"turn {i} " + "y" * 80) for i in range(10)])

    attributes = only_chat_span(span_exporter).attributes
    raw = attributes["gen_ai.input.messages"]
    assert len(raw) <= 300
    kept = json.loads(raw)  # still valid JSON: the oldest messages were dropped, not cut
    assert kept and kept[-1]["parts"][0]["content"].startswith("turn 9")


def test_hook_redacts(capture, fake_server, span_exporter):
    seen = []

    def redact(content: ChatContent) -> ChatContent:
        seen.append(content)
        for message in content.input_messages:
            for part in message["parts"]:
                if part["type"] == "text":
                    part["content"] = part["content"].replace("PROMPT-MARK", "[redacted]")
        return content

    capture("SPAN_ONLY", content_hook=redact)
    make_model(fake_server).invoke("Tell me PROMPT-MARK")

    (content,) = seen
    assert isinstance(content, ChatContent)
    attributes = only_chat_span(span_exporter).attributes
    assert "PROMPT-MARK" not in attributes["gen_ai.input.messages"]
    assert "[redacted]" in attributes["gen_ai.input.messages"]


def test_failing_hook_records_no_content_and_the_call_works(capture, fake_server, span_exporter):
    def broken(content: ChatContent) -> ChatContent:
        raise RuntimeError("hook bug")

    capture("SPAN_AND_EVENT", content_hook=broken)
    message = make_model(fake_server).invoke("Tell me PROMPT-MARK")

    assert message.content == ANSWER
    attributes = only_chat_span(span_exporter).attributes
    assert "gen_ai.input.messages" not in attributes
    assert "gen_ai.output.messages" not in attributes
    assert attributes["gen_ai.usage.input_tokens"] == 17


def test_failed_call_records_input_only(capture, fake_server, span_exporter):
    capture("SPAN_ONLY")
    with pytest.raises(openai.InternalServerError):
        make_model(fake_server, model="error-500").invoke("Tell me PROMPT-MARK")

    attributes = only_chat_span(span_exporter).attributes
    assert "PROMPT-MARK" in attributes["gen_ai.input.messages"]
    assert "gen_ai.output.messages" not in attributes


def test_invalid_mode_warns_once_and_records_nothing(
    monkeypatch, caplog, capture, fake_server, span_exporter
):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "everything-please")
    capture(None)
    make_model(fake_server).invoke("Tell me PROMPT-MARK")

    assert "gen_ai.input.messages" not in only_chat_span(span_exporter).attributes
    warnings = [r for r in caplog.records if "everything-please" in r.getMessage()]
    assert len(warnings) == 1

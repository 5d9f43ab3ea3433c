"""Zero-code use end to end: an example app under ``opentelemetry-instrument``, real OTLP export.

The examples run unchanged in a subprocess, configured only by OTEL_* environment variables, with
a real ``ChatOpenAI`` talking to the examples' loopback OpenAI server. Spans and metrics go over
OTLP (gRPC or HTTP/protobuf) to a loopback receiver built on the official protocol definitions,
and the tests assert on what it decoded: span tree, attributes, resource, metric points.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.otlp_receiver import OtlpReceiver, ReceivedMetric, ReceivedSpan, attributes

ROOT = Path(__file__).resolve().parent.parent
DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
# Provider-level GenAI instrumentations installed for other tests would add their own spans.
OTHER_GENAI = "openai,anthropic"
TOKEN_TYPE = "gen_ai.token.type"
_SCRUBBED = ("OTEL_", "OPENAI_", "LANGCHAIN_", "LANGSMITH_")


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


def run_example(receiver: OtlpReceiver, example: str, protocol: str, logs: str, service: str):
    """Run examples/<example> as a user would: the launcher, env vars, no code changes."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    endpoint = receiver.grpc_endpoint if protocol == "grpc" else receiver.http_endpoint
    environment.update(
        OTEL_SERVICE_NAME=service,
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER=logs,
        OTEL_METRIC_EXPORT_INTERVAL="200",
        OTEL_BSP_SCHEDULE_DELAY="50",
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=OTHER_GENAI,
    )
    receiver.clear()
    launcher = str(Path(sys.executable).parent / "opentelemetry-instrument")
    result = subprocess.run(
        [launcher, sys.executable, f"examples/{example}.py"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "using the built-in loopback provider" in result.stdout
    # Nothing failed to export, and everything arrived over the configured transport.
    assert "Failed to export" not in result.stderr, result.stderr
    assert "Exception" not in result.stderr, result.stderr
    transport = "grpc" if protocol == "grpc" else "http"
    assert {t for t, _signal in receiver.requests} == {transport}
    return result


def span_tree(spans: list[ReceivedSpan], root_name: str):
    """(user span, its chat spans in start order, chat span id -> its HTTP spans)."""
    (user,) = [s for s in spans if s.name == root_name]
    chat = [s for s in spans if s.name.split(" ")[0] == "chat"]
    http = {c.span_id: [s for s in spans if s.parent_span_id == c.span_id] for c in chat}
    return user, chat, http


def assert_tree(spans: list[ReceivedSpan], root_name: str, service: str, calls: int):
    user, chat, http = span_tree(spans, root_name)
    assert (user.parent_span_id, user.kind) == ("", "INTERNAL")
    assert len(chat) == calls
    assert {(c.parent_span_id, c.trace_id, c.kind) for c in chat} == {
        (user.span_id, user.trace_id, "CLIENT")
    }
    assert {c.scope for c in chat} == {"langchain_otel"}
    assert {c.status for c in chat} == {"UNSET"}
    # The httpx instrumentation nests exactly one POST under each chat span, to the same server.
    for c in chat:
        (post,) = http[c.span_id]
        assert (post.name, post.kind, post.trace_id) == ("POST", "CLIENT", user.trace_id)
        port = c.attributes["server.port"]
        assert post.attributes["http.url"] == f"http://127.0.0.1:{port}/v1/chat/completions"
    # Nothing else was exported: no spans from the provider-level instrumentations.
    assert len(spans) == 1 + 2 * calls
    assert {s.resource["service.name"] for s in spans} == {service}
    assert {s.resource["telemetry.sdk.language"] for s in spans} == {"python"}
    return user, chat


def key_attributes(span: ReceivedSpan) -> dict:
    keys = (
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "gen_ai.request.temperature",
        "gen_ai.request.max_tokens",
        "gen_ai.request.stream",
        "gen_ai.response.model",
        "gen_ai.response.id",
        "gen_ai.response.finish_reasons",
        "server.address",
    )
    return {key: span.attributes[key] for key in keys if key in span.attributes}


def last(metrics: dict[str, list[ReceivedMetric]], name: str) -> ReceivedMetric:
    """The last export of a cumulative metric: the totals of the whole run."""
    return metrics[name][-1]


def genai_metrics(receiver: OtlpReceiver, service: str) -> dict[str, ReceivedMetric]:
    found = receiver.metrics_by_name()
    names = {name for name in found if name.startswith("gen_ai.")}
    final = {name: last(found, name) for name in names}
    for metric in final.values():
        assert (metric.kind, metric.temporality) == ("histogram", "CUMULATIVE")
        assert metric.resource["service.name"] == service
        assert metric.scope == "langchain_otel"
    return final


def by_attributes(metric: ReceivedMetric) -> dict[frozenset, object]:
    return {frozenset(attributes(p.attributes).items()): p for p in metric.points}


def common(port: int) -> dict:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "server.address": "127.0.0.1",
        "server.port": port,
    }


def assert_exemplars_link_to_chat_spans(receiver: OtlpReceiver, chat: list[ReceivedSpan]):
    """Every gen_ai point is recorded in its chat span's context: the exemplars the SDK attaches
    (one per bucket and collection) carry the trace and span ids of those chat spans."""
    chat_ids = {(c.trace_id, c.span_id) for c in chat}
    for name, exports in receiver.metrics_by_name().items():
        if not name.startswith("gen_ai."):
            continue
        linked = {
            (exemplar.trace_id.hex(), exemplar.span_id.hex())
            for export in exports
            for point in export.points
            for exemplar in point.exemplars
        }
        assert linked, name
        assert linked <= chat_ids, name


def assert_duration_and_tokens(metrics: dict[str, ReceivedMetric], chat: list[ReceivedSpan]):
    port = chat[0].attributes["server.port"]
    duration = metrics["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    (point,) = duration.points
    assert attributes(point.attributes) == common(port)
    assert point.count == len(chat)
    assert tuple(point.explicit_bounds) == DURATION_BUCKETS
    assert len(point.bucket_counts) == len(DURATION_BUCKETS) + 1
    assert sum(point.bucket_counts) == len(chat)
    # The metric measures the same interval as the span.
    assert point.sum == pytest.approx(sum((c.end_ns - c.start_ns) / 1e9 for c in chat), rel=1e-3)
    assert 0 < point.min <= point.max < DURATION_BUCKETS[-1]

    tokens = metrics["gen_ai.client.token.usage"]
    assert tokens.unit == "{token}"
    points = by_attributes(tokens)
    assert set(points) == {
        frozenset({**common(port), TOKEN_TYPE: kind}.items()) for kind in ("input", "output")
    }
    for kind in ("input", "output"):
        (point,) = [p for p in tokens.points if attributes(p.attributes)[TOKEN_TYPE] == kind]
        assert tuple(point.explicit_bounds) == TOKEN_BUCKETS
        assert point.count == len(chat)
        assert point.sum == sum(c.attributes[f"gen_ai.usage.{kind}_tokens"] for c in chat)


def assert_agent_tree(spans: list[ReceivedSpan], service: str) -> list[ReceivedSpan]:
    """The example has no span of its own: the agent run is the root, its model calls and its
    tool call are its children in the order they ran, each model call has its HTTP request."""
    (agent,) = [s for s in spans if s.parent_span_id == ""]
    assert (agent.name, agent.kind, agent.scope) == (
        "invoke_agent archaeology_assistant",
        "INTERNAL",
        "langchain_otel",
    )
    children = sorted(
        (s for s in spans if s.parent_span_id == agent.span_id), key=lambda s: s.start_ns
    )
    chats = [c for c in children if c.name.startswith("chat ")]
    assert agent.attributes == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "archaeology_assistant",
        "gen_ai.conversation.id": "demo-1",
        # what its model calls add up to: the final answer's provider and finish reason
        "gen_ai.provider.name": "openai",
        "gen_ai.response.finish_reasons": ("stop",),
        **{
            key: sum(c.attributes[key] for c in chats)
            for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")
        },
    }
    assert [(c.name, c.kind) for c in children] == [
        ("chat gpt-4o-mini", "CLIENT"),
        ("execute_tool find_city", "INTERNAL"),
        ("chat gpt-4o-mini", "CLIENT"),
    ]
    first, tool, second = children
    assert tool.attributes == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "find_city",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.description": "Where an archaeological site is today.",
        "gen_ai.tool.call.id": "call_demo_1",
        "gen_ai.conversation.id": "demo-1",  # the run's, on every call inside it
        "gen_ai.agent.name": "archaeology_assistant",
        "langchain_otel.langgraph.node": "tools",
    }
    for chat in (first, second):
        (post,) = [s for s in spans if s.parent_span_id == chat.span_id]
        assert (post.name, post.kind) == ("POST", "CLIENT")
    assert not [s for s in spans if s.parent_span_id == tool.span_id]
    # One trace; nothing else was exported (no spans from provider-level instrumentations).
    assert {s.trace_id for s in spans} == {agent.trace_id}
    assert len(spans) == 6
    assert {s.resource["service.name"] for s in spans} == {service}
    assert {s.status for s in spans} == {"UNSET"}
    return [first, second]


@pytest.mark.parametrize(("protocol", "logs"), [("grpc", "none"), ("http/protobuf", "otlp")])
def test_agent_with_tools_over_otlp(receiver, protocol, logs):
    service = f"agent-{protocol.split('/')[0]}"
    result = run_example(receiver, "agent_with_tools", protocol, logs, service)
    assert "tool find_city({'place': 'Uruk'}) -> near Samawah, Iraq" in result.stdout

    spans = receiver.spans()
    chat = assert_agent_tree(spans, service)
    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.0,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-demo0001",
        "server.address": "127.0.0.1",
    }
    assert [c.name for c in chat] == ["chat gpt-4o-mini"] * 2
    assert [key_attributes(c) for c in chat] == [
        {**expected, "gen_ai.response.finish_reasons": ("tool_calls",)},
        {**expected, "gen_ai.response.finish_reasons": ("stop",)},
    ]
    assert {type(c.attributes["server.port"]) for c in chat} == {int}
    assert all(c.attributes["gen_ai.usage.input_tokens"] == 24 for c in chat)

    metrics = genai_metrics(receiver, service)
    # No stream in this example: no time-to-first-chunk metric.
    assert set(metrics) == {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"}
    assert_duration_and_tokens(metrics, chat)
    assert_exemplars_link_to_chat_spans(receiver, chat)


@pytest.mark.parametrize(("protocol", "logs"), [("http/protobuf", "none"), ("grpc", "otlp")])
def test_async_and_streaming_over_otlp(receiver, protocol, logs):
    service = f"async-{protocol.split('/')[0]}"
    run_example(receiver, "async_and_streaming", protocol, logs, service)

    spans = receiver.spans()
    _user, chat = assert_tree(spans, "answer-questions", service, calls=4)
    streamed = [c for c in chat if c.attributes.get("gen_ai.request.stream") is True]
    assert len(streamed) == 1
    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 200,
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.id": "chatcmpl-demo0001",
        "gen_ai.response.finish_reasons": ("stop",),
        "server.address": "127.0.0.1",
    }
    (stream,) = streamed
    assert [key_attributes(c) for c in chat if c is not stream] == [expected] * 3
    # The Chat Completions stream carries no id through langchain-openai.
    del expected["gen_ai.response.id"]
    assert key_attributes(stream) == {**expected, "gen_ai.request.stream": True}
    time_to_first_chunk = stream.attributes["gen_ai.response.time_to_first_chunk"]
    assert isinstance(time_to_first_chunk, float)

    metrics = genai_metrics(receiver, service)
    assert set(metrics) == {
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.time_to_first_chunk",
    }
    assert_duration_and_tokens(metrics, chat)
    assert_exemplars_link_to_chat_spans(receiver, chat)
    ttfc = metrics["gen_ai.client.operation.time_to_first_chunk"]
    assert ttfc.unit == "s"
    (point,) = ttfc.points
    assert attributes(point.attributes) == common(stream.attributes["server.port"])
    assert (point.count, tuple(point.explicit_bounds)) == (1, DURATION_BUCKETS)
    assert point.sum == pytest.approx(time_to_first_chunk)


def test_rag_over_otlp(receiver):
    """examples/rag.py: indexing and the question are embeddings calls, in one trace with the
    retrieval and the answer; each provider call has its HTTP request and its duration point."""
    service = "rag-http"
    result = run_example(receiver, "rag", "http/protobuf", "none", service)
    assert "context: Uruk" in result.stdout

    spans = receiver.spans()
    (rag,) = [s for s in spans if s.name == "rag"]
    (retrieval,) = [s for s in spans if s.name.startswith("retrieval")]
    (chat,) = [s for s in spans if s.name.startswith("chat")]
    embeddings = [s for s in spans if s.name.startswith("embeddings")]
    assert [s.name for s in embeddings] == ["embeddings text-embedding-3-small"] * 2
    index, query = sorted(embeddings, key=lambda s: s.start_ns)
    assert (index.parent_span_id, query.parent_span_id) == (rag.span_id, retrieval.span_id)
    assert {(s.parent_span_id, s.trace_id) for s in (retrieval, chat)} == {
        (rag.span_id, rag.trace_id)
    }
    port = chat.attributes["server.port"]
    for span in embeddings:
        assert (span.kind, span.status, span.scope) == ("CLIENT", "UNSET", "langchain_otel")
        assert span.attributes == {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "text-embedding-3-small",
            "server.address": "127.0.0.1",
            "server.port": port,
            "gen_ai.embeddings.dimension.count": 26,  # the loopback's vectors
        }
        (post,) = [s for s in spans if s.parent_span_id == span.span_id]
        assert post.attributes["http.url"] == f"http://127.0.0.1:{port}/v1/embeddings"
    assert len(spans) == 1 + 1 + 3 * 2  # rag, retrieval, and each provider call with its POST

    duration = genai_metrics(receiver, service)["gen_ai.client.operation.duration"]
    counts = {attributes(p.attributes)["gen_ai.operation.name"]: p.count for p in duration.points}
    assert counts == {"embeddings": 2, "chat": 1}
    (point,) = [
        p
        for p in duration.points
        if attributes(p.attributes)["gen_ai.operation.name"] == "embeddings"
    ]
    assert attributes(point.attributes) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "text-embedding-3-small",
        "server.address": "127.0.0.1",
        "server.port": port,
    }

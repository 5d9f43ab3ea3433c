"""Small readers for exported telemetry, so tests assert on plain dicts."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import langchain_core.tools.base as tools_base
from langchain_core.callbacks import (
    AsyncCallbackManager,
    BaseCallbackHandler,
    CallbackManager,
)
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever
from langchain_core.tracers._streaming import _StreamingCallbackHandler
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

try:  # the log exporter the tests read events from (renamed in SDK 1.39)
    from opentelemetry.sdk._logs.export import (
        InMemoryLogRecordExporter as InMemoryLogExporter,
    )
except ImportError:  # SDK < 1.39
    from opentelemetry.sdk._logs.export import InMemoryLogExporter  # noqa: F401
try:  # not on the oldest supported stack
    from langgraph.pregel import Pregel
except ImportError:  # pragma: no cover
    Pregel = None
try:
    from langchain_classic.agents.agent import AgentExecutor
except ImportError:  # pragma: no cover
    AgentExecutor = None

_RUN_METHODS = ("invoke", "ainvoke", "stream", "astream")
# Every (class or module, method) the structure spans wrap, for what is installed.
STRUCTURE_PATCHED = (
    (tools_base.BaseTool, "run"),
    (tools_base.BaseTool, "arun"),
    (tools_base, "_handle_tool_error"),
    (tools_base, "_handle_validation_error"),
    (BaseRetriever, "invoke"),
    (BaseRetriever, "ainvoke"),
    *((Pregel, method) for method in _RUN_METHODS if Pregel is not None),
    *((AgentExecutor, method) for method in _RUN_METHODS if AgentExecutor is not None),
)

# Every (class or module, method) instrument() wraps on a current LangChain.
PATCHED = (
    (CallbackManager, "on_llm_start"),
    (AsyncCallbackManager, "on_llm_start"),
    (BaseChatModel, "_generate_with_cache"),
    (BaseChatModel, "_agenerate_with_cache"),
    (BaseChatModel, "stream"),
    (BaseChatModel, "astream"),
    *(
        ((BaseChatModel, "_convert_cached_generations"),)
        if hasattr(BaseChatModel, "_convert_cached_generations")
        else ()
    ),
    *STRUCTURE_PATCHED,
)

_MISSING = object()


def _static(owner: type | ModuleType, name: str) -> object:
    """``owner.name`` as stored (no descriptor binding), through the class's MRO."""
    if isinstance(owner, ModuleType):
        return vars(owner)[name]
    return next(vars(cls)[name] for cls in owner.__mro__ if name in vars(cls))


def patched_attributes() -> dict[tuple[Any, str], object]:
    """What every method instrument() wraps resolves to now (inherited ones included)."""
    return {(owner, name): _static(owner, name) for owner, name in PATCHED}


def own_attributes() -> dict[tuple[Any, str], object]:
    """What each owner itself holds under every wrapped name (absent: inherited)."""
    return {(owner, name): vars(owner).get(name, _MISSING) for owner, name in PATCHED}


def span_tree(spans: Any) -> list[tuple[str, str, list[Any]]]:
    """Every root span (no parent among ``spans``) as ``(name, kind, children)``, children in
    start order: a trace's shape in one comparable value."""
    spans = list(spans)
    ids = {s.context.span_id for s in spans}

    def children(parent_id: int | None) -> list[tuple[str, str, list[Any]]]:
        found = [
            s
            for s in spans
            if (s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None)
            == parent_id
        ]
        found.sort(key=lambda s: s.start_time)
        return [(s.name, s.kind.name, children(s.context.span_id)) for s in found]

    return children(None)


def operation_spans(exporter: InMemorySpanExporter, operation: str) -> list[ReadableSpan]:
    """The finished spans of one operation (``chat``, ``embeddings``, ``text_completion``)."""
    return [s for s in exporter.get_finished_spans() if s.name.split(" ")[0] == operation]


def only_span(exporter: InMemorySpanExporter, operation: str) -> ReadableSpan:
    (span,) = operation_spans(exporter, operation)
    return span


def chat_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return operation_spans(exporter, "chat")


def only_chat_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    return only_span(exporter, "chat")


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    """Metric name -> its data points (histogram points), from one collection."""
    points: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    if data is None:
        return points
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


def inference_spans(exporter):
    return [s for s in exporter.get_finished_spans() if "gen_ai.operation.name" in s.attributes]


def http_spans(exporter):
    return [s for s in exporter.get_finished_spans() if s.name == "POST"]


def duration_points_by_scope(reader) -> dict[str, int]:
    data = reader.get_metrics_data()
    counts: dict[str, int] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == "gen_ai.client.operation.duration":
                    counts[sm.scope.name] = sum(p.count for p in metric.data.data_points)
    return counts


def stream_attributes(span: ReadableSpan) -> dict[str, Any]:
    """A streaming span's attributes without the time to first chunk, which is checked here."""
    attributes = dict(span.attributes or {})
    ttfc = attributes.pop("gen_ai.response.time_to_first_chunk")
    assert isinstance(ttfc, float)
    assert 0 < ttfc <= (span.end_time - span.start_time) / 1e9
    return attributes


def token_usage_points(reader: InMemoryMetricReader) -> dict[str, Any]:
    """Token type -> its gen_ai.client.token.usage point."""
    points = metric_points(reader)["gen_ai.client.token.usage"]
    return {p.attributes["gen_ai.token.type"]: p for p in points}


def token_points(reader: InMemoryMetricReader) -> dict[str, int]:
    """Token type -> summed gen_ai.client.token.usage."""
    return {kind: point.sum for kind, point in token_usage_points(reader).items()}


def span_token_counts(span: ReadableSpan) -> dict[str, Any]:
    """The span's input and output token counts, keyed like :func:`token_points`."""
    attributes = span.attributes or {}
    return {kind: attributes[f"gen_ai.usage.{kind}_tokens"] for kind in ("input", "output")}


class StreamingHandler(BaseCallbackHandler, _StreamingCallbackHandler):
    """A callback handler LangChain streams for, declared the way LangGraph's
    ``stream_mode="messages"`` handler is: ``invoke`` then streams on the wire."""

    def tap_output_iter(self, run_id: Any, output: Any) -> Any:
        return output

    def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
        return output


def assert_exportable(
    span_exporter: InMemorySpanExporter | None = None,
    metric_reader: InMemoryMetricReader | None = None,
) -> None:
    """Everything collected encodes with the OTLP protobuf encoder, no attribute lost.

    The encoder fails a whole batch on some values (a span name that is not UTF-8) and drops
    others with an error log (attributes it cannot encode): both count as not exportable.
    """
    # Imported here: the side venvs that share these helpers have no OTLP exporter.
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import (  # noqa: PLC0415
        encode_metrics,
    )
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import (  # noqa: PLC0415
        encode_spans,
    )

    if span_exporter is not None:
        spans = span_exporter.get_finished_spans()
        request = encode_spans(spans)
        request.SerializeToString()
        encoded = {
            proto.span_id: proto
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for proto in scope_spans.spans
        }
        assert len(encoded) == len(spans)
        for span in spans:
            proto = encoded[span.context.span_id.to_bytes(8, "big")]
            kept = {attribute.key for attribute in proto.attributes}
            assert kept == set(span.attributes or {}), (span.name, set(span.attributes) - kept)
            for event, proto_event in zip(span.events, proto.events, strict=True):
                assert len(proto_event.attributes) == len(event.attributes or {}), event.name
    if metric_reader is not None:
        data = metric_reader.get_metrics_data()
        if data is None:
            return
        request = encode_metrics(data)
        request.SerializeToString()
        expected = [
            len(point.attributes or {})
            for resource_metrics in data.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            for point in metric.data.data_points
        ]
        encoded_counts = [
            len(point.attributes)
            for resource_metrics in request.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            for point in _proto_points(metric)
        ]
        assert encoded_counts == expected


def _proto_points(metric: Any) -> Any:
    kind = metric.WhichOneof("data")
    return getattr(metric, kind).data_points if kind else []

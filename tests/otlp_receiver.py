"""A loopback OTLP receiver built on the official protocol definitions (opentelemetry-proto).

One object serves both transports an OTLP exporter speaks:

- gRPC on ``grpc_endpoint``: ``TraceService``, ``MetricsService`` and ``LogsService`` ``Export``;
- HTTP/protobuf on ``http_endpoint``: ``POST /v1/traces``, ``/v1/metrics``, ``/v1/logs``
  (gzip bodies accepted).

It keeps every decoded ``Export*ServiceRequest`` (``traces``, ``metrics``, ``logs``) and offers flat
views for assertions: :meth:`OtlpReceiver.spans` and :meth:`OtlpReceiver.metrics_by_name`.
"""

from __future__ import annotations

import gzip
import threading
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a Python value (arrays become tuples, like the SDK's attributes)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: any_value(pair.value) for pair in pairs}


@dataclass
class ReceivedSpan:
    name: str
    kind: str  # "CLIENT", "INTERNAL", ...
    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    status: str  # "UNSET", "OK", "ERROR"
    start_ns: int
    end_ns: int
    events: list[str] = field(default_factory=list)


@dataclass
class ReceivedMetric:
    name: str
    unit: str
    kind: str  # "histogram", "sum", "gauge", ...
    temporality: str  # "CUMULATIVE" / "DELTA" ("" for gauges)
    resource: dict[str, Any]
    scope: str
    points: list[Any]  # the raw *DataPoint messages

    def point_attributes(self) -> list[dict[str, Any]]:
        return [attributes(p.attributes) for p in self.points]


_SPAN_KIND = {v: k.removeprefix("SPAN_KIND_") for k, v in trace_pb2.Span.SpanKind.items()}
_STATUS = {v: k.removeprefix("STATUS_CODE_") for k, v in trace_pb2.Status.StatusCode.items()}
_TEMPORALITY = {
    v: k.removeprefix("AGGREGATION_TEMPORALITY_")
    for k, v in metrics_pb2.AggregationTemporality.items()
}


class OtlpReceiver:
    """Start with :meth:`start`, point an exporter at an endpoint, read what arrived."""

    def __init__(self) -> None:
        self.traces: list[trace_service_pb2.ExportTraceServiceRequest] = []
        self.metrics: list[metrics_service_pb2.ExportMetricsServiceRequest] = []
        self.logs: list[logs_service_pb2.ExportLogsServiceRequest] = []
        self.requests: list[tuple[str, str]] = []  # (transport, signal), in arrival order
        self._lock = threading.Lock()
        self._grpc: grpc.Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self.grpc_port = 0
        self.http_port = 0

    # -- storage ------------------------------------------------------------------------------

    def _store(self, transport: str, signal: str, request: Message) -> None:
        with self._lock:
            self.requests.append((transport, signal))
            getattr(self, signal).append(request)

    def clear(self) -> None:
        with self._lock:
            self.traces.clear()
            self.metrics.clear()
            self.logs.clear()
            self.requests.clear()

    # -- transports ---------------------------------------------------------------------------

    def start(self) -> OtlpReceiver:
        self._start_grpc()
        self._start_http()
        return self

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace=None)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def _start_grpc(self) -> None:
        receiver = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):
                receiver._store("grpc", "traces", request)
                return trace_service_pb2.ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request, context):
                receiver._store("grpc", "metrics", request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        class Logs(logs_service_pb2_grpc.LogsServiceServicer):
            def Export(self, request, context):
                receiver._store("grpc", "logs", request)
                return logs_service_pb2.ExportLogsServiceResponse()

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), server)
        self.grpc_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc = server

    def _start_http(self) -> None:
        receiver = self
        routes: dict[str, tuple[str, type[Message], type[Message]]] = {
            "/v1/traces": (
                "traces",
                trace_service_pb2.ExportTraceServiceRequest,
                trace_service_pb2.ExportTraceServiceResponse,
            ),
            "/v1/metrics": (
                "metrics",
                metrics_service_pb2.ExportMetricsServiceRequest,
                metrics_service_pb2.ExportMetricsServiceResponse,
            ),
            "/v1/logs": (
                "logs",
                logs_service_pb2.ExportLogsServiceRequest,
                logs_service_pb2.ExportLogsServiceResponse,
            ),
        }

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                route = routes.get(self.path)
                if route is None:
                    self._reply(404, b"not found", "text/plain")
                    return
                if self.headers.get("Content-Type") != "application/x-protobuf":
                    self._reply(415, b"only application/x-protobuf", "text/plain")
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                signal, request_type, response_type = route
                request = request_type()
                request.ParseFromString(body)
                receiver._store("http", signal, request)
                self._reply(200, response_type().SerializeToString(), "application/x-protobuf")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.http_port = server.server_address[1]
        self._http = server

    # -- views --------------------------------------------------------------------------------

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            requests = list(self.traces)
        return [
            ReceivedSpan(
                name=span.name,
                kind=_SPAN_KIND[span.kind],
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                attributes=attributes(span.attributes),
                resource=attributes(resource_spans.resource.attributes),
                scope=scope_spans.scope.name,
                status=_STATUS[span.status.code],
                start_ns=span.start_time_unix_nano,
                end_ns=span.end_time_unix_nano,
                events=[event.name for event in span.events],
            )
            for request in requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def metrics_by_name(self) -> dict[str, list[ReceivedMetric]]:
        """Metric name -> one entry per export that carried it (cumulative: the last has totals)."""
        with self._lock:
            requests = list(self.metrics)
        found: dict[str, list[ReceivedMetric]] = {}
        for request in requests:
            for resource_metrics in request.resource_metrics:
                resource = attributes(resource_metrics.resource.attributes)
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        kind = metric.WhichOneof("data") or ""
                        data = getattr(metric, kind)
                        temporality = getattr(data, "aggregation_temporality", 0)
                        found.setdefault(metric.name, []).append(
                            ReceivedMetric(
                                name=metric.name,
                                unit=metric.unit,
                                kind=kind,
                                temporality=_TEMPORALITY[temporality] if temporality else "",
                                resource=resource,
                                scope=scope_metrics.scope.name,
                                points=list(data.data_points),
                            )
                        )
        return found

    def log_records(self) -> list[Any]:
        with self._lock:
            requests = list(self.logs)
        return [
            record
            for request in requests
            for resource_logs in request.resource_logs
            for scope_logs in resource_logs.scope_logs
            for record in scope_logs.log_records
        ]


__all__ = ["OtlpReceiver", "ReceivedMetric", "ReceivedSpan", "any_value", "attributes"]

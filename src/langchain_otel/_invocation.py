"""The life of one chat-model call's span: start, then exactly one of finish or fail.

Shared by the invoke, ainvoke, stream and astream wrappers; no I/O, no knowledge of how the call is
made. Every step here is telemetry: it logs its own failures at debug level and never raises into
the user's call, and the span is ended in a step of its own so a mapping failure cannot leak it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from langchain_otel import _semconv as sc
from langchain_otel._metrics import ChatMetrics
from langchain_otel._request import ChatRequest
from langchain_otel._response import ChatResponse, response_from_message
from langchain_otel.providers import Attributes, ChatModelMapper, MapperRegistry

_logger = logging.getLogger(__name__)

# Context key holding the invocation being traced: an inner call on the same model instance
# (stream -> invoke fallback) is the same provider call and gets no second span.
ACTIVE_INVOCATION_KEY = context.create_key("langchain_otel.active_invocation")

_MAX_STATUS_DESCRIPTION = 512


def active_invocation(model: object) -> ChatInvocation | None:
    """The traced call on this very model instance running in the current context, if any."""
    invocation = context.get_value(ACTIVE_INVOCATION_KEY)
    if isinstance(invocation, ChatInvocation) and invocation.model_id == id(model):
        return invocation
    return None


@dataclass(frozen=True)
class ChatTelemetry:
    """Everything one ``instrument()`` call built: the tracer, the metrics and the mappers."""

    tracer: trace.Tracer
    metrics: ChatMetrics | None
    registry: MapperRegistry

    def start(
        self, model: object, kwargs: Mapping[str, Any], streaming: bool
    ) -> ChatInvocation | None:
        """Start the span for one call; None (the call then runs untraced) if that fails."""
        try:
            request = ChatRequest(model, kwargs)
            mapper, attributes = self.registry.mapper_for(type(model)).start(request)
            request_model = attributes.get(sc.REQUEST_MODEL)
            name = f"{sc.OPERATION_CHAT} {request_model}" if request_model else sc.OPERATION_CHAT
            start_ns = time.time_ns()
            span = self.tracer.start_span(
                name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns
            )
        except Exception:
            _logger.debug("langchain-otel: could not start the span", exc_info=True)
            return None
        recording = span.is_recording()
        if recording:
            try:
                span.set_attributes(mapper.request_attributes(request))
            except Exception:
                _logger.debug("langchain-otel: request attributes failed", exc_info=True)
        invocation = ChatInvocation(
            self, mapper, span, recording, id(model), streaming, attributes, start_ns
        )
        invocation.context = trace.set_span_in_context(
            span, context.set_value(ACTIVE_INVOCATION_KEY, invocation)
        )
        return invocation


class ChatInvocation:
    """One traced call. ``context`` is what the wrapper makes current while the provider runs."""

    __slots__ = (
        "_attributes",
        "_ended",
        "_mapper",
        "_recording",
        "_start_ns",
        "_telemetry",
        "context",
        "model_id",
        "span",
        "streaming",
    )

    def __init__(
        self,
        telemetry: ChatTelemetry,
        mapper: ChatModelMapper,
        span: Span,
        recording: bool,
        model_id: int,
        streaming: bool,
        attributes: Attributes,
        start_ns: int,
    ) -> None:
        self._telemetry = telemetry
        self._mapper = mapper
        self.span = span
        self._recording = recording
        self.model_id = model_id
        #: False once a stream fell back to a plain (non-streaming) request on the same model.
        self.streaming = streaming
        self._attributes = attributes  # start attributes; they become the metric attributes
        self._start_ns = start_ns
        self._ended = False
        self.context: Context = Context()

    def finish_message(self, message: object) -> None:
        """End after ``invoke``/``ainvoke`` returned ``message``."""
        if self._ended:
            return
        try:
            response = response_from_message(message)
        except Exception:
            _logger.debug("langchain-otel: could not read the response", exc_info=True)
            response = None
        self.finish(response)

    def finish(
        self,
        response: ChatResponse | None,
        first_chunk_ns: int | None = None,
        chunk_times_ns: Sequence[int] = (),
    ) -> None:
        """End a call that completed (or a stream the consumer stopped early)."""
        self._end(response, None, first_chunk_ns, chunk_times_ns)

    def fail(
        self,
        error: BaseException,
        response: ChatResponse | None = None,
        first_chunk_ns: int | None = None,
        chunk_times_ns: Sequence[int] = (),
    ) -> None:
        """End a call that raised ``error``; ``response`` is what a stream delivered before."""
        self._end(response, error, first_chunk_ns, chunk_times_ns)

    def _end(
        self,
        response: ChatResponse | None,
        error: BaseException | None,
        first_chunk_ns: int | None,
        chunk_times_ns: Sequence[int],
    ) -> None:
        if self._ended:
            return
        self._ended = True
        end_ns = time.time_ns()
        try:
            self._record(response, error, end_ns, first_chunk_ns, chunk_times_ns)
        except Exception:
            _logger.debug("langchain-otel: recording the response failed", exc_info=True)
        try:
            self.span.end(end_time=end_ns)
        except Exception:
            _logger.debug("langchain-otel: ending the span failed", exc_info=True)

    def _record(
        self,
        response: ChatResponse | None,
        error: BaseException | None,
        end_ns: int,
        first_chunk_ns: int | None,
        chunk_times_ns: Sequence[int],
    ) -> None:
        mapper = self._mapper
        metric_attributes = self._attributes
        span = self.span
        usage: Attributes = {}
        response_model: object = None
        if response is not None:
            response_model = mapper.response_model(response)
            if self._recording:
                span_attributes = mapper.response_attributes(response)
                usage = span_attributes
            else:
                span_attributes = {}
                usage = mapper.usage_attributes(response)
        else:
            span_attributes = {}
        if not response_model:
            response_model = metric_attributes.get(sc.REQUEST_MODEL)
        if isinstance(response_model, str) and response_model:
            metric_attributes[sc.RESPONSE_MODEL] = response_model
            span_attributes[sc.RESPONSE_MODEL] = response_model
        streaming = self.streaming
        time_to_first_chunk = (
            (first_chunk_ns - self._start_ns) / 1e9
            if streaming and first_chunk_ns is not None
            else None
        )
        error_type = qualified_name(type(error)) if error is not None else None
        if self._recording:
            if streaming:
                span_attributes[sc.REQUEST_STREAM] = True
            if time_to_first_chunk is not None:
                span_attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = time_to_first_chunk
            if error is not None and error_type is not None:
                span_attributes[sc.ERROR_TYPE] = error_type
                span.set_status(Status(StatusCode.ERROR, _describe(error)))
                span.record_exception(error)
            span.set_attributes(span_attributes)
        metrics = self._telemetry.metrics
        if metrics is not None:
            metrics.record(
                metric_attributes,
                (end_ns - self._start_ns) / 1e9,
                _as_token_count(usage.get(sc.USAGE_INPUT_TOKENS)),
                _as_token_count(usage.get(sc.USAGE_OUTPUT_TOKENS)),
                error_type,
            )
            if time_to_first_chunk is not None:
                metrics.record_stream_timing(metric_attributes, time_to_first_chunk, chunk_times_ns)


def qualified_name(cls: type) -> str:
    """``error.type``: the exception's fully qualified class name (builtins unqualified)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:_MAX_STATUS_DESCRIPTION]


def _as_token_count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

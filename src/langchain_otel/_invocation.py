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
from langchain_otel._content import ContentRecorder, input_sequence, tool_names
from langchain_otel._metrics import ChatMetrics
from langchain_otel._provider_layers import ProviderLayers, published_attributes
from langchain_otel._request import ChatRequest
from langchain_otel._response import ChatResponse, response_from_message
from langchain_otel.providers import Attributes, ChatModelMapper, MapperRegistry

_logger = logging.getLogger(__name__)

# Context key holding the invocation being traced: an inner call on the same model instance
# (stream -> invoke fallback) is the same provider call and gets no second span.
ACTIVE_INVOCATION_KEY = context.create_key("langchain_otel.active_invocation")

_MAX_STATUS_DESCRIPTION = 512
# Longest string a mapper may put in an attribute: ids, models and reasons are short; anything
# longer is a provider (or mapper) bug, and must not bloat every span.
_MAX_VALUE_LENGTH = 1024


def active_invocation(model: object) -> ChatInvocation | None:
    """The traced call on this very model instance running in the current context, if any."""
    invocation = context.get_value(ACTIVE_INVOCATION_KEY)
    if isinstance(invocation, ChatInvocation) and invocation.model_id == id(model):
        return invocation
    return None


@dataclass(frozen=True)
class ChatTelemetry:
    """Everything one ``instrument()`` call built: tracer, metrics, mappers, content recorder."""

    tracer: trace.Tracer
    metrics: ChatMetrics | None
    registry: MapperRegistry
    layers: ProviderLayers
    content: ContentRecorder | None = None

    def start(
        self,
        model: object,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        streaming: bool,
    ) -> ChatInvocation | None:
        """Start the span for one call; None (the call then runs untraced) if that fails."""
        try:
            request = ChatRequest(model, kwargs, streaming)
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
        invocation = ChatInvocation(self, mapper, span, id(model), streaming, attributes, start_ns)
        call_context = trace.set_span_in_context(
            span, context.set_value(ACTIVE_INVOCATION_KEY, invocation)
        )
        try:
            call_context, invocation.layer_data = self.layers.enter(call_context)
        except Exception:
            _logger.debug("langchain-otel: provider-layer policy failed", exc_info=True)
        invocation.context = call_context
        if invocation.recording or self.content is not None:
            invocation.start_details(request, args)
        return invocation


class ChatInvocation:
    """One traced call. ``context`` is what the wrapper makes current while the provider runs."""

    __slots__ = (
        "_attributes",
        "_ended",
        "_mapper",
        "_start_ns",
        "_telemetry",
        "content_input",
        "context",
        "layer_data",
        "model_id",
        "recording",
        "request_attributes",
        "span",
        "streaming",
    )

    def __init__(
        self,
        telemetry: ChatTelemetry,
        mapper: ChatModelMapper,
        span: Span,
        model_id: int,
        streaming: bool,
        attributes: Attributes,
        start_ns: int,
    ) -> None:
        self._telemetry = telemetry
        self._mapper = mapper
        self.span = span
        self.recording = span.is_recording()
        self.model_id = model_id
        #: False once a stream fell back to a plain (non-streaming) request on the same model.
        self.streaming = streaming
        self._attributes = attributes  # start attributes; they become the metric attributes
        self._start_ns = start_ns
        self._ended = False
        self.context: Context = Context()
        self.request_attributes: Attributes = {}
        #: (messages sent, bound tools) when content capture is on.
        self.content_input: tuple[list[object], object] | None = None
        #: What a stood-down provider-layer instrumentation published (util-genai InferenceData).
        self.layer_data: object = None

    @property
    def captures_content(self) -> bool:
        return self.content_input is not None

    def start_details(self, request: ChatRequest, args: Sequence[Any]) -> None:
        """Request attributes (recording spans, content events) and the input content (opt-in)."""
        try:  # set on the span with the response attributes, in one call, when the call ends
            attributes = self._mapper.request_attributes(request)
            if "tools" in request.kwargs:
                tools = tool_names(request.kwargs)
                if tools is not None:
                    attributes[sc.TOOL_DEFINITIONS] = tools
            self.request_attributes = attributes
        except Exception:
            _logger.debug("langchain-otel: request attributes failed", exc_info=True)
        if self._telemetry.content is not None:
            try:
                inputs = input_sequence(request.model, args, request.kwargs)
                self.content_input = (inputs, request.kwargs.get("tools"))
            except Exception:
                _logger.debug("langchain-otel: reading the input messages failed", exc_info=True)

    def finish_message(self, message: object) -> None:
        """End after ``invoke``/``ainvoke`` returned ``message``."""
        if self._ended:
            return
        try:
            response = response_from_message(message)
        except Exception:
            _logger.debug("langchain-otel: could not read the response", exc_info=True)
            response = None
        self.finish(response, message)

    def finish(
        self,
        response: ChatResponse | None,
        output: object = None,
        stream: StreamSummary | None = None,
    ) -> None:
        """End a call that completed (or a stream the consumer stopped early)."""
        self._end(response, None, output, stream)

    def fail(
        self,
        error: BaseException,
        response: ChatResponse | None = None,
        output: object = None,
        stream: StreamSummary | None = None,
    ) -> None:
        """End a call that raised ``error``; ``response``/``output``: what a stream delivered."""
        self._end(response, error, output, stream)

    def _end(
        self,
        response: ChatResponse | None,
        error: BaseException | None,
        output: object,
        stream: StreamSummary | None,
    ) -> None:
        if self._ended:
            return
        self._ended = True
        end_ns = time.time_ns()
        span_attributes: Attributes = {}
        try:
            span_attributes = self._record(response, error, end_ns, stream or _NO_STREAM)
        except Exception:
            _logger.debug("langchain-otel: recording the response failed", exc_info=True)
            if self.recording:
                self.span.set_attributes(bounded(self.request_attributes))
        if self.content_input is not None:
            try:
                self._record_content(span_attributes, output)
            except Exception:
                _logger.debug("langchain-otel: recording content failed", exc_info=True)
        try:
            self.span.end(end_time=end_ns)
        except Exception:
            _logger.debug("langchain-otel: ending the span failed", exc_info=True)
        # The context holds this invocation: drop it so the pair is freed now, not by the GC.
        self.context = _EMPTY_CONTEXT

    def _record(
        self,
        response: ChatResponse | None,
        error: BaseException | None,
        end_ns: int,
        stream: StreamSummary,
    ) -> Attributes:
        """Response attributes on the span and the metric points; returns the span attributes."""
        span_attributes = self._response_attributes(response)
        first_chunk_ns = stream.first_chunk_ns
        time_to_first_chunk = (
            (first_chunk_ns - self._start_ns) / 1e9
            if self.streaming and first_chunk_ns is not None
            else None
        )
        error_type = qualified_name(type(error)) if error is not None else None
        if self.streaming:
            span_attributes[sc.REQUEST_STREAM] = True
            if not stream.completed:
                span_attributes[sc.STREAM_CHUNK_COUNT] = stream.chunk_count
        if time_to_first_chunk is not None:
            span_attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = time_to_first_chunk
        if error is not None and error_type is not None:
            span_attributes[sc.ERROR_TYPE] = error_type
            if self.recording:
                self.span.set_status(Status(StatusCode.ERROR, _describe(error)))
                self.span.record_exception(
                    error, attributes={"exception.message": _describe(error)}
                )
        if self.recording:
            self.span.set_attributes(bounded({**self.request_attributes, **span_attributes}))
        metrics = self._telemetry.metrics
        if metrics is None or self._telemetry.layers.counted_elsewhere(self._mapper.client_library):
            return span_attributes
        metric_attributes = self._attributes
        metrics.record(
            metric_attributes,
            (end_ns - self._start_ns) / 1e9,
            _as_token_count(span_attributes.get(sc.USAGE_INPUT_TOKENS)),
            _as_token_count(span_attributes.get(sc.USAGE_OUTPUT_TOKENS)),
            error_type,
        )
        if time_to_first_chunk is not None:
            metrics.record_stream_timing(
                metric_attributes, time_to_first_chunk, stream.chunk_times_ns
            )
        return span_attributes

    def _response_attributes(self, response: ChatResponse | None) -> Attributes:
        """What the answer says: everything for recording spans, else only what metrics need.

        The response model (else the requested one) also goes into the metric attributes.
        """
        mapper = self._mapper
        attributes: Attributes = {}
        response_model: str | None = None
        if response is not None:
            response_model = mapper.response_model(response)
            if self.recording or self.content_input is not None:
                attributes = mapper.response_attributes(response)
            else:
                attributes = mapper.usage_attributes(response)
        if self.layer_data is not None:
            attributes.update(published_attributes(self.layer_data, attributes))
        model = response_model or attributes.get(sc.RESPONSE_MODEL)
        model = model or self._attributes.get(sc.REQUEST_MODEL)
        if isinstance(model, str) and model:
            model = model[:_MAX_VALUE_LENGTH]
            attributes[sc.RESPONSE_MODEL] = self._attributes[sc.RESPONSE_MODEL] = model
        return attributes

    def _record_content(self, response_attributes: Attributes, output: object) -> None:
        recorder = self._telemetry.content
        if recorder is None or self.content_input is None:
            return
        inputs, tools = self.content_input
        finish_reasons = response_attributes.get(sc.RESPONSE_FINISH_REASONS)
        content = recorder.build(
            inputs,
            output,
            finish_reasons if isinstance(finish_reasons, list) else [],
            tools,
            self._mapper.separate_system_instructions,
        )
        if content is None:
            return
        if recorder.mode.on_span and self.recording:
            recorder.record_on_span(self.span, content)
        if recorder.mode.on_event:
            attributes = {**self._attributes, **self.request_attributes, **response_attributes}
            recorder.emit_event(self.span, bounded(attributes), content)


@dataclass(frozen=True)
class StreamSummary:
    """What a stream proxy saw: first-chunk time, chunk times (opt-in metric), count, completion."""

    first_chunk_ns: int | None = None
    chunk_times_ns: Sequence[int] = ()
    chunk_count: int = 0
    completed: bool = True


_NO_STREAM = StreamSummary()
_EMPTY_CONTEXT = Context()


def qualified_name(cls: type) -> str:
    """``error.type``: the exception's fully qualified class name (builtins unqualified)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def bounded(attributes: Attributes) -> Attributes:
    """``attributes`` with every string (and string in a list) cut to a sane length."""
    for key, value in attributes.items():
        if isinstance(value, str):
            if len(value) > _MAX_VALUE_LENGTH:
                attributes[key] = value[:_MAX_VALUE_LENGTH]
        elif isinstance(value, (list, tuple)) and any(
            isinstance(item, str) and len(item) > _MAX_VALUE_LENGTH for item in value
        ):
            attributes[key] = [
                item[:_MAX_VALUE_LENGTH] if isinstance(item, str) else item for item in value
            ]
    return attributes


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:_MAX_STATUS_DESCRIPTION]


def _as_token_count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

"""``embeddings {model}`` spans: one per ``embed_documents``/``embed_query`` (and async) call.

Embedding classes override the ``Embeddings`` methods, so nothing on a base class sees their
calls: each class a mapper names in ``embedding_classes`` is wrapped when its package is imported
(``LazyPatches``, as the structure spans are). A call made while the same model's call runs
(``embed_query`` -> ``embed_documents``, a default ``aembed_*`` running the sync method in an
executor, a subclass and its parent both wrapped) belongs to that call: no second span.

The span covers the LangChain call. Clients that split ``embed_documents`` into batches
(``OpenAIEmbeddings``' ``chunk_size``) do so in a loop inside that method, calling the SDK
directly, with no LangChain hook per batch: a several-batch call is one span (its duration
covers every request). Usage is reported only where a client returns it: the LangChain clients
covered here drop the API's usage, so these spans carry no token counts. No content is recorded
(semconv defines no input/output content attributes for embeddings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode

from langchain_otel import _semconv as sc
from langchain_otel._errors import error_description, error_type, exception_event_attributes
from langchain_otel._invocation import ChatTelemetry
from langchain_otel._lifecycle import ACTIVE_EMBEDDING_KEY
from langchain_otel._run_context import config_parts
from langchain_otel._structure import call_attributes, enclosing_run
from langchain_otel._structure_wrappers import LazyPatches, Target
from langchain_otel._values import MAX_TEXT_LENGTH, safe_text, sanitized
from langchain_otel._wrappers import traced_arequest, traced_request
from langchain_otel.providers import Attributes, ChatModelMapper

_logger = logging.getLogger(__name__)

_EMPTY_CONTEXT = Context()
_clock = time.monotonic_ns

#: (sync, async) method pairs wrapped on every embedding class.
EMBEDDING_METHODS = (("embed_documents", "aembed_documents"), ("embed_query", "aembed_query"))


class EmbeddingInvocation:
    """One traced embedding call (implements ``Traced``)."""

    __slots__ = (
        "_attributes",
        "_ended",
        "_kwargs",
        "_mapper",
        "_model",
        "_start_clock",
        "_start_ns",
        "_telemetry",
        "context",
        "model_id",
        "span",
    )

    def __init__(
        self,
        telemetry: ChatTelemetry,
        mapper: ChatModelMapper,
        model: object,
        kwargs: Mapping[str, Any],
        attributes: Attributes,
    ) -> None:
        self._telemetry = telemetry
        self._mapper = mapper
        self._model: object = model
        self._kwargs = kwargs
        self._attributes = attributes  # start attributes; they are also the metric attributes
        self._ended = False
        self.model_id = id(model)
        self.context: Context = _EMPTY_CONTEXT
        self._start_ns = time.time_ns()
        self._start_clock = _clock()
        self.span: Span = INVALID_SPAN

    def answered(self, result: object) -> None:  # no adopted inner calls
        pass

    def stream_chunk(self, chunk: Any) -> None:  # embeddings never stream
        pass

    def finish(self, result: object = None) -> None:
        self._end(result, None)

    def fail(self, error: BaseException) -> None:
        self._end(None, error)

    def stop_early(self) -> None:
        self._end(None, None)

    def _end(self, result: object, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        elapsed_ns = _clock() - self._start_clock
        kind = error_type(error) if error is not None else None
        span = self.span
        try:
            if span.is_recording():
                attributes = self._mapper.embedding_request_attributes(self._model, self._kwargs)
                if sc.EMBEDDINGS_DIMENSION_COUNT not in attributes:
                    count = vector_length(result)
                    if count is not None:
                        attributes[sc.EMBEDDINGS_DIMENSION_COUNT] = count
                if kind is not None:
                    attributes[sc.ERROR_TYPE] = kind
                span.set_attributes(sanitized(attributes))
                if error is not None:
                    with_content = self._telemetry.content is not None
                    span.set_status(
                        Status(StatusCode.ERROR, error_description(error, with_content))
                    )
                    span.add_event("exception", exception_event_attributes(error, with_content))
        except Exception:
            _logger.debug("langchain-otel: recording the embedding call failed", exc_info=True)
        metrics = self._telemetry.metrics
        try:
            if metrics is not None and not self._telemetry.layers.counted_elsewhere(
                self._mapper.client_library, inference=False
            ):
                metrics.record(self._attributes, elapsed_ns / 1e9, None, None, kind, self.context)
        except Exception:
            _logger.debug("langchain-otel: recording the embedding metrics failed", exc_info=True)
        try:
            span.end(end_time=self._start_ns + elapsed_ns)
        except Exception:
            _logger.debug("langchain-otel: ending the span failed", exc_info=True)
        self.context = _EMPTY_CONTEXT
        self.span = INVALID_SPAN
        self._model = None
        self._kwargs = {}


def vector_length(result: object) -> int | None:
    """The dimension count of an answer: one vector (``embed_query``) or a list of them."""
    if not isinstance(result, list) or not result:
        return None
    first = result[0]
    if isinstance(first, (int, float)):
        return len(result)
    if isinstance(first, list) and first:
        return len(first)
    return None


class EmbeddingSpans:
    """Starts embedding spans for the classes the registry knows, and wraps those classes."""

    def __init__(self, telemetry: ChatTelemetry) -> None:
        self._telemetry = telemetry
        targets = []
        for key in telemetry.registry.embedding_classes:
            package, _, owner = key.partition(".")
            for sync, coroutine in EMBEDDING_METHODS:
                targets.append(Target(package, owner, sync, traced_request(self.start)))
                targets.append(Target(package, owner, coroutine, traced_arequest(self.start)))
        self.patches = LazyPatches(targets)

    def start(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[EmbeddingInvocation, bool] | None:
        """A span for this call; None (untraced) inside the same model's call or on failure."""
        telemetry = self._telemetry
        if not telemetry.active:
            return None
        current = context.get_value(ACTIVE_EMBEDDING_KEY)
        if isinstance(current, EmbeddingInvocation) and current.model_id == id(model):
            return None
        try:
            found = telemetry.registry.embedding_mapper_for(type(model))
            if found is None:
                return None
            # ``chunk_size`` is LangChain's batching, not a request parameter.
            request_kwargs = {k: v for k, v in kwargs.items() if k != "chunk_size"}
            mapper, attributes = found.embedding_start(model, request_kwargs)  # exportable
            # An embedding call has no config: its run context is the ambient one's and its run's.
            metadata, configurable = config_parts()
            span_only = call_attributes(
                telemetry.run_context, enclosing_run(context.get_current()), metadata, configurable
            )
            invocation = EmbeddingInvocation(telemetry, mapper, model, request_kwargs, attributes)
            request_model = attributes.get(sc.REQUEST_MODEL)
            name = sc.OPERATION_EMBEDDINGS
            if request_model:
                name = safe_text(f"{name} {request_model}", MAX_TEXT_LENGTH)
            invocation.span = telemetry.tracer.start_span(
                name,
                kind=SpanKind.CLIENT,
                attributes={**attributes, **sanitized(span_only)} if span_only else attributes,
                start_time=invocation._start_ns,
            )
        except Exception:
            _logger.debug("langchain-otel: could not start the embedding span", exc_info=True)
            return None
        call_context = trace.set_span_in_context(
            invocation.span, context.set_value(ACTIVE_EMBEDDING_KEY, invocation)
        )
        try:
            call_context, _ = telemetry.layers.enter(call_context)
        except Exception:
            _logger.debug("langchain-otel: provider-layer policy failed", exc_info=True)
        invocation.context = call_context
        return invocation, True

    def remove(self) -> None:
        """``uninstrument()``: every embedding method restored."""
        self.patches.undo()

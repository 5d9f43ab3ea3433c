"""The life of one provider request's span: start, then exactly one end.

This module owns the span lifecycle for every call style: which request gets a span (the
"already traced" rule), what it delivered (a whole result, chunks, a cache hit), how the response
view is built and when the span ends. The wrappers only say what happened. No I/O here; every
step is telemetry: it logs its own failures at debug level and never raises into the user's
call, and the span is ended in a step of its own so a mapping failure cannot leak it.

One span per provider request:

- ``_generate_with_cache`` (every ``invoke``/``ainvoke``/``generate``/``batch`` path, one call per
  message list) is a request; whether it streamed on the wire is learnt from the chunks LangChain
  reports to that request's run manager (``on_llm_new_token``), whether the cache answered from
  LangChain's cached-generation conversion.
- ``stream``/``astream`` is a request, except when LangChain answers it with a plain ``invoke``
  (the model cannot stream, or streaming is disabled): that one inner request is the stream's own
  and gets no second span. Every other request made while a call runs (a model whose
  ``_generate`` calls ``self.invoke``, another model) gets its own span, a child of the current one.
"""

from __future__ import annotations

import functools
import logging
import operator
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode

from langchain_otel import _semconv as sc
from langchain_otel._content import ContentRecorder, TextMessage, input_sequence, tool_names
from langchain_otel._errors import error_description, error_type, exception_event_attributes
from langchain_otel._lifecycle import ACTIVE_INVOCATION_KEY, StreamStarter
from langchain_otel._manager_watch import Watched, unwatch, watch
from langchain_otel._metrics import ChatMetrics
from langchain_otel._prompts import PromptLog, PromptUse
from langchain_otel._provider_layers import ProviderLayers, published_attributes
from langchain_otel._request import ChatRequest
from langchain_otel._response import (
    ChatResponse,
    completed_by,
    response_from_chunks,
    response_from_llm_result,
    response_from_message,
    response_from_result,
)
from langchain_otel._run_context import (
    RunContext,
    ambient_config,
    call_config,
    call_input,
    config_parts,
)
from langchain_otel._structure import StructureInvocation, call_attributes, enclosing_run
from langchain_otel._values import MAX_TEXT_LENGTH, as_count, safe_text, sanitized
from langchain_otel.providers import Attributes, ChatModelMapper, MapperRegistry

_logger = logging.getLogger(__name__)

# The context of a running request holds its invocation (``ACTIVE_INVOCATION_KEY``): cache hits
# are reported to it, and a stream's plain-request fallback finds it there.

_EMPTY_CONTEXT = Context()
# The key under which the trace API keeps the current span, learnt through the public API: the
# call's context is then made with one copy of the current one instead of two.
_SPAN_KEY = next(iter(trace.set_span_in_context(INVALID_SPAN, Context())))
_clock = time.monotonic_ns


def current_invocation(current: Context | None = None) -> ChatInvocation | None:
    """The invocation whose request runs in ``current`` (default: the current context)."""
    invocation = (current if current is not None else context.get_current()).get(
        ACTIVE_INVOCATION_KEY
    )
    return invocation if isinstance(invocation, ChatInvocation) else None


@dataclass
class ChatTelemetry:
    """Everything one ``instrument()`` call built: tracer, metrics, mappers, content recorder.

    ``active`` turns False at ``uninstrument()``: a stream created before then and iterated after
    is not traced.
    """

    tracer: trace.Tracer
    metrics: ChatMetrics | None
    registry: MapperRegistry
    layers: ProviderLayers
    content: ContentRecorder | None = None
    #: What a call learns from its run (conversation, application metadata, node, agent).
    run_context: RunContext = field(default_factory=RunContext)
    #: The prompts named templates produced (None: prompt templates are not watched).
    prompts: PromptLog | None = None
    active: bool = field(default=True)

    def start_request(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[ChatInvocation, bool] | None:
        """A span for the request ``_generate_with_cache(messages, stop, run_manager, **kw)``.

        Returns the invocation and whether the caller owns it (makes its context current, ends
        it): a stream's plain-request fallback is already current and ended by the stream.
        """
        run_manager = kwargs.get("run_manager", args[2] if len(args) > 2 else None)
        current = context.get_current()
        fallback = _awaiting_fallback(model, current)
        if fallback is not None:
            fallback.adopt_request(run_manager)
            return fallback, False
        # The call's own kwargs: LangChain passes ``stop=None`` and the run manager along.
        request_kwargs = {k: v for k, v in kwargs.items() if v is not None and k != "run_manager"}
        if len(args) > 1 and args[1] is not None and "stop" not in request_kwargs:
            request_kwargs["stop"] = args[1]
        messages = args[0] if args else kwargs.get("messages")
        invocation = self._start(
            model,
            request_kwargs,
            streaming=request_kwargs.get("stream") is True,
            messages=messages if isinstance(messages, list) else [],
            current=current,
            run_metadata=getattr(run_manager, "metadata", None),
            sent=messages,
        )
        if invocation is None:
            return None
        invocation.tap_tokens(run_manager)
        return invocation, True

    def start_completion(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[ChatInvocation, bool] | None:
        """A ``text_completion`` span for ``BaseLLM._generate_helper(prompts, stop,
        run_managers, *, new_arg_supported, **kw)``: one ``_generate`` call, which LangChain
        makes only for prompts its cache did not answer."""
        run_managers = kwargs.get("run_managers", args[2] if len(args) > 2 else None)
        run_manager = run_managers[0] if run_managers else None  # LangChain passes _generate this
        fallback = _awaiting_fallback(model, context.get_current())
        if fallback is not None:
            fallback.adopt_request(run_manager)
            return fallback, False
        request_kwargs = {
            k: v for k, v in kwargs.items() if k not in ("run_managers", "new_arg_supported")
        }
        if len(args) > 1 and "stop" not in request_kwargs:
            request_kwargs["stop"] = args[1]
        prompts = args[0] if args else kwargs.get("prompts")
        invocation = self._start(
            model,
            request_kwargs,
            streaming=request_kwargs.get("stream") is True,
            messages=[TextMessage("human", p) for p in prompts if isinstance(p, str)]
            if isinstance(prompts, list)
            else [],
            operation=sc.OPERATION_TEXT_COMPLETION,
            run_metadata=getattr(run_manager, "metadata", None),
            sent=prompts,
        )
        if invocation is None:
            return None
        invocation.tap_tokens(run_manager)
        return invocation, True

    @property
    def completion_streams(self) -> StreamStarter:
        """The starter of ``BaseLLM.stream``/``astream`` spans."""
        return _CompletionStreams(self)

    def start_call(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> tuple[ChatInvocation, bool] | None:
        """A span for a whole ``invoke``/``ainvoke``: LangChains without a request hook."""
        fallback = _awaiting_fallback(model, context.get_current())
        if fallback is not None:
            fallback.adopt_request(None)
            return fallback, False
        invocation = self._start(
            model,
            kwargs,
            streaming=False,
            messages=None,
            call_args=args,
            config=call_config(args, kwargs),
            sent=call_input(args, kwargs),
        )
        return (invocation, True) if invocation is not None else None

    def start_stream(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any], async_api: bool
    ) -> ChatInvocation | None:
        """A span for ``stream``/``astream``, at its first step; None once uninstrumented."""
        if not self.active:
            return None
        invocation = self._start(
            model,
            kwargs,
            streaming=True,
            messages=None,
            call_args=args,
            awaits_fallback=True,
            config=call_config(args, kwargs),
            sent=call_input(args, kwargs),
        )
        if invocation is not None:
            invocation.async_stream = async_api
        return invocation

    def _start(
        self,
        model: object,
        kwargs: Mapping[str, Any],
        *,
        streaming: bool,
        messages: list[object] | None,
        call_args: Sequence[Any] = (),
        awaits_fallback: bool = False,
        operation: str = sc.OPERATION_CHAT,
        current: Context | None = None,
        run_metadata: object = None,
        config: object = None,
        sent: object = None,
    ) -> ChatInvocation | None:
        """Start the span in ``current`` (default: the current context); None (the call then
        runs untraced) if that fails.

        The run context comes from ``run_metadata`` (a request's run manager: LangChain merged
        the call's metadata into it), else from ``config`` (the call's own); ``sent`` is what the
        call sends (its input, messages or prompts), to find the named prompt that made it.
        """
        completion = operation == sc.OPERATION_TEXT_COMPLETION
        try:
            if current is None:
                current = context.get_current()
            if type(run_metadata) is dict or isinstance(run_metadata, Mapping):
                metadata, configurable = run_metadata, ambient_config().get("configurable")
            else:
                metadata, configurable = config_parts(config)
            run = enclosing_run(current)
            span_only = call_attributes(self.run_context, run, metadata, configurable)
            prompt = self.prompts.used_for(sent) if self.prompts is not None else None
            if prompt is not None:
                span_only.update(prompt.attributes())
            request = ChatRequest(model, kwargs, streaming)
            registry = self.registry
            found = (
                registry.completion_mapper_for(type(model))
                if completion
                else registry.mapper_for(type(model))
            )
            mapper, attributes = found.start(request)
            if completion:
                attributes[sc.OPERATION_NAME] = operation
            # ``start`` made each value as it exports (a lone surrogate or a 100 KB model name
            # from the user's configuration would fail the OTLP encoder).
            on_wire = None if streaming else mapper.streams_on_wire(request)
            if on_wire is not None:
                request.streaming = on_wire
            request_model = attributes.get(sc.REQUEST_MODEL)
            name = f"{operation} {request_model}" if request_model else operation
            name = safe_text(name, MAX_TEXT_LENGTH)
            if span_only:  # the run context is the span's: never a metric attribute
                span_only = sanitized(span_only)
            start_ns = time.time_ns()
            start_clock = _clock()
            span = self.tracer.start_span(
                name,
                context=current,
                kind=SpanKind.CLIENT,
                attributes={**attributes, **span_only} if span_only else attributes,
                start_time=start_ns,
            )
        except Exception:
            _logger.debug("langchain-otel: could not start the span", exc_info=True)
            return None
        invocation = ChatInvocation(self, mapper, span, request, attributes, start_ns, start_clock)
        invocation.span_only = span_only
        invocation.prompt = prompt
        invocation.run = run
        invocation.client_decides = on_wire is not None
        invocation.completion = completion
        invocation.awaits_fallback = awaits_fallback
        call_context = Context({**current, _SPAN_KEY: span, ACTIVE_INVOCATION_KEY: invocation})
        try:
            call_context, invocation.layer_data = self.layers.enter(call_context)
        except Exception:
            _logger.debug("langchain-otel: provider-layer policy failed", exc_info=True)
        invocation.context = call_context
        if self.content is not None:
            invocation.read_input(messages, call_args)
        return invocation


def _awaiting_fallback(model: object, current: Context) -> ChatInvocation | None:
    """The current stream of this very model, if LangChain is answering it with a plain request.

    A request made inside a stream of the same model before its first chunk is either that
    fallback or a real nested request (a client whose ``_stream`` calls ``self.invoke``):
    LangChain's own rule tells them apart, asked only then (it costs microseconds).
    """
    invocation = current_invocation(current)
    if (
        invocation is None
        or not invocation.awaits_fallback
        or invocation.model_id != id(model)
        or invocation.chunks.count
    ):
        return None
    request = invocation._request
    if request is None or not _falls_back_to_invoke(model, request.kwargs, invocation.async_stream):
        invocation.awaits_fallback = False
        return None
    return invocation


def _falls_back_to_invoke(model: object, kwargs: Mapping[str, Any], async_api: bool) -> bool:
    """Whether ``stream``/``astream`` will answer with a plain ``invoke``, by LangChain's own
    rule (its private ``_should_stream``); unknown counts as yes, as before that hook existed."""
    should_stream = getattr(model, "_should_stream", None)
    if should_stream is None:
        return True
    try:
        return not should_stream(async_api=async_api, **{**kwargs, "stream": True})
    except Exception:
        _logger.debug("langchain-otel: _should_stream failed", exc_info=True)
        return True


class _CompletionStreams:
    """``BaseLLM.stream``/``astream``: a ``text_completion`` span, started at the first step."""

    def __init__(self, telemetry: ChatTelemetry) -> None:
        self._telemetry = telemetry

    def start_stream(
        self, model: object, args: Sequence[Any], kwargs: Mapping[str, Any], /, async_api: bool
    ) -> ChatInvocation | None:
        telemetry = self._telemetry
        if not telemetry.active:
            return None
        falls_back = _llm_falls_back(model, async_api)
        invocation = telemetry._start(
            model,
            kwargs,
            streaming=True,
            messages=None,
            call_args=args,
            awaits_fallback=falls_back,
            operation=sc.OPERATION_TEXT_COMPLETION,
            config=call_config(args, kwargs),
            sent=call_input(args, kwargs),
        )
        if invocation is not None:  # its run manager is made at its first step (on_llm_start)
            invocation.awaits_answer = not falls_back
        return invocation


def _llm_falls_back(model: object, async_api: bool) -> bool:
    """Whether ``BaseLLM.stream``/``astream`` answers with a plain ``invoke``: by LangChain's
    rule, when the class implements no ``_stream`` (nor, for ``astream``, ``_astream``)."""
    from langchain_core.language_models.llms import BaseLLM  # noqa: PLC0415

    cls: Any = type(model)
    no_stream: bool = cls._stream is BaseLLM._stream
    if async_api:
        return no_stream and cls._astream is BaseLLM._astream
    return no_stream


def _completion_text(output: object) -> object:
    """A completion's text as a message: a ``Generation``(chunk) or a streamed string."""
    text = output if isinstance(output, str) else getattr(output, "text", None)
    return TextMessage("ai", text) if isinstance(text, str) else None


class ChunkLog:
    """What a streamed answer delivered: first-chunk time, the chunks that carry metadata, usage
    or tool calls (LangChain tags every chunk with ``model_provider``: only chunks that say more
    are kept), the count, and, when asked for, every chunk (content) and every arrival time."""

    __slots__ = ("all_chunks", "count", "first_ns", "metadata_chunks", "times")

    def __init__(self, keep_all: bool, keep_times: bool) -> None:
        self.first_ns: int | None = None
        self.count = 0
        self.metadata_chunks: list[object] = []
        self.all_chunks: list[object] | None = [] if keep_all else None
        self.times: list[int] | None = [] if keep_times else None

    def add(self, chunk: Any, message: object = None) -> None:
        """Note ``chunk``; ``message``: what content capture merges, when not the chunk itself."""
        self.count += 1
        if self.first_ns is None:
            self.first_ns = _clock()
        metadata = getattr(chunk, "response_metadata", None)  # none on a completion's text
        if (
            (metadata and (len(metadata) > 1 or "model_provider" not in metadata))
            or getattr(chunk, "usage_metadata", None)
            or getattr(chunk, "tool_call_chunks", None)  # a fallback answer has none
        ):
            self.metadata_chunks.append(chunk)
        if self.times is not None:
            self.times.append(_clock())
        if self.all_chunks is not None:
            self.all_chunks.append(chunk if message is None else message)

    def merged(self) -> object:
        """The whole streamed message (content capture), or None."""
        if not self.all_chunks:
            return None
        return functools.reduce(operator.add, self.all_chunks)


_NO_CHUNKS = ChunkLog(keep_all=False, keep_times=False)


class _GenerationChunk:
    """A ``ChatGenerationChunk`` seen through a run manager, read like a message chunk: its
    metadata includes the generation info, as LangChain merges it into the final message. A
    completion's ``GenerationChunk`` has only the generation info (its unset keys dropped)."""

    __slots__ = ("id", "response_metadata", "tool_call_chunks", "usage_metadata")

    def __init__(self, message: Any, generation_info: Mapping[str, Any]) -> None:
        own = getattr(message, "response_metadata", None)
        if own is None:
            self.response_metadata = {k: v for k, v in generation_info.items() if v is not None}
        else:
            self.response_metadata = {**generation_info, **own}
        self.usage_metadata = getattr(message, "usage_metadata", None)
        self.id = getattr(message, "id", None)
        self.tool_call_chunks = getattr(message, "tool_call_chunks", None)


class ChatInvocation:
    """One traced provider request. ``context`` is what is current while the provider runs."""

    __slots__ = (
        "_attributes",
        "_ended",
        "_mapper",
        "_request",
        "_start_clock",
        "_start_ns",
        "_telemetry",
        "adopted",
        "async_stream",
        "awaits_answer",
        "awaits_fallback",
        "cache_hit",
        "chunks",
        "client_decides",
        "completed",
        "completion",
        "content_input",
        "context",
        "layer_data",
        "model_id",
        "prompt",
        "recording",
        "result",
        "run",
        "span",
        "span_only",
        "streaming",
        "tapped",
    )

    def __init__(
        self,
        telemetry: ChatTelemetry,
        mapper: ChatModelMapper,
        span: Span,
        request: ChatRequest,
        attributes: Attributes,
        start_ns: int,
        start_clock: int,
    ) -> None:
        self._telemetry = telemetry
        self._mapper = mapper
        self._request: ChatRequest | None = request
        self.span = span
        self.recording = span.is_recording()
        self.model_id = id(request.model)
        #: Whether the request streamed on the wire (``stream()``, or chunks reported to it).
        self.streaming = request.streaming
        self._attributes = attributes  # start attributes; they become the metric attributes
        self._start_ns = start_ns  # wall clock: the span's timestamps
        self._start_clock = start_clock  # monotonic: every duration
        self._ended = False
        self.context: Context = _EMPTY_CONTEXT
        #: What watching this request's run manager needs to stop (``_manager_watch``).
        self.tapped: Watched | None = None
        #: A stream that LangChain may answer with one plain request (adopted once).
        self.awaits_fallback = False
        #: A completion stream whose own run manager is not watched yet (``watch_answer``).
        self.awaits_answer = False
        self.async_stream = False
        #: A stream whose fallback request was adopted: its own chunks are the answer, re-yielded.
        self.adopted = False
        self.cache_hit = False
        #: The mapper knows whether the client streams (not the chunks reported to LangChain).
        self.client_decides = False
        self.completed = True
        #: A ``text_completion`` (``BaseLLM``) request: its answer is an ``LLMResult``.
        self.completion = False
        self.result: object = None
        #: Made at the first chunk (most requests have none).
        self.chunks = _NO_CHUNKS
        #: (messages sent, bound tools) when content capture is on.
        self.content_input: tuple[list[object], object] | None = None
        #: What a stood-down provider-layer instrumentation published (util-genai InferenceData).
        self.layer_data: object = None
        #: The span's run context (conversation, application metadata, node, agent, prompt):
        #: set at start, also on the content event, never on metrics.
        self.span_only: Attributes = {}
        #: The named prompt template that produced the messages, if one did.
        self.prompt: PromptUse | None = None
        #: The agent or workflow run the request is part of: it adds up the run's calls.
        self.run: StructureInvocation | None = None

    # -- what happened (told by the wrappers) ------------------------------------------------

    def read_input(self, messages: list[object] | None, call_args: Sequence[Any]) -> None:
        """Keep the input content (content capture on): the messages, or the call's input."""
        request = self._request
        if request is None:
            return
        try:
            if messages is None:
                messages = input_sequence(request.model, call_args, request.kwargs)
            self.content_input = (messages, request.kwargs.get("tools"))
        except Exception:
            _logger.debug("langchain-otel: reading the input messages failed", exc_info=True)

    def adopt_request(self, run_manager: object) -> None:
        """LangChain answers this stream with one plain request: that request is this span's."""
        self.awaits_fallback = False
        self.adopted = True
        self.streaming = False
        self.tap_tokens(run_manager)

    def tap_tokens(self, run_manager: object) -> None:
        """See the chunks LangChain reports to this request's run manager: they say the request
        streamed on the wire, and carry its answer piece by piece (``_manager_watch``)."""
        if run_manager is not None:
            self.tapped = watch(run_manager, self.request_chunk)

    def watch_answer(self, run_manager: object) -> None:
        """A ``BaseLLM.stream``'s own run manager: told the whole answer at the end (the stream
        yields only text)."""
        self.awaits_answer = False
        self.tapped = watch(run_manager, None, self.answered)

    def _untap(self) -> None:
        tapped, self.tapped = self.tapped, None
        if tapped is not None:
            unwatch(tapped)

    def stream_chunk(self, chunk: Any) -> None:
        """A chunk ``stream``/``astream`` yielded (runs per chunk: one call, no helpers)."""
        chunks = self.chunks
        if chunks is _NO_CHUNKS:  # the first chunk, or the request ended (it drops its log)
            if self._ended:
                return
            chunks = self._chunk_log()
        try:
            if self.adopted:  # the fallback's answer, already read from its result
                chunks.count += 1
            else:
                chunks.add(chunk)
        except Exception:
            _logger.debug("langchain-otel: chunk bookkeeping failed", exc_info=True)

    def request_chunk(self, chunk: Any) -> None:
        """A chunk LangChain reported to this request's run manager: the request streamed."""
        if self._ended:
            return
        try:
            message = getattr(chunk, "message", chunk)
            info = getattr(chunk, "generation_info", None)
            if not self.client_decides:
                self.streaming = True
            self._chunk_log().add(_GenerationChunk(message, info) if info else message, message)
        except Exception:
            _logger.debug("langchain-otel: chunk bookkeeping failed", exc_info=True)

    def _chunk_log(self) -> ChunkLog:
        chunks = self.chunks
        if chunks is _NO_CHUNKS:
            metrics = self._telemetry.metrics
            chunks = self.chunks = ChunkLog(
                keep_all=self._telemetry.content is not None,
                keep_times=metrics is not None and metrics.records_chunk_times,
            )
        return chunks

    def answered(self, result: object) -> None:
        """The adopted fallback request returned ``result`` (the stream ends the span)."""
        self.result = result

    def mark_cache_hit(self) -> None:
        """LangChain's cache answered: no provider request was made."""
        self.cache_hit = True

    def finish(self, result: object = None) -> None:
        """End a request that completed; ``result``: its ``ChatResult`` (or message)."""
        if result is not None:
            self.result = result
        self._end(None)

    def stop_early(self) -> None:
        """End a stream the consumer closed or dropped before its end (not an error)."""
        self.completed = False
        self._end(None)

    def fail(self, error: BaseException) -> None:
        """End a request that raised ``error``."""
        self.completed = False
        self._end(error)

    # -- the end ---------------------------------------------------------------------------------

    def _end(self, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        # The end timestamp follows the monotonic clock, so a wall-clock step during the call
        # changes neither the span's duration nor the metric's.
        elapsed_ns = _clock() - self._start_clock
        end_ns = self._start_ns + elapsed_ns
        response = None if self.cache_hit else self._response()
        span_attributes: Attributes = {}
        request_attributes: Attributes = {}
        try:
            request_attributes = self._request_attributes()
            span_attributes = self._record(response, error, elapsed_ns)
        except Exception:
            _logger.debug("langchain-otel: recording the response failed", exc_info=True)
        totals = self.run.totals if self.run is not None else None
        if totals is not None and response is not None:
            try:  # the answer counts towards its run: tokens, and maybe the final answer
                totals.add(
                    self._start_clock + elapsed_ns,
                    self._attributes.get(sc.PROVIDER_NAME),
                    span_attributes.get(sc.RESPONSE_FINISH_REASONS),
                    span_attributes,
                )
            except Exception:
                _logger.debug("langchain-otel: adding the call to its run failed", exc_info=True)
        if self.recording:
            try:
                self.span.set_attributes(sanitized({**request_attributes, **span_attributes}))
            except Exception:
                _logger.debug("langchain-otel: setting attributes failed", exc_info=True)
        if self.content_input is not None:
            try:
                self._record_content(request_attributes, span_attributes)
            except Exception:
                _logger.debug("langchain-otel: recording content failed", exc_info=True)
        try:
            self.span.end(end_time=end_ns)
        except Exception:
            _logger.debug("langchain-otel: ending the span failed", exc_info=True)
        self._untap()
        # Drop what the ended call no longer needs: the context holds this invocation, and a
        # traceback that outlives the call (a re-raised exception object) holds its frames.
        self.context = _EMPTY_CONTEXT
        self.span = INVALID_SPAN
        self._request = None
        self.result = None
        self.content_input = None
        self.chunks = _NO_CHUNKS
        self.run = None

    def _response(self) -> ChatResponse | None:
        """The answer's view: per chunk for a streamed request, else the whole result."""
        try:
            whole = None
            result = self.result
            if result is not None:
                if self.completion:
                    whole = response_from_llm_result(result)
                else:
                    whole = response_from_result(result)
                    if whole is None:
                        whole = response_from_message(result)
            view = whole
            if self.streaming and self.chunks.metadata_chunks:
                view = completed_by(response_from_chunks(self.chunks.metadata_chunks), whole)
            elif whole is None and self.chunks.metadata_chunks:
                view = response_from_chunks(self.chunks.metadata_chunks)
            if self.completion and view is not None and view.usage is None:
                view = replace(view, usage=self._mapper.completion_usage(view.metadata))
            return view
        except Exception:
            _logger.debug("langchain-otel: could not read the response", exc_info=True)
            return None

    def _request_attributes(self) -> Attributes:
        """Sampling parameters and tools (recording spans and content events only)."""
        request = self._request
        if request is None or not (self.recording or self.content_input is not None):
            return {}
        request.streaming = self.streaming
        attributes = self._mapper.request_attributes(request)
        if "tools" in request.kwargs:
            tools = tool_names(request.kwargs)
            if tools is not None:
                attributes[sc.TOOL_DEFINITIONS] = tools
        return attributes

    def _record(
        self, response: ChatResponse | None, error: BaseException | None, elapsed_ns: int
    ) -> Attributes:
        """Response attributes and the metric points; returns the span's own attributes."""
        span_attributes = self._response_attributes(response)
        chunks = self.chunks
        time_to_first_chunk = (
            (chunks.first_ns - self._start_clock) / 1e9
            if self.streaming and chunks.first_ns is not None
            else None
        )
        kind = error_type(error) if error is not None else None
        if self.streaming:
            span_attributes[sc.REQUEST_STREAM] = True
            if not self.completed:
                span_attributes[sc.STREAM_CHUNK_COUNT] = chunks.count
        if time_to_first_chunk is not None:
            span_attributes[sc.RESPONSE_TIME_TO_FIRST_CHUNK] = time_to_first_chunk
        if self.cache_hit:
            span_attributes[sc.CACHE_HIT] = True
        if error is not None and kind is not None:
            span_attributes[sc.ERROR_TYPE] = kind
            if self.recording:
                # Error text can repeat the prompt: only with content capture on (see _errors).
                with_content = self._telemetry.content is not None
                self.span.set_status(
                    Status(StatusCode.ERROR, error_description(error, with_content))
                )
                self.span.add_event("exception", exception_event_attributes(error, with_content))
        metrics = self._telemetry.metrics
        if (
            metrics is None
            or self.cache_hit  # not a provider request: no latency, no tokens anybody paid for
            or self._telemetry.layers.counted_elsewhere(self._mapper.client_library)
        ):
            return span_attributes
        metric_attributes = self._attributes
        # In the span's context, so a sampled call's points carry it as an exemplar; a span
        # sampled out can be no exemplar, and the empty context spares the filter its lookup.
        point_context = self.context if self.recording else _EMPTY_CONTEXT
        metrics.record(
            metric_attributes,
            elapsed_ns / 1e9,
            as_count(span_attributes.get(sc.USAGE_INPUT_TOKENS)),
            as_count(span_attributes.get(sc.USAGE_OUTPUT_TOKENS)),
            kind,
            point_context,
        )
        if time_to_first_chunk is not None:
            metrics.record_stream_timing(
                metric_attributes, time_to_first_chunk, chunks.times or (), point_context
            )
        return span_attributes

    def _response_attributes(self, response: ChatResponse | None) -> Attributes:
        """What the answer says: everything for recording spans, else only what metrics need.

        The response model (else, when there is an answer, the requested one) also goes into
        the metric attributes. A call that got no answer reports no response model.
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
        if self.layer_data is not None and not self.cache_hit:
            attributes.update(published_attributes(self.layer_data, attributes))
        model = response_model or attributes.get(sc.RESPONSE_MODEL)
        if response is not None:
            model = model or self._attributes.get(sc.REQUEST_MODEL)
        if isinstance(model, str) and model:
            model = safe_text(model, MAX_TEXT_LENGTH)
            attributes[sc.RESPONSE_MODEL] = self._attributes[sc.RESPONSE_MODEL] = model
        return attributes

    def _outputs(self) -> list[object]:
        """The answer's messages, one per choice (content capture)."""
        if self.completion:
            if self.streaming and self.chunks.all_chunks:
                return [_completion_text(self.chunks.merged())]
            prompts = getattr(self.result, "generations", None) or ()
            return [_completion_text(g) for prompt in prompts for g in prompt]
        if self.streaming and self.chunks.all_chunks:
            return [self.chunks.merged()]
        generations = getattr(self.result, "generations", None)
        if isinstance(generations, list):
            return [getattr(generation, "message", None) for generation in generations]
        if self.result is not None:
            return [self.result]
        merged = self.chunks.merged()
        return [merged] if merged is not None else []

    def _record_content(
        self, request_attributes: Attributes, response_attributes: Attributes
    ) -> None:
        recorder = self._telemetry.content
        if recorder is None or self.content_input is None:
            return
        inputs, tools = self.content_input
        finish_reasons = response_attributes.get(sc.RESPONSE_FINISH_REASONS)
        content = recorder.build(
            inputs,
            self._outputs(),
            finish_reasons if isinstance(finish_reasons, list) else [],
            tools,
            self._mapper.separate_system_instructions,
            self.prompt.variables if self.prompt is not None else None,
        )
        if content is None:
            return
        if recorder.mode.on_span and self.recording:
            recorder.record_on_span(self.span, content)
        if recorder.mode.on_event:
            attributes = {
                **self._attributes,
                **self.span_only,
                **request_attributes,
                **response_attributes,
            }
            recorder.emit_event(self.span, sanitized(attributes), content)

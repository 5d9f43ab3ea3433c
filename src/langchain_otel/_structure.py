"""Agent, workflow, tool and retrieval spans: the operations around the chat requests.

One generic :class:`StructureInvocation` lives the lifecycle of
:class:`~langchain_otel._lifecycle.Traced` for all of them (span current while the work runs,
exactly one end, errors recorded once, content only when asked for); what differs per operation
(name, kind and start attributes, what the result says, the content) is read by a small
:class:`Operation` (``_agents.py``, ``_tools.py``). No I/O here; every step is telemetry: failures
are logged at debug level and never reach the user's call.

One span per run: ``Pregel.invoke`` (``ainvoke``) runs the graph through its own ``stream``
(``astream``); the run started by ``invoke`` adopts that inner stream instead of starting a
second span (:meth:`StructureTelemetry.start_stream`). A subgraph run inside a node is another
graph's run: its own span, a child.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from langchain_otel import _semconv as sc
from langchain_otel._content import ChatContent, ContentRecorder
from langchain_otel._errors import error_description, error_type, exception_event_attributes
from langchain_otel._lifecycle import ACTIVE_STRUCTURE_KEY
from langchain_otel._run_context import RunContext, config_parts
from langchain_otel._values import MAX_TEXT_LENGTH, Attributes, as_count, safe_text, sanitized

_logger = logging.getLogger(__name__)


_EMPTY_CONTEXT = Context()
_clock = time.monotonic_ns


@dataclass
class Start:
    """What an operation reads when it starts: the span's identity and the content input."""

    name: str
    kind: SpanKind
    attributes: Attributes
    #: Whether the operation is a run (an agent or a workflow).
    run: bool = False
    #: Whether the call runs through the owner's own ``stream``/``astream`` (``Pregel.invoke``):
    #: that inner stream is adopted, not given a second span.
    inner_stream: bool = False
    #: The raw input, kept for content capture only.
    content_input: object = None
    #: The call's own configs, the first winning (its ``config``, the owner's ``config``): their
    #: metadata and ``configurable``, over the ambient config, give the span its run context.
    configs: tuple[object, ...] = ()


class Operation(Protocol):
    """What one kind of operation reads; pure functions of LangChain objects, guarded by the
    invocation."""

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        """The span to start (``nested``: inside another agent or workflow run), or None."""

    def result_attributes(self, result: object) -> Attributes:
        """What the result says (recording spans only)."""

    def handled_error(self, result: object) -> str | None:
        """``error.type`` of a failure the operation turned into its result, or None."""

    def state_of(self, chunk: object) -> object:
        """The whole result a stream chunk carries (content capture of a stream), or None."""

    def content(self, content_input: object, result: object, max_length: int) -> ChatContent | None:
        """The opt-in content of the span, or None."""


def current_structure(current: Context | None = None) -> StructureInvocation | None:
    """The structure invocation whose work runs in ``current`` (default: the current context)."""
    invocation = context.get_value(ACTIVE_STRUCTURE_KEY, current)
    return invocation if isinstance(invocation, StructureInvocation) else None


def enclosing_run(current: Context) -> StructureInvocation | None:
    """The innermost agent or workflow run the work running in ``current`` belongs to."""
    enclosing = current_structure(current)
    return enclosing.run if enclosing is not None else None


def call_attributes(
    run_context: RunContext,
    run: StructureInvocation | None,
    metadata: Mapping[str, Any] | None,
    configurable: Mapping[str, Any] | None,
) -> Attributes:
    """The run context of a model or embedding call made inside ``run``: its own metadata's,
    what the run passed down, and the run's agent."""
    attributes = run_context.attributes(
        metadata, configurable, run.passed_down if run is not None else None
    )
    if run is not None and run.agent_name is not None:
        attributes[sc.AGENT_NAME] = run.agent_name
    return attributes


@dataclass
class StructureTelemetry:
    """What one ``instrument()`` built for structure spans. ``active`` turns False at
    ``uninstrument()``: a stream created before then and iterated after is not traced."""

    tracer: trace.Tracer
    content: ContentRecorder | None
    #: Called once, at the first structure span (another LangChain instrumentation may have
    #: been instrumented after us).
    on_first_span: Callable[[], None] | None = None
    #: What a span learns from its run (conversation, application metadata, node, agent).
    run_context: RunContext = field(default_factory=RunContext)
    active: bool = field(default=True)

    def starter(
        self, operation: Operation
    ) -> Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[StructureInvocation, bool] | None]:
        """The ``traced_request`` starter of a call that runs ``operation`` to its end."""

        def start(
            owner: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[StructureInvocation, bool] | None:
            invocation = self.start(operation, owner, args, kwargs, awaits_stream=True)
            return (invocation, True) if invocation is not None else None

        return start

    def streams(self, operation: Operation) -> StructureStreams:
        """The stream starter of ``operation``'s ``stream``/``astream``."""
        return StructureStreams(self, operation)

    def start(
        self,
        operation: Operation,
        owner: object,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        awaits_stream: bool = False,
    ) -> StructureInvocation | None:
        """Start the span; None (the call then runs untraced) if that fails."""
        if self.on_first_span is not None:
            check, self.on_first_span = self.on_first_span, None
            check()
        enclosing = current_structure()
        enclosing_run = enclosing.run if enclosing is not None else None
        try:
            started = operation.start(owner, args, kwargs, enclosing_run is not None)
            if started is None:
                return None
            metadata, configurable = config_parts(*started.configs)
            run_attributes = self.run_context.attributes(
                metadata,
                configurable,
                enclosing_run.passed_down if enclosing_run is not None else None,
            )
            agent = started.attributes.get(sc.OPERATION_NAME) == sc.OPERATION_INVOKE_AGENT
            agent_name = enclosing_run.agent_name if enclosing_run is not None else None
            if started.run:
                own = started.attributes.get(sc.AGENT_NAME) if agent else agent_name
                agent_name = own if isinstance(own, str) else None
            elif agent_name is not None:
                run_attributes[sc.AGENT_NAME] = agent_name  # a call inside an agent's run
            start_ns = time.time_ns()
            start_clock = _clock()
            span = self.tracer.start_span(
                safe_text(started.name, MAX_TEXT_LENGTH),  # tool and graph names are the app's
                kind=started.kind,
                attributes=sanitized({**started.attributes, **run_attributes}),
                start_time=start_ns,
            )
        except Exception:
            _logger.debug("langchain-otel: could not start the span", exc_info=True)
            return None
        invocation = StructureInvocation(self, operation, span, start_ns, start_clock)
        if started.run:
            invocation.run = invocation
            invocation.passed_down = self.run_context.passed_down(run_attributes)
            invocation.agent_name = agent_name
            invocation.totals = RunTotals(reported=agent, parent=enclosing_run)
            if awaits_stream and started.inner_stream:
                invocation.awaits_stream = id(owner)
        elif enclosing is not None:
            invocation.run = enclosing_run
        if self.content is not None and self.content.mode.on_span and invocation.recording:
            invocation.content_input = started.content_input
            invocation.keeps_content = True
        invocation.context = trace.set_span_in_context(
            span, context.set_value(ACTIVE_STRUCTURE_KEY, invocation)
        )
        return invocation


class StructureStreams:
    """Starts a run's span at the first step of its ``stream``/``astream``."""

    def __init__(self, telemetry: StructureTelemetry, operation: Operation) -> None:
        self._telemetry = telemetry
        self._operation = operation

    def start_stream(
        self, owner: object, args: Sequence[Any], kwargs: Mapping[str, Any], /, async_api: bool
    ) -> StructureInvocation | None:
        """None for the inner stream of this very owner's ``invoke``: that run's span covers it."""
        telemetry = self._telemetry
        if not telemetry.active:
            return None
        enclosing = current_structure()
        if enclosing is not None and enclosing.awaits_stream == id(owner):
            enclosing.awaits_stream = None  # adopted once: a run of itself inside gets a span
            return None
        return telemetry.start(self._operation, owner, args, kwargs)


#: The token counts an agent's span sums over its run's model calls (the registry's usage group).
_SUMMED = (
    sc.USAGE_INPUT_TOKENS,
    sc.USAGE_OUTPUT_TOKENS,
    sc.USAGE_CACHE_READ_INPUT_TOKENS,
    sc.USAGE_CACHE_CREATION_INPUT_TOKENS,
)


class RunTotals:
    """What a run's model calls add up to, its nested runs' included: the tokens summed, and the
    provider and finish reasons of the final answer, the call that ended last (one provider: it;
    several: the one that answered last). Calls may end in several threads at once (parallel
    tools): each addition takes the lock."""

    __slots__ = (
        "_lock",
        "_parent",
        "_reported",
        "finish_reasons",
        "last_end",
        "provider",
        "tokens",
    )

    def __init__(self, reported: bool, parent: StructureInvocation | None) -> None:
        self._lock = threading.Lock()
        #: Whether the run's span reports the totals (an agent's does; a workflow's passes them on).
        self._reported = reported
        self._parent = parent
        self.last_end = -1
        self.provider: str | None = None
        self.finish_reasons: object = None
        self.tokens: dict[str, int] = {}

    def add(self, end: int, provider: object, finish_reasons: object, tokens: Attributes) -> None:
        """One model call (or a nested run's totals) that ended at monotonic time ``end``."""
        with self._lock:
            for key in _SUMMED:
                count = as_count(tokens.get(key))
                if count is not None:
                    self.tokens[key] = self.tokens.get(key, 0) + count
            if end >= self.last_end:
                self.last_end = end
                self.provider = provider if isinstance(provider, str) else None
                self.finish_reasons = finish_reasons

    def close(self) -> None:
        """The run ended: its totals join its parent run's."""
        parent = self._parent.totals if self._parent is not None else None
        if parent is not None and self.last_end >= 0:
            parent.add(self.last_end, self.provider, self.finish_reasons, dict(self.tokens))
        self._parent = None

    def attributes(self) -> Attributes:
        """An agent's: the provider, the final finish reasons and the summed tokens, when known."""
        if not self._reported:
            return {}
        attributes: Attributes = dict(self.tokens)
        if self.provider is not None:
            attributes[sc.PROVIDER_NAME] = self.provider
        if isinstance(self.finish_reasons, (list, tuple)):
            attributes[sc.RESPONSE_FINISH_REASONS] = list(self.finish_reasons)
        return attributes


class StructureInvocation:
    """One traced agent, workflow, tool or retrieval run."""

    __slots__ = (
        "_ended",
        "_start_clock",
        "_start_ns",
        "_telemetry",
        "agent_name",
        "awaits_stream",
        "content_input",
        "context",
        "handled",
        "keeps_content",
        "last_state",
        "operation",
        "passed_down",
        "recording",
        "run",
        "span",
        "totals",
    )

    def __init__(
        self,
        telemetry: StructureTelemetry,
        operation: Operation,
        span: Span,
        start_ns: int,
        start_clock: int,
    ) -> None:
        self._telemetry = telemetry
        self.operation = operation
        self.span = span
        self.recording = span.is_recording()
        self._start_ns = start_ns
        self._start_clock = start_clock
        self._ended = False
        self.context: Context = _EMPTY_CONTEXT
        #: The innermost agent or workflow run this invocation belongs to (itself for a run).
        self.run: StructureInvocation | None = None
        #: A run's: what the calls inside it inherit (conversation, application metadata), and
        #: the name of the agent they work for (its own, or its enclosing run's).
        self.passed_down: Attributes = {}
        self.agent_name: str | None = None
        #: A run's: what its model calls add up to (None for a tool or a retrieval).
        self.totals: RunTotals | None = None
        #: ``id`` of the owner whose own inner stream this run adopts (``invoke`` -> ``stream``).
        self.awaits_stream: int | None = None
        #: A failure LangChain turned into the result (a handled ``ToolException``).
        self.handled: BaseException | None = None
        self.keeps_content = False
        self.content_input: object = None
        #: The last whole state a run's stream yielded (content capture: its output).
        self.last_state: object = None

    # -- what happened (told by the wrappers) ------------------------------------------------

    def answered(self, result: object) -> None:
        """Not used: a structure invocation always owns its call."""

    def stream_chunk(self, chunk: Any) -> None:
        if self.keeps_content:
            try:
                state = self.operation.state_of(chunk)
            except Exception:  # the chunk is the application's data: anything can raise
                _logger.debug("langchain-otel: reading a stream chunk failed", exc_info=True)
                return
            if state is not None:
                self.last_state = state

    def note_handled(self, error: BaseException) -> None:
        """LangChain caught ``error`` and made the result out of it."""
        self.handled = error

    def finish(self, result: object = None) -> None:
        self._end(result if result is not None else self.last_state, None)

    def fail(self, error: BaseException) -> None:
        # LangGraph's control flow (an interrupt, a Command to the parent graph) is not a failure.
        self._end(None, None if _is_control_flow(error) else error)

    def stop_early(self) -> None:
        self._end(None, None)

    # -- the end ---------------------------------------------------------------------------------

    def _end(self, result: object, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        end_ns = self._start_ns + (_clock() - self._start_clock)
        span = self.span
        totals = self.totals
        if totals is not None:
            try:
                totals.close()  # an agent's: its attributes; every run's: added to its parent
            except Exception:
                _logger.debug("langchain-otel: adding up the run's calls failed", exc_info=True)
        if self.recording:
            try:
                self._record(result, error)
            except Exception:
                _logger.debug("langchain-otel: recording the result failed", exc_info=True)
            if self.keeps_content:
                try:
                    self._record_content(result, error)
                except Exception:
                    _logger.debug("langchain-otel: recording content failed", exc_info=True)
        try:
            span.end(end_time=end_ns)
        except Exception:
            _logger.debug("langchain-otel: ending the span failed", exc_info=True)
        # The context holds this invocation: drop what it refers to so it is freed now.
        self.context = _EMPTY_CONTEXT
        self.content_input = self.last_state = self.handled = self.totals = None

    def _record(self, result: object, error: BaseException | None) -> None:
        operation = self.operation
        attributes = operation.result_attributes(result) if error is None else {}
        if self.totals is not None:
            attributes.update(self.totals.attributes())
        kind = None
        failure = error or self.handled
        if failure is not None:
            kind = error_type(failure)
        elif error is None:
            kind = operation.handled_error(result)
        if kind is not None:
            attributes[sc.ERROR_TYPE] = kind
            # A tool's or retriever's error message often repeats its input (a validation error
            # shows the arguments): the same content-free rule as chat spans (see _errors).
            with_content = self._telemetry.content is not None
            description = kind
            if failure is not None:
                description = error_description(failure, with_content)
            self.span.set_status(Status(StatusCode.ERROR, description))
            if failure is not None:
                self.span.add_event("exception", exception_event_attributes(failure, with_content))
        if attributes:
            self.span.set_attributes(sanitized(attributes))

    def _record_content(self, result: object, error: BaseException | None) -> None:
        recorder = self._telemetry.content
        if recorder is None:
            return
        failed = error is not None or self.handled is not None
        content = self.operation.content(
            self.content_input, None if failed else result, recorder.max_length
        )
        if content is None:
            return
        content = recorder.redacted(content)
        if content is not None:
            recorder.record_on_span(self.span, content)


def _is_control_flow(error: BaseException) -> bool:
    """LangGraph's ``GraphBubbleUp`` family (interrupts, ``Command(graph=PARENT)``)."""
    return any(
        cls.__name__ == "GraphBubbleUp" and cls.__module__.startswith("langgraph")
        for cls in type(error).__mro__
    )

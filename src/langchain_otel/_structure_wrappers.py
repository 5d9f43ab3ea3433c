"""Where the structure spans come from: the LangChain and LangGraph methods wrapped, lazily.

``instrument()`` imports none of these modules. Each target is wrapped as soon as its module is
imported (at once if it already is: wrapt's post-import hook), with the same wrappers as the chat
model (``traced_request`` for calls that return, ``traced_stream`` for generators);
``uninstrument()`` restores every attribute exactly and turns the hooks still waiting into no-ops.

- ``langgraph.pregel``: ``Pregel.invoke``/``ainvoke``/``stream``/``astream``, an agent or
  workflow run;
- ``langchain_classic.agents.agent`` (``langchain.agents.agent`` before LangChain 1.0):
  ``AgentExecutor.invoke``/``ainvoke``/``stream``/``astream``, an agent run;
- ``langchain_core.tools.base``: ``BaseTool.run``/``arun``, ``execute_tool``; and
  ``_handle_tool_error``/``_handle_validation_error``, to see a failure LangChain handled;
- ``langchain_core.retrievers``: ``BaseRetriever.invoke``/``ainvoke``, ``retrieval``;
- ``langchain_core.runnables.base``: ``RunnableSequence``, ``RunnableParallel`` and
  ``RunnableLambda``'s ``invoke``/``ainvoke``/``stream``/``astream`` (and the sequence's
  ``batch``/``abatch``), a top-level chain's workflow run (none inside a span of ours).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from wrapt import register_post_import_hook

from langchain_otel._agents import AgentExecutorRun, ChainRun, GraphRun
from langchain_otel._content import ContentRecorder
from langchain_otel._patching import unwrap, wrap
from langchain_otel._run_context import RunContext
from langchain_otel._structure import Operation, StructureTelemetry, current_structure
from langchain_otel._tools import Retrieval, ToolRun
from langchain_otel._wrappers import (
    Wrapper,
    traced_arequest,
    traced_astream,
    traced_request,
    traced_stream,
)

_logger = logging.getLogger(__name__)

_TOOLS = "langchain_core.tools.base"
_RETRIEVERS = "langchain_core.retrievers"
_PREGEL = "langgraph.pregel"
_RUNNABLES = "langchain_core.runnables.base"
#: The LCEL runnables a top-level chain is made of (``|``, a dict of steps, ``@chain``).
_CHAINS = ("RunnableSequence", "RunnableParallel", "RunnableLambda")
_AGENT_EXECUTOR_MODULES = ("langchain_classic.agents.agent", "langchain.agents.agent")


@dataclass(frozen=True)
class Target:
    """``owner.method`` in ``module`` (``owner`` None: a module-level function)."""

    module: str
    owner: str | None
    method: str
    wrapper: Wrapper


def structure_targets(telemetry: StructureTelemetry) -> list[Target]:
    """Every method the structure spans wrap, with its wrapper."""
    targets = [
        *_run_targets(_PREGEL, "Pregel", telemetry, GraphRun()),
        *(
            target
            for module in _AGENT_EXECUTOR_MODULES
            for target in _run_targets(module, "AgentExecutor", telemetry, AgentExecutorRun())
        ),
        *_call_targets(_TOOLS, "BaseTool", ("run", "arun"), telemetry, ToolRun()),
        Target(_TOOLS, None, "_handle_tool_error", observed_handled_error()),
        Target(_TOOLS, None, "_handle_validation_error", observed_handled_error()),
        *_call_targets(_RETRIEVERS, "BaseRetriever", ("invoke", "ainvoke"), telemetry, Retrieval()),
        *(
            target
            for chain in _CHAINS
            for target in _run_targets(_RUNNABLES, chain, telemetry, ChainRun())
        ),
        # A sequence's batch runs each step for all its inputs at once, never through invoke.
        *_call_targets(_RUNNABLES, "RunnableSequence", ("batch", "abatch"), telemetry, ChainRun()),
    ]
    return targets


def _call_targets(
    module: str,
    owner: str,
    methods: tuple[str, str],
    telemetry: StructureTelemetry,
    operation: Operation,
) -> list[Target]:
    start = telemetry.starter(operation)
    sync, coroutine = methods
    return [
        Target(module, owner, sync, traced_request(start)),
        Target(module, owner, coroutine, traced_arequest(start)),
    ]


def _run_targets(
    module: str, owner: str, telemetry: StructureTelemetry, operation: Operation
) -> list[Target]:
    streams = telemetry.streams(operation)
    return [
        *_call_targets(module, owner, ("invoke", "ainvoke"), telemetry, operation),
        Target(module, owner, "stream", traced_stream(streams)),
        Target(module, owner, "astream", traced_astream(streams)),
    ]


def observed_handled_error() -> Wrapper:
    """``_handle_tool_error(e, flag=...)``: LangChain turned a tool's failure into its answer."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        invocation = current_structure()
        error = args[0] if args else kwargs.get("e")
        if (
            invocation is not None
            and isinstance(invocation.operation, ToolRun)  # not a run around an untraced tool
            and isinstance(error, BaseException)
        ):
            invocation.note_handled(error)
        return wrapped(*args, **kwargs)

    return wrapper


class LazyPatches:
    """Wraps each target once its module is imported; :meth:`undo` restores them all."""

    def __init__(self, targets: list[Target]) -> None:
        self._lock = threading.Lock()
        self._active = True
        #: (owner object, method) wrapped so far
        self._applied: list[tuple[Any, str]] = []
        self._by_module: dict[str, list[Target]] = {}
        for target in targets:
            self._by_module.setdefault(target.module, []).append(target)
        for module_name in self._by_module:
            _watch(module_name, self)

    def imported(self, module: Any) -> None:
        """``module`` is imported: wrap its targets (runs inside the user's import: never
        raises)."""
        for target in self._by_module.get(getattr(module, "__name__", ""), ()):
            try:
                self._apply(module, target)
            except Exception:
                _logger.debug("langchain-otel: could not wrap %s.%s", target.owner, target.method)

    def _apply(self, module: Any, target: Target) -> None:
        owner = module if target.owner is None else getattr(module, target.owner, None)
        if owner is None or not callable(getattr(owner, target.method, None)):
            _logger.debug("langchain-otel: %s has no %s", target.module, target.method)
            return
        with self._lock:
            if not self._active or any(
                applied is owner and name == target.method for applied, name in self._applied
            ):
                return
            wrap(owner, target.method, target.wrapper)
            self._applied.append((owner, target.method))

    def undo(self) -> None:
        """Take exactly our wrappers out again (inherited attributes: removed again), and stop
        waiting for the modules not imported yet."""
        _unwatch(self)
        with self._lock:
            self._active = False
            applied, self._applied = self._applied, []
        for owner, method in reversed(applied):
            try:
                unwrap(owner, method)
            except Exception:
                _logger.debug("langchain-otel: could not unwrap %s", method, exc_info=True)

    def wrapped(self) -> list[tuple[Any, str]]:
        """What is wrapped now (tests)."""
        return list(self._applied)


# -- import watching: one post-import hook per module name, for the whole process -----------------
#
# wrapt has no way to take a post-import hook back. A hook per ``instrument()`` would keep that
# instrumentation (its tracer, processors, exporters and their spans) alive after
# ``uninstrument()`` for every module never imported. So each module name gets one hook, which
# holds nothing, and the live ``LazyPatches`` are listed here until ``undo()``.

_watch_lock = threading.Lock()
_watchers: dict[str, list[LazyPatches]] = {}
#: Module names whose hook is registered and has not fired yet.
_hooked: set[str] = set()


def _watch(module_name: str, patches: LazyPatches) -> None:
    with _watch_lock:
        _watchers.setdefault(module_name, []).append(patches)
        first = module_name not in _hooked
        _hooked.add(module_name)
    if first:
        try:
            register_post_import_hook(_imported, module_name)  # at once if already imported
        except Exception:
            _logger.debug("langchain-otel: cannot watch %s", module_name, exc_info=True)
        return
    module = sys.modules.get(module_name)  # the hook fired before this instrumentation
    if module is not None:
        patches.imported(module)


def _unwatch(patches: LazyPatches) -> None:
    with _watch_lock:
        for module_name in list(_watchers):
            waiting = [other for other in _watchers[module_name] if other is not patches]
            if waiting:
                _watchers[module_name] = waiting
            else:
                del _watchers[module_name]


def _imported(module: Any) -> None:
    """The post-import hook of every watched module name."""
    name = getattr(module, "__name__", "")
    with _watch_lock:
        _hooked.discard(name)  # wrapt drops a hook once it fired
        waiting = list(_watchers.get(name, ()))
    for patches in waiting:
        patches.imported(module)


class StructureSpans:
    """The structure spans of one ``instrument()``: their telemetry and their patches."""

    def __init__(
        self,
        tracer: trace.Tracer,
        content: ContentRecorder | None,
        on_first_span: Callable[[], None] | None,
        run_context: RunContext,
    ) -> None:
        self.telemetry = StructureTelemetry(tracer, content, on_first_span, run_context)
        self.patches = LazyPatches(structure_targets(self.telemetry))

    def remove(self) -> None:
        """``uninstrument()``: streams started before stay untraced, every method restored."""
        self.telemetry.active = False
        self.patches.undo()

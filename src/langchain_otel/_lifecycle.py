"""The contract between the wrappers and a traced operation: one span's life.

The wrappers (``_wrappers.py``) and the stream machinery (``_streams.py``) drive every operation
the same way: start it, make its ``context`` current while the work runs, then exactly one of
``finish`` / ``fail`` / ``stop_early``. A chat request (``ChatInvocation``) and an agent, tool or
retrieval run (``StructureInvocation``) both implement it; neither the wrappers nor the streams
know which one they drive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry import context
from opentelemetry.context import Context

# The context keys under which each kind of operation of ours marks the context its work runs in
# (holding the invocation): a chat or completion request, an embedding call, an agent, workflow,
# tool or retrieval run.
ACTIVE_INVOCATION_KEY = context.create_key("langchain_otel.active_invocation")
ACTIVE_EMBEDDING_KEY = context.create_key("langchain_otel.active_embedding")
ACTIVE_STRUCTURE_KEY = context.create_key("langchain_otel.active_structure")
_OUR_KEYS = (ACTIVE_INVOCATION_KEY, ACTIVE_EMBEDDING_KEY, ACTIVE_STRUCTURE_KEY)


def ours_is_current(current: Context | None = None) -> bool:
    """Whether the work running in ``current`` (default: the current context) is inside one of
    our operations."""
    values = current if current is not None else context.get_current()
    return any(key in values for key in _OUR_KEYS)


class Traced(Protocol):
    """One traced operation. Every method is telemetry: it never raises into the user's call."""

    #: What is current while the operation's own code runs (its span, and what it needs found).
    context: Context

    def answered(self, result: object) -> None:
        """An inner call the operation adopted returned ``result`` (the owner ends the span)."""

    def stream_chunk(self, chunk: Any) -> None:
        """A chunk the operation's stream yielded."""

    def finish(self, result: object = None) -> None:
        """The operation completed with ``result``."""

    def fail(self, error: BaseException) -> None:
        """The operation raised ``error``."""

    def stop_early(self) -> None:
        """The consumer closed or dropped the operation's stream before its end."""


class StreamStarter(Protocol):
    """Starts the span of a ``stream``/``astream`` call at its first step."""

    def start_stream(
        self, owner: object, args: Sequence[Any], kwargs: Mapping[str, Any], /, async_api: bool
    ) -> Traced | None:
        """The operation for a stream of ``owner``; None: the stream runs untraced."""

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

from opentelemetry.context import Context


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

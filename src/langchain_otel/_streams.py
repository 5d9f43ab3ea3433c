"""Generators that stand in for the ones ``stream``/``astream`` return.

The span starts at the first ``next()`` (when LangChain sends the request), is current only while
the real generator runs (never across a ``yield``: the consumer's code between chunks is not ours),
and ends exactly once: on exhaustion, on an error, or, without error status, when the consumer
closes the stream or drops it (a dropped generator is closed by Python, a dropped async generator
by the event loop's finalizer). Per chunk only the first-chunk time and the chunks that carry
metadata, usage or tool calls are noted; the response view is built once, at the end.

Plain generators rather than proxy objects: a step costs a frame resume instead of a Python-level
``__next__`` call and attribute lookups, and ``close``/``throw``/garbage collection come for free.
"""

from __future__ import annotations

import functools
import logging
import operator
import time
from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from typing import Any

from opentelemetry import context

from langchain_otel._invocation import (
    ChatInvocation,
    ChatTelemetry,
    StreamSummary,
    active_invocation,
)
from langchain_otel._response import response_from_chunks

_logger = logging.getLogger(__name__)

_attach = context.attach
_detach = context.detach


class _StreamRecord:
    """What one traced stream has seen so far; ends its invocation once."""

    __slots__ = (
        "all_chunks",
        "chunk_count",
        "chunk_times",
        "first_chunk_ns",
        "invocation",
        "metadata_chunks",
    )

    def __init__(self, invocation: ChatInvocation, chunk_times: bool) -> None:
        self.invocation: ChatInvocation | None = invocation
        self.first_chunk_ns: int | None = None
        self.chunk_count = 0
        self.metadata_chunks: list[object] = []
        self.all_chunks: list[object] | None = [] if invocation.captures_content else None
        self.chunk_times: list[int] | None = [] if chunk_times else None

    def add(self, chunk: Any) -> None:
        try:
            self.chunk_count += 1
            if self.first_chunk_ns is None:
                self.first_chunk_ns = time.time_ns()
            # LangChain tags every chunk with {"model_provider": ...}: only chunks that say more
            # (finish reason, model, usage, tool calls) are worth keeping for the end.
            metadata = chunk.response_metadata
            if (
                (metadata and (len(metadata) > 1 or "model_provider" not in metadata))
                or chunk.usage_metadata
                or getattr(chunk, "tool_call_chunks", None)  # a fallback answer has none
            ):
                self.metadata_chunks.append(chunk)
            if self.chunk_times is not None:
                self.chunk_times.append(time.time_ns())
            if self.all_chunks is not None:
                self.all_chunks.append(chunk)
        except Exception:
            _logger.debug("langchain-otel: chunk bookkeeping failed", exc_info=True)

    def end(self, error: BaseException | None, completed: bool = False) -> None:
        """Finish (error None) or fail the span with what the stream delivered; once."""
        invocation = self.invocation
        if invocation is None:
            return
        self.invocation = None
        try:
            response = response_from_chunks(self.metadata_chunks)
        except Exception:
            _logger.debug("langchain-otel: could not aggregate the stream", exc_info=True)
            response = None
        output = None
        if self.all_chunks:
            try:
                output = functools.reduce(operator.add, self.all_chunks)
            except Exception:
                _logger.debug("langchain-otel: could not merge the stream", exc_info=True)
        summary = StreamSummary(
            self.first_chunk_ns, self.chunk_times or (), self.chunk_count, completed
        )
        if error is None:
            invocation.finish(response, output, summary)
        else:
            invocation.fail(error, response, output, summary)


def _begin(
    telemetry: ChatTelemetry, model: object, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> _StreamRecord | None:
    """At the first step: start the span unless this model's call is already traced."""
    if active_invocation(model) is not None:
        return None
    invocation = telemetry.start(model, args, kwargs, streaming=True)
    if invocation is None:
        return None
    metrics = telemetry.metrics
    return _StreamRecord(invocation, metrics is not None and metrics.records_chunk_times)


def stream_through(
    stream: Generator[Any, None, None],
    telemetry: ChatTelemetry,
    model: object,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> Generator[Any, None, None]:
    """Stands in for the generator ``BaseChatModel.stream`` returned."""
    record = _begin(telemetry, model, args, kwargs)
    if record is None or record.invocation is None:
        yield from stream
        return
    call_context = record.invocation.context
    while True:
        token = _attach(call_context)
        try:
            chunk = next(stream)
        except StopIteration:
            record.end(None, completed=True)
            return
        except BaseException as error:
            record.end(error)
            raise
        finally:
            _detach(token)
        record.add(chunk)
        try:
            yield chunk
        except GeneratorExit:  # the consumer closed or dropped the stream: an early stop
            try:
                stream.close()
            finally:
                record.end(None)
            raise
        except BaseException as error:  # thrown in by the consumer
            record.end(error)
            stream.close()
            raise


async def astream_through(
    stream: AsyncIterator[Any],
    telemetry: ChatTelemetry,
    model: object,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> AsyncIterator[Any]:
    """Stands in for the async generator ``BaseChatModel.astream`` returned."""
    record = _begin(telemetry, model, args, kwargs)
    if record is None or record.invocation is None:
        try:
            async for chunk in stream:
                yield chunk
        finally:
            await _aclose(stream)
        return
    call_context = record.invocation.context
    while True:
        token = _attach(call_context)
        try:
            chunk = await stream.__anext__()
        except StopAsyncIteration:
            record.end(None, completed=True)
            return
        except BaseException as error:
            record.end(error)
            raise
        finally:
            _detach(token)
        record.add(chunk)
        try:
            yield chunk
        except GeneratorExit:  # closed by the consumer, or by the loop's finalizer if dropped
            try:
                await _aclose(stream)
            finally:
                record.end(None)
            raise
        except BaseException as error:
            record.end(error)
            await _aclose(stream)
            raise


async def _aclose(stream: AsyncIterator[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()

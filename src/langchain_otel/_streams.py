"""Generators that stand in for the ones ``stream``/``astream`` return.

The span starts at the first ``next()`` (when LangChain sends the request), is current only while
the real generator runs (never across a ``yield``: the consumer's code between chunks is not ours),
and ends exactly once: on exhaustion, on an error, or, without error status, when the consumer
closes the stream or drops it (a dropped generator is closed by Python, a dropped async generator
by the event loop's finalizer). An exception the consumer throws in is forwarded to the real
generator, as it would be without us. What each chunk means is the invocation's business: the
machinery drives any :class:`~langchain_otel._lifecycle.Traced` operation (a chat request, a graph
run) that a :class:`~langchain_otel._lifecycle.StreamStarter` starts.

Plain generators rather than proxy objects: a step costs a frame resume instead of a Python-level
``__next__`` call and attribute lookups, and ``close``/garbage collection come for free.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from typing import Any

from opentelemetry import context

from langchain_otel._lifecycle import StreamStarter, Traced

_attach = context.attach
_detach = context.detach


def stream_through(
    stream: Generator[Any, None, None],
    telemetry: StreamStarter,
    model: object,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> Generator[Any, None, None]:
    """Stands in for the generator ``stream`` returned (``model``: whose stream it is)."""
    invocation = telemetry.start_stream(model, args, kwargs, async_api=False)
    if invocation is None:
        return (yield from stream)
    call_context = invocation.context
    stream_chunk = invocation.stream_chunk
    thrown: BaseException | None = None
    while True:
        token = _attach(call_context)
        try:
            chunk = next(stream) if thrown is None else stream.throw(thrown)
        except StopIteration:
            invocation.finish()
            return
        except BaseException as error:
            invocation.fail(error)
            raise
        finally:
            _detach(token)
            thrown = None
        stream_chunk(chunk)
        try:
            yield chunk
        except GeneratorExit:  # the consumer closed or dropped the stream: an early stop
            try:
                stream.close()
            finally:
                invocation.stop_early()
            raise
        except BaseException as error:  # thrown in by the consumer: the real generator decides
            thrown = error


async def astream_through(
    stream: AsyncIterator[Any],
    telemetry: StreamStarter,
    model: object,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
) -> AsyncIterator[Any]:
    """Stands in for the async generator ``astream`` returned."""
    invocation = telemetry.start_stream(model, args, kwargs, async_api=True)
    if invocation is None:
        try:
            async for chunk in stream:
                yield chunk
        finally:
            if not _loop_closes_every_stream():
                await _aclose(stream)
        return
    call_context = invocation.context
    stream_chunk = invocation.stream_chunk
    thrown: BaseException | None = None
    while True:
        token = _attach(call_context)
        try:
            chunk = await (
                stream.__anext__() if thrown is None else stream.athrow(thrown)  # type: ignore[attr-defined]
            )
        except StopAsyncIteration:
            invocation.finish()
            return
        except BaseException as error:
            if isinstance(thrown, asyncio.CancelledError):
                invocation.stop_early()  # the consumer is gone (see below), not the stream
            else:
                invocation.fail(error)
            raise
        finally:
            _detach(token)
            thrown = None
        stream_chunk(chunk)
        try:
            yield chunk
        except GeneratorExit:  # closed by the consumer, or by the loop's finalizer if dropped
            await _close_early(stream, invocation)
            raise
        except BaseException as error:
            # A cancellation thrown in here comes from no ``__anext__`` of ours: it is the
            # ``aclose()`` the loop's finalizer scheduled for a dropped stream, cancelled when
            # ``asyncio.run`` ends (it then throws the cancellation instead of GeneratorExit).
            thrown = error


async def _close_early(stream: AsyncIterator[Any], invocation: Traced) -> None:
    try:
        if not _loop_closes_every_stream():
            await _aclose(stream)
    finally:
        invocation.stop_early()


def _loop_closes_every_stream() -> bool:
    """True while the event loop closes every async generator at its shutdown (an ``astream``
    left open when ``asyncio.run`` returns): it closes the real one too, and two concurrent
    ``aclose()`` calls on one generator fail ("already running"). Private loop state, guarded."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    return getattr(loop, "_asyncgens_shutdown_called", False) is True


async def _aclose(stream: AsyncIterator[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()

"""Proxies for the generators ``stream``/``astream`` return.

The span starts at the first ``next()`` (when LangChain sends the request), is current only while
the real generator runs (never across a ``yield``: the consumer's code between chunks is not ours),
and ends exactly once: on exhaustion, on an error, or, without error status, when the consumer
closes the stream or drops it. Per chunk the proxy only notes the first-chunk time and keeps chunks
that carry metadata, usage or tool calls; the response view is built once, at the end.
"""

from __future__ import annotations

import functools
import logging
import operator
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import wrapt
from opentelemetry import context

from langchain_otel._invocation import (
    ChatInvocation,
    ChatTelemetry,
    StreamSummary,
    active_invocation,
)
from langchain_otel._response import response_from_chunks

_logger = logging.getLogger(__name__)

_NOT_STARTED, _TRACING, _UNTRACED = 0, 1, 2

if TYPE_CHECKING:  # wrapt >= 2 types ObjectProxy as a generic; wrapt 1.x is not subscriptable
    _ProxyBase = wrapt.ObjectProxy[Any]
else:
    _ProxyBase = wrapt.ObjectProxy


class _StreamLifecycle(_ProxyBase):
    """State and span lifecycle shared by the sync and async proxies."""

    def __init__(
        self,
        wrapped: object,
        telemetry: ChatTelemetry,
        model: object,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
    ) -> None:
        super().__init__(wrapped)
        self._self_telemetry = telemetry
        self._self_model = model
        self._self_args = args
        self._self_kwargs = kwargs
        self._self_state = _NOT_STARTED
        self._self_invocation: ChatInvocation | None = None
        self._self_first_chunk_ns: int | None = None
        self._self_chunk_count = 0
        self._self_metadata_chunks: list[object] = []
        self._self_all_chunks: list[object] | None = None  # only when content is captured
        self._self_chunk_times: list[int] | None = None

    def _self_begin(self) -> ChatInvocation | None:
        """Called at the first next(): start the span unless this call is already traced."""
        self._self_state = _UNTRACED
        model = self._self_model
        if active_invocation(model) is not None:
            return None
        invocation = self._self_telemetry.start(
            model, self._self_args, self._self_kwargs, streaming=True
        )
        if invocation is None:
            return None
        self._self_state = _TRACING
        self._self_invocation = invocation
        if invocation.captures_content:
            self._self_all_chunks = []
        metrics = self._self_telemetry.metrics
        if metrics is not None and metrics.records_chunk_times:
            self._self_chunk_times = []
        return invocation

    def _self_on_chunk(self, chunk: object) -> None:
        try:
            self._self_chunk_count += 1
            if self._self_first_chunk_ns is None:
                self._self_first_chunk_ns = time.time_ns()
            if (
                getattr(chunk, "response_metadata", None)
                or getattr(chunk, "usage_metadata", None)
                or getattr(chunk, "tool_call_chunks", None)
            ):
                self._self_metadata_chunks.append(chunk)
            chunk_times = self._self_chunk_times
            if chunk_times is not None:
                chunk_times.append(time.time_ns())
            all_chunks = self._self_all_chunks
            if all_chunks is not None:
                all_chunks.append(chunk)
        except Exception:
            _logger.debug("langchain-otel: chunk bookkeeping failed", exc_info=True)

    def _self_end(self, error: BaseException | None, completed: bool = False) -> None:
        """Finish (error None) or fail the span with what the stream delivered; once."""
        invocation = self._self_invocation
        if invocation is None:
            return
        self._self_invocation = None
        try:
            response = response_from_chunks(self._self_metadata_chunks)
        except Exception:
            _logger.debug("langchain-otel: could not aggregate the stream", exc_info=True)
            response = None
        self._self_metadata_chunks = []
        output = None
        if self._self_all_chunks:
            try:
                output = functools.reduce(operator.add, self._self_all_chunks)
            except Exception:
                _logger.debug("langchain-otel: could not merge the stream", exc_info=True)
        self._self_all_chunks = None
        summary = StreamSummary(
            self._self_first_chunk_ns,
            self._self_chunk_times or (),
            self._self_chunk_count,
            completed,
        )
        if error is None:
            invocation.finish(response, output, summary)
        else:
            invocation.fail(error, response, output, summary)

    def __del__(self) -> None:
        # The consumer dropped the stream without exhausting or closing it: an early stop.
        self._self_end(None)


class TracedStream(_StreamLifecycle):
    """Proxy for the generator ``BaseChatModel.stream`` returns."""

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        invocation = self._self_invocation
        if invocation is None:
            if self._self_state != _NOT_STARTED:
                return next(self.__wrapped__)
            invocation = self._self_begin()
            if invocation is None:
                return next(self.__wrapped__)
        token = context.attach(invocation.context)
        try:
            chunk = next(self.__wrapped__)
        except StopIteration:
            self._self_end(None, completed=True)
            raise
        except BaseException as error:
            self._self_end(error)
            raise
        finally:
            context.detach(token)
        self._self_on_chunk(chunk)
        return chunk

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_end(None)


class TracedAsyncStream(_StreamLifecycle):
    """Proxy for the async generator ``BaseChatModel.astream`` returns."""

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        invocation = self._self_invocation
        if invocation is None:
            if self._self_state != _NOT_STARTED:
                return await self.__wrapped__.__anext__()
            invocation = self._self_begin()
            if invocation is None:
                return await self.__wrapped__.__anext__()
        token = context.attach(invocation.context)
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_end(None, completed=True)
            raise
        except BaseException as error:
            self._self_end(error)
            raise
        finally:
            context.detach(token)
        self._self_on_chunk(chunk)
        return chunk

    async def aclose(self) -> None:
        try:
            await self.__wrapped__.aclose()
        finally:
            self._self_end(None)

"""wrapt wrappers for ``BaseChatModel.invoke/ainvoke/stream/astream``.

Each factory closes over the ``ChatTelemetry`` built by ``instrument()``. A wrapper passes the call
straight through when instrumentation is suppressed or when this model's call is already traced:
``stream`` falling back to ``invoke`` on the same instance is one provider call, one span (and
that span's request was not streaming after all).
The user's call runs outside every guard: its result and exceptions reach the caller unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from langchain_otel._invocation import ChatTelemetry, active_invocation
from langchain_otel._streams import astream_through, stream_through

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def traced_invoke(telemetry: ChatTelemetry) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        active = active_invocation(instance)
        if active is not None:  # a stream of this model fell back to a plain request
            active.streaming = False
            return wrapped(*args, **kwargs)
        invocation = telemetry.start(instance, args, kwargs, streaming=False)
        if invocation is None:
            return wrapped(*args, **kwargs)
        token = context.attach(invocation.context)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            invocation.fail(error)
            raise
        finally:
            context.detach(token)
        invocation.finish_message(result)
        return result

    return wrapper


def traced_ainvoke(telemetry: ChatTelemetry) -> Wrapper:
    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        active = active_invocation(instance)
        if active is not None:  # a stream of this model fell back to a plain request
            active.streaming = False
            return await wrapped(*args, **kwargs)
        invocation = telemetry.start(instance, args, kwargs, streaming=False)
        if invocation is None:
            return await wrapped(*args, **kwargs)
        token = context.attach(invocation.context)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            invocation.fail(error)
            raise
        finally:
            context.detach(token)
        invocation.finish_message(result)
        return result

    return wrapper


def traced_stream(telemetry: ChatTelemetry) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        stream = wrapped(*args, **kwargs)  # a generator: nothing runs until the first next()
        if not is_instrumentation_enabled():
            return stream
        return stream_through(stream, telemetry, instance, args, kwargs)

    return wrapper


def traced_astream(telemetry: ChatTelemetry) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        stream = wrapped(*args, **kwargs)
        if not is_instrumentation_enabled():
            return stream
        return astream_through(stream, telemetry, instance, args, kwargs)

    return wrapper

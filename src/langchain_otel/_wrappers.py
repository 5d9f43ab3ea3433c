"""wrapt wrappers: they tell the invocation what happened, and never change the call.

- ``traced_request`` / ``traced_arequest`` on ``BaseChatModel._generate_with_cache`` /
  ``_agenerate_with_cache``: one provider request (or cache lookup) per message list, whichever
  public method led there (``invoke``, ``ainvoke``, ``generate``, ``batch`` ...). On a LangChain
  without these hooks they wrap ``invoke``/``ainvoke`` instead (one request per call, read from
  the returned message).
- ``traced_stream`` / ``traced_astream`` on ``stream``/``astream``, which call the provider's
  ``_stream`` directly.
- ``observed_cache_hit`` on ``_convert_cached_generations``: LangChain's cache answered.
- ``observed_llm_start`` on the callback managers' ``on_llm_start``: the run manager that tells
  a ``BaseLLM.stream`` its whole answer.
- The same request wrappers serve ``BaseLLM._generate_helper`` (``text_completion``) and the
  embedding classes' ``embed_*`` methods (``_embeddings.py``).

The user's call runs outside every guard: its result and exceptions reach the caller unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from langchain_otel._invocation import current_invocation
from langchain_otel._lifecycle import StreamStarter, Traced
from langchain_otel._streams import astream_through, stream_through

_logger = logging.getLogger(__name__)

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


Starter = Callable[[Any, tuple[Any, ...], dict[str, Any]], "tuple[Traced, bool] | None"]


def traced_request(start: Starter) -> Wrapper:
    """One call that returns: a provider request (``_generate_with_cache``, or ``invoke`` on an
    old LangChain), or an agent, tool or retrieval run (``_structure_wrappers.py``)."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not is_instrumentation_enabled():
            return wrapped(*args, **kwargs)
        started = start(instance, args, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        invocation, owned = started
        if not owned:  # a stream's plain fallback: the stream's context is current, it ends it
            result = wrapped(*args, **kwargs)
            invocation.answered(result)
            return result
        token = context.attach(invocation.context)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            invocation.fail(error)
            raise
        finally:
            context.detach(token)
        invocation.finish(result)
        return result

    return wrapper


def traced_arequest(start: Starter) -> Wrapper:
    """The async twin of :func:`traced_request`."""

    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not is_instrumentation_enabled():
            return await wrapped(*args, **kwargs)
        started = start(instance, args, kwargs)
        if started is None:
            return await wrapped(*args, **kwargs)
        invocation, owned = started
        if not owned:
            result = await wrapped(*args, **kwargs)
            invocation.answered(result)
            return result
        token = context.attach(invocation.context)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            invocation.fail(error)
            raise
        finally:
            context.detach(token)
        invocation.finish(result)
        return result

    return wrapper


def traced_stream(telemetry: StreamStarter) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        stream = wrapped(*args, **kwargs)  # a generator: nothing runs until the first next()
        if not is_instrumentation_enabled():
            return stream
        return stream_through(stream, telemetry, instance, args, kwargs)

    return wrapper


def traced_astream(telemetry: StreamStarter) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        stream = wrapped(*args, **kwargs)
        if not is_instrumentation_enabled():
            return stream
        return astream_through(stream, telemetry, instance, args, kwargs)

    return wrapper


def observed_llm_start() -> Wrapper:
    """``CallbackManager.on_llm_start`` (only ``BaseLLM`` calls make it: chat models start with
    ``on_chat_model_start``): a ``BaseLLM.stream`` yields only text, so its span watches the run
    manager made here, which is told the whole answer (finish reason, usage, model) at the end.
    """

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        run_managers = wrapped(*args, **kwargs)
        _watch_answer(run_managers)
        return run_managers

    return wrapper


def observed_allm_start() -> Wrapper:
    """The async twin of :func:`observed_llm_start` (``AsyncCallbackManager.on_llm_start``)."""

    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        run_managers = await wrapped(*args, **kwargs)
        _watch_answer(run_managers)
        return run_managers

    return wrapper


def _watch_answer(run_managers: object) -> None:
    try:
        invocation = current_invocation()
        if invocation is not None and invocation.awaits_answer and run_managers:
            invocation.watch_answer(run_managers[0])  # type: ignore[index]
    except Exception:
        _logger.debug("langchain-otel: watching the completion's run manager failed", exc_info=True)


def observed_cache_hit() -> Wrapper:
    """``_convert_cached_generations``: called only when LangChain's cache answered."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        invocation = current_invocation()
        if invocation is not None and invocation.model_id == id(instance):
            invocation.mark_cache_hit()
        return wrapped(*args, **kwargs)

    return wrapper

"""OpenTelemetry instrumentation for LangChain chat models, agents, tools and retrievers.

One CLIENT span ``chat {model}`` per provider request a LangChain chat model makes, opened where
LangChain makes it (``BaseChatModel._generate_with_cache`` / ``_agenerate_with_cache`` for
``invoke``, ``ainvoke``, ``generate``, batches and chains; ``stream`` / ``astream``), with GenAI
semantic-convention attributes and the ``gen_ai.client.*`` metrics. Around them, one trace per
agent run: ``invoke_agent`` / ``invoke_workflow`` (LangGraph graphs, ``AgentExecutor``, a
top-level LCEL chain), ``execute_tool`` and ``retrieval`` spans
(``LANGCHAIN_OTEL_STRUCTURE_SPANS=false`` turns them off). Every span of a run carries its run
context: conversation id, mapped application metadata, LangGraph node, agent, named prompt.
The other provider calls get spans too: ``text_completion {model}`` for completion models
(``BaseLLM``) and ``embeddings {model}`` for the embedding classes the mappers name.

Zero-code::

    pip install "langchain-otel[otlp]"
    opentelemetry-instrument python app.py

In code::

    from langchain_otel import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=..., meter_provider=...)

Configuration (environment variables, parsed once by ``instrument()``) is documented in
:mod:`langchain_otel.config` and the README.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from langchain_otel._content import ChatContent, ContentRecorder, EventEmitter
from langchain_otel._embeddings import EmbeddingSpans
from langchain_otel._invocation import ChatTelemetry
from langchain_otel._metrics import ChatMetrics
from langchain_otel._patching import unwrap, wrap
from langchain_otel._peers import PeerCheck
from langchain_otel._prompts import PromptLog, observed_aprompt, observed_prompt
from langchain_otel._provider_layers import ProviderLayers, log_native_provider_tracing
from langchain_otel._run_context import RunContext
from langchain_otel._semconv import SCHEMA_URL
from langchain_otel._structure_wrappers import LazyPatches, StructureSpans, Target
from langchain_otel._wrappers import (
    Wrapper,
    observed_allm_start,
    observed_cache_hit,
    observed_llm_start,
    traced_arequest,
    traced_astream,
    traced_request,
    traced_stream,
)
from langchain_otel.config import ContentCapture, ProviderSpans, Settings
from langchain_otel.package import _instruments
from langchain_otel.providers import MapperRegistry
from langchain_otel.version import __version__

__all__ = ["ChatContent", "LangChainInstrumentor", "__version__"]

_logger = logging.getLogger(__name__)

_CHAT_MODULE = "langchain_core.language_models.chat_models"
_CALLBACKS_MODULE = "langchain_core.callbacks.manager"
_LLM_MODULE = "langchain_core.language_models.llms"
_PROMPTS_MODULE = "langchain_core.prompts.base"

Patch = tuple[str, str, str, Wrapper]  # module, class, method, wrapper

#: Serializes ``instrument()``/``uninstrument()`` (the instrumentor is a process-wide singleton).
_INSTRUMENT_LOCK = threading.RLock()


def _patches(telemetry: ChatTelemetry) -> list[Patch]:
    """What to wrap on this LangChain: the request hooks where they exist, else invoke/ainvoke.

    ``_generate_with_cache``/``_agenerate_with_cache`` see every provider request (and the full
    ``ChatResult``) whichever public method led there; they are private, so a LangChain without
    them gets the per-call wrappers, logged once at debug level.
    """
    from langchain_core.language_models.chat_models import BaseChatModel  # noqa: PLC0415

    chat = "BaseChatModel"
    if hasattr(BaseChatModel, "_generate_with_cache") and hasattr(
        BaseChatModel, "_agenerate_with_cache"
    ):
        requests = [
            (_CHAT_MODULE, chat, "_generate_with_cache", traced_request(telemetry.start_request)),
            (_CHAT_MODULE, chat, "_agenerate_with_cache", traced_arequest(telemetry.start_request)),
        ]
    else:
        _logger.debug("langchain-otel: no _generate_with_cache hook; tracing invoke/ainvoke")
        requests = [
            (_CHAT_MODULE, chat, "invoke", traced_request(telemetry.start_call)),
            (_CHAT_MODULE, chat, "ainvoke", traced_arequest(telemetry.start_call)),
        ]
    patches: list[Patch] = [
        *requests,
        (_CHAT_MODULE, chat, "stream", traced_stream(telemetry)),
        (_CHAT_MODULE, chat, "astream", traced_astream(telemetry)),
    ]
    patches.extend(_callback_patches())
    if hasattr(BaseChatModel, "_convert_cached_generations"):
        patches.append((_CHAT_MODULE, chat, "_convert_cached_generations", observed_cache_hit()))
    else:
        _logger.debug(
            "langchain-otel: no _convert_cached_generations; cache hits look like requests"
        )
    return patches


def _callback_patches() -> list[Patch]:
    """``on_llm_start`` makes the run manager that hands a ``BaseLLM.stream`` its whole answer
    (the stream yields text); only ``BaseLLM`` calls it."""
    return [
        (_CALLBACKS_MODULE, "CallbackManager", "on_llm_start", observed_llm_start()),
        (_CALLBACKS_MODULE, "AsyncCallbackManager", "on_llm_start", observed_allm_start()),
    ]


def _completion_targets(telemetry: ChatTelemetry) -> list[Target]:
    """``text_completion`` spans: ``BaseLLM._generate_helper``/``_agenerate_helper`` (one
    ``_generate`` call, for the prompts the cache did not answer) and ``stream``/``astream``.
    Wrapped when ``langchain_core.language_models.llms`` is imported (it pulls in tenacity and
    yaml, so ``instrument()`` does not); a missing private hook is skipped, logged at debug."""
    start, streams = telemetry.start_completion, telemetry.completion_streams
    return [
        Target(_LLM_MODULE, "BaseLLM", "_generate_helper", traced_request(start)),
        Target(_LLM_MODULE, "BaseLLM", "_agenerate_helper", traced_arequest(start)),
        Target(_LLM_MODULE, "BaseLLM", "stream", traced_stream(streams)),
        Target(_LLM_MODULE, "BaseLLM", "astream", traced_astream(streams)),
    ]


def _prompt_targets(prompts: PromptLog) -> list[Target]:
    """``BasePromptTemplate.invoke``/``ainvoke``: which named prompt made a model call's input
    (``gen_ai.prompt.name``)."""
    return [
        Target(_PROMPTS_MODULE, "BasePromptTemplate", "invoke", observed_prompt(prompts)),
        Target(_PROMPTS_MODULE, "BasePromptTemplate", "ainvoke", observed_aprompt(prompts)),
    ]


def _chat_metrics(settings: Settings, kwargs: dict[str, Any]) -> ChatMetrics | None:
    """The histograms, or None: metrics off, or a meter provider that cannot make them.

    A broken meter provider must not break ``instrument()`` (spans still work): one warning.
    """
    if not settings.metrics_enabled:
        return None
    try:
        meter = metrics.get_meter(
            __name__, __version__, kwargs.get("meter_provider"), schema_url=SCHEMA_URL
        )
        return ChatMetrics(meter, settings.time_per_chunk_metric)
    except Exception:
        _logger.warning(
            "langchain-otel: metrics are off: the meter provider failed to create them",
            exc_info=True,
        )
        return None


def _content_recorder(settings: Settings, kwargs: dict[str, Any]) -> ContentRecorder | None:
    """The content recorder, or None with content capture off (the default)."""
    mode = settings.capture_content
    if mode is ContentCapture.NO_CONTENT:
        return None
    events = None
    if mode.on_event:
        events = EventEmitter(kwargs.get("logger_provider"), __version__, SCHEMA_URL)
    return ContentRecorder(mode, settings.content_max_length, kwargs.get("content_hook"), events)


class LangChainInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Instruments ``langchain_core``'s ``BaseChatModel``, and (``structure_spans``, on by default)
    LangGraph graphs, ``AgentExecutor``, tools and retrievers, each when its module is imported.

    ``instrument()`` accepts ``tracer_provider``, ``meter_provider`` and ``logger_provider``
    (globals otherwise), ``content_hook`` (a callable that receives each call's
    :class:`ChatContent` and returns the copy to record, e.g. redacted),
    ``provider_mappers`` (extra :class:`~langchain_otel.providers.ChatModelMapper` instances, which
    win over the built-in ones for the classes they name) and the fields of
    :class:`langchain_otel.config.Settings` as keyword arguments, which win over the environment.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def instrument(self, **kwargs: Any) -> Any:
        """``BaseInstrumentor.instrument``, one caller at a time: its "already instrumented"
        check and ``_instrument`` are not atomic, so two threads at once would both wrap."""
        with _INSTRUMENT_LOCK:
            return super().instrument(**kwargs)

    def uninstrument(self, **kwargs: Any) -> Any:
        with _INSTRUMENT_LOCK:
            return super().uninstrument(**kwargs)

    def _instrument(self, **kwargs: Any) -> None:
        settings = Settings.from_env().with_overrides(
            **{name: kwargs.get(name) for name in Settings.__dataclass_fields__}
        )
        tracer = trace.get_tracer(
            __name__, __version__, kwargs.get("tracer_provider"), schema_url=SCHEMA_URL
        )
        chat_metrics = _chat_metrics(settings, kwargs)
        registry = MapperRegistry(kwargs.get("provider_mappers") or ())
        content = _content_recorder(settings, kwargs)
        run_context = RunContext(settings.metadata_attributes)
        prompts = PromptLog(keep_variables=content is not None)
        telemetry = ChatTelemetry(
            tracer=tracer,
            metrics=chat_metrics,
            registry=registry,
            layers=ProviderLayers(settings.provider_spans),
            content=content,
            run_context=run_context,
            prompts=prompts,
        )
        if settings.provider_spans is ProviderSpans.SUPPRESS:
            log_native_provider_tracing()
        self._telemetry = telemetry
        self._patched = _patches(telemetry)
        for module, cls, method, wrapper in self._patched:
            wrap(module, f"{cls}.{method}", wrapper)
        peers = PeerCheck()
        self._completions: LazyPatches | None = LazyPatches(
            [*_completion_targets(telemetry), *_prompt_targets(prompts)]
        )
        self._embeddings: EmbeddingSpans | None = EmbeddingSpans(telemetry)
        self._structure = (
            StructureSpans(tracer, content, peers, run_context)
            if settings.structure_spans
            else None
        )
        peers()

    def _uninstrument(self, **kwargs: Any) -> None:
        telemetry = getattr(self, "_telemetry", None)
        if telemetry is not None:
            telemetry.active = False  # streams created before now and iterated later
        for module, cls, method, _wrapper in getattr(self, "_patched", ()):
            unwrap(module, f"{cls}.{method}")
        self._patched = []
        completions = getattr(self, "_completions", None)
        if completions is not None:
            completions.undo()
        self._completions = None
        embeddings = getattr(self, "_embeddings", None)
        if embeddings is not None:
            embeddings.remove()
        self._embeddings = None
        structure = getattr(self, "_structure", None)
        if structure is not None:
            structure.remove()
        self._structure = None

"""The floors: the least a correct instrumentation can do for the same work, to compare with.

Bare wrapt wrappers on ``BaseChatModel.invoke/ainvoke/stream/astream``, in three flavours
(``instrument(tracer_provider, meter_provider)``; None leaves that signal out):

- **bare floor** (spans only): one CLIENT span with 10 constant attributes, current while the
  model runs, then ended. Nothing is read from the request or the answer; no metrics.
- **floor + metrics** (spans and metrics): the bare floor, plus the GenAI client metrics the spec
  asks of a chat call, with the spec's attributes and bucket advisories, recorded in the span's
  context (so a ``trace_based`` exemplar filter attaches exemplars): ``gen_ai.client.operation.
  duration`` (``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.model``,
  ``gen_ai.response.model``, ``server.address``, ``server.port``; plus ``error.type`` on failure
  only) and ``gen_ai.client.token.usage`` once per token type (the same plus ``gen_ai.token.type``);
  streams also ``gen_ai.client.operation.time_to_first_chunk``, as langchain-otel records it. The
  token counts and the response model are read from the answer (``usage_metadata``,
  ``response_metadata["model_name"]``); a stream keeps the chunk that carries the finish metadata
  and the one that carries the usage.
- **metrics only** (metrics, no tracer): the same metric points and no span at all: what a
  sampled-out call could cost at best if it did not propagate its sampling decision.

``same_attributes=True``: the span carries exactly the attributes (keys and values) langchain-otel
sets on the span of the same call (``SAME_ATTRIBUTES`` for an invoke, ``SAME_STREAM_ATTRIBUTES``
for a stream) instead of the 10 of ``ATTRIBUTES``: the floors doing the same work as ours. Under
an ``ALWAYS_OFF`` sampler (a variant's pipeline) the floor's span is non-recording but still made
current around the call and each stream step, as a sampled-out call that propagates its decision
must do.

Streams: a generator proxy starts the span at the first ``next()``, makes it current around each
step of the real generator (never across a ``yield``: the consumer's code is not the call's) and
ends it when the stream ends or is closed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider
from wrapt import wrap_function_wrapper

from benchmarks import fake_chat

_MODULE = "langchain_core.language_models.chat_models"

ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": fake_chat.MODEL,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 256,
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.response.model": fake_chat.SERVED_MODEL,
    "gen_ai.usage.input_tokens": fake_chat.INPUT_TOKENS,
    "gen_ai.usage.output_tokens": fake_chat.OUTPUT_TOKENS,
}
SPAN_NAME = f"chat {fake_chat.MODEL}"

# Exactly the attributes langchain-otel sets on its span of this call (``BenchChatModel`` mapped
# like ``ChatOpenAI``, as the ``langchain-otel*`` variants register it), in its order, with its
# values and types: an invoke and a stream (a stream has no response id, but the stream flag and
# the time to the first chunk, a measured float here a constant). Written from a real run; to
# check or refresh them: ``python -m benchmarks.floor`` (prints both as observed, exits 1 if the
# keys or values differ); ``make bench-icount`` warns when the key sets drift.
SAME_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": fake_chat.MODEL,
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 256,
    "gen_ai.response.id": fake_chat.RESPONSE_ID,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": fake_chat.INPUT_TOKENS,
    "gen_ai.usage.output_tokens": fake_chat.OUTPUT_TOKENS,
    "gen_ai.usage.cache_read.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 0,
    "openai.response.system_fingerprint": fake_chat.FINGERPRINT,
    "openai.response.service_tier": "default",
    "openai.api.type": "chat_completions",
    "gen_ai.response.model": fake_chat.SERVED_MODEL,
}
SAME_STREAM_ATTRIBUTES: dict[str, Any] = {
    **{key: value for key, value in SAME_ATTRIBUTES.items() if key != "gen_ai.response.id"},
    "gen_ai.request.stream": True,
    "gen_ai.response.time_to_first_chunk": 0.0008,
}
# Attributes whose value is measured on each call: only their type is checked.
MEASURED_ATTRIBUTES = frozenset({"gen_ai.response.time_to_first_chunk"})

# The metric attributes known before the call (gen_ai.response.model is read from the answer).
METRIC_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": fake_chat.MODEL,
    "server.address": "api.openai.com",
    "server.port": 443,
}
# The GenAI semantic conventions' explicit bucket boundaries advisories.
DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48]
DURATION_BUCKETS += [40.96, 81.92]
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304]
TOKEN_BUCKETS += [16777216, 67108864]


class FloorMetrics:
    """The spec's histograms, and one call's points."""

    def __init__(self, meter_provider: MeterProvider) -> None:
        meter = meter_provider.get_meter("benchmarks.floor")
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to receive the first chunk in a streaming operation.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )

    def record(
        self,
        seconds: float,
        usage: Any,
        metadata: Any,
        error: BaseException | None,
        call_context: Context | None,
        first_chunk_s: float | None = None,
    ) -> None:
        """``usage``: ``usage_metadata`` (or None); ``metadata``: ``response_metadata``."""
        attributes = {
            **METRIC_ATTRIBUTES,
            "gen_ai.response.model": (metadata and metadata.get("model_name")) or fake_chat.MODEL,
        }
        if usage:
            tokens = self.tokens
            input_attributes = {**attributes, "gen_ai.token.type": "input"}
            tokens.record(usage["input_tokens"], input_attributes, context=call_context)
            output_attributes = {**attributes, "gen_ai.token.type": "output"}
            tokens.record(usage["output_tokens"], output_attributes, context=call_context)
        if first_chunk_s is not None:
            self.first_chunk.record(first_chunk_s, attributes, context=call_context)
        if error is not None:
            error_class = type(error)
            attributes["error.type"] = f"{error_class.__module__}.{error_class.__qualname__}"
        self.duration.record(seconds, attributes, context=call_context)


def instrument(
    tracer_provider: TracerProvider | None,
    meter_provider: MeterProvider | None = None,
    same_attributes: bool = False,
) -> None:
    """Spans if ``tracer_provider``, metrics if ``meter_provider``; ``same_attributes``: the
    span carries langchain-otel's attributes of the call. See the module docstring."""
    tracer = (
        trace.get_tracer("benchmarks.floor", tracer_provider=tracer_provider)
        if tracer_provider is not None
        else None
    )
    metrics = FloorMetrics(meter_provider) if meter_provider is not None else None
    invoke_attributes = SAME_ATTRIBUTES if same_attributes else ATTRIBUTES
    stream_attributes = SAME_STREAM_ATTRIBUTES if same_attributes else ATTRIBUTES

    def start(
        attributes: dict[str, Any] = invoke_attributes,
    ) -> tuple[trace.Span | None, Context | None]:
        """The span and its context; (None, None) for the metrics-only floor."""
        if tracer is None:
            return None, None
        span = tracer.start_span(SPAN_NAME, kind=SpanKind.CLIENT, attributes=attributes)
        return span, trace.set_span_in_context(span)

    def invoke(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        span, call_context = start()
        token = context.attach(call_context) if call_context is not None else None
        started = time.perf_counter()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            if metrics is not None:
                metrics.record(time.perf_counter() - started, None, None, error, call_context)
            raise
        finally:
            if token is not None:
                context.detach(token)
            if span is not None:
                span.end()
        if metrics is not None:
            metrics.record(
                time.perf_counter() - started,
                result.usage_metadata,
                result.response_metadata,
                None,
                call_context,
            )
        return result

    async def ainvoke(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        span, call_context = start()
        token = context.attach(call_context) if call_context is not None else None
        started = time.perf_counter()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            if metrics is not None:
                metrics.record(time.perf_counter() - started, None, None, error, call_context)
            raise
        finally:
            if token is not None:
                context.detach(token)
            if span is not None:
                span.end()
        if metrics is not None:
            metrics.record(
                time.perf_counter() - started,
                result.usage_metadata,
                result.response_metadata,
                None,
                call_context,
            )
        return result

    # Streams, spans only: the floor as it always was (nothing read from the chunks).
    def traced(inner: Iterator[Any]) -> Iterator[Any]:
        span, call_context = start(stream_attributes)
        assert span is not None and call_context is not None
        try:
            while True:
                token = context.attach(call_context)
                try:
                    chunk = next(inner)
                except StopIteration:
                    return
                finally:
                    context.detach(token)
                yield chunk
        finally:
            span.end()

    async def atraced(inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
        span, call_context = start(stream_attributes)
        assert span is not None and call_context is not None
        try:
            while True:
                token = context.attach(call_context)
                try:
                    chunk = await inner.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    context.detach(token)
                yield chunk
        finally:
            span.end()

    # Streams with metrics: note the first chunk's time, keep the finish and usage chunks.
    def measured(inner: Iterator[Any], metrics: FloorMetrics) -> Iterator[Any]:
        span, call_context = start(stream_attributes)
        started = time.perf_counter()
        first_chunk_s = usage = metadata = failure = None
        try:
            while True:
                token = context.attach(call_context) if call_context is not None else None
                try:
                    chunk = next(inner)
                except StopIteration:
                    return
                finally:
                    if token is not None:
                        context.detach(token)
                if first_chunk_s is None:
                    first_chunk_s = time.perf_counter() - started
                if chunk.usage_metadata:
                    usage = chunk.usage_metadata
                if "finish_reason" in chunk.response_metadata:
                    metadata = chunk.response_metadata
                yield chunk
        except Exception as error:
            failure = error
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.record(seconds, usage, metadata, failure, call_context, first_chunk_s)
            if span is not None:
                span.end()

    async def ameasured(inner: AsyncIterator[Any], metrics: FloorMetrics) -> AsyncIterator[Any]:
        span, call_context = start(stream_attributes)
        started = time.perf_counter()
        first_chunk_s = usage = metadata = failure = None
        try:
            while True:
                token = context.attach(call_context) if call_context is not None else None
                try:
                    chunk = await inner.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    if token is not None:
                        context.detach(token)
                if first_chunk_s is None:
                    first_chunk_s = time.perf_counter() - started
                if chunk.usage_metadata:
                    usage = chunk.usage_metadata
                if "finish_reason" in chunk.response_metadata:
                    metadata = chunk.response_metadata
                yield chunk
        except Exception as error:
            failure = error
            raise
        finally:
            seconds = time.perf_counter() - started
            metrics.record(seconds, usage, metadata, failure, call_context, first_chunk_s)
            if span is not None:
                span.end()

    def stream(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if metrics is None:
            return traced(wrapped(*args, **kwargs))
        return measured(wrapped(*args, **kwargs), metrics)

    def astream(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        if metrics is None:
            return atraced(wrapped(*args, **kwargs))
        return ameasured(wrapped(*args, **kwargs), metrics)

    for method, wrapper in (
        ("invoke", invoke),
        ("ainvoke", ainvoke),
        ("stream", stream),
        ("astream", astream),
    ):
        wrap_function_wrapper(_MODULE, f"BaseChatModel.{method}", wrapper)


# -- the structure floor: tool calls and graph runs ---------------------------------------------

# As many constant attributes as langchain-otel's spans of the same calls carry (``@tool`` with a
# description, called without a tool-call id; a named graph that is not an agent).
TOOL_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "add",
    "gen_ai.tool.type": "function",
    "gen_ai.tool.description": "Add two integers.",
}
GRAPH_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "invoke_workflow",
    "gen_ai.workflow.name": "bench_workflow",
}


def instrument_structure(tracer_provider: TracerProvider) -> None:
    """One INTERNAL span, current during the call, around ``BaseTool.run`` and ``Pregel.invoke``:
    the structure spans' floor. Nothing is read from the call, its input or its result."""
    tracer = trace.get_tracer("benchmarks.floor", tracer_provider=tracer_provider)

    def spanned(name: str, attributes: dict[str, Any]) -> Callable[..., Any]:
        def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
            span = tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
            token = context.attach(trace.set_span_in_context(span))
            try:
                return wrapped(*args, **kwargs)
            finally:
                context.detach(token)
                span.end()

        return wrapper

    wrap_function_wrapper(
        "langchain_core.tools.base", "BaseTool.run", spanned("execute_tool add", TOOL_ATTRIBUTES)
    )
    wrap_function_wrapper(
        "langgraph.pregel",
        "Pregel.invoke",
        spanned("invoke_workflow bench_workflow", GRAPH_ATTRIBUTES),
    )


# -- the embedding and completion floor ----------------------------------------------------------

# As many constant attributes as langchain-otel's spans of the same calls carry (an 8-float
# vector; a completion with finish reason, usage, fingerprint and response model).
EMBEDDING_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "embeddings",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "text-embedding-3-small",
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.embeddings.dimension.count": 8,
}
COMPLETION_ATTRIBUTES: dict[str, Any] = {
    "gen_ai.operation.name": "text_completion",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-3.5-turbo-instruct",
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 7,
    "gen_ai.usage.output_tokens": 8,
    "openai.response.system_fingerprint": fake_chat.FINGERPRINT,
    "gen_ai.response.model": "gpt-3.5-turbo-instruct",
}
_METRIC_KEYS = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "server.address",
    "server.port",
)
EMBEDDING_METRIC_ATTRIBUTES = {key: EMBEDDING_ATTRIBUTES[key] for key in _METRIC_KEYS}
COMPLETION_METRIC_ATTRIBUTES = {
    **{key: COMPLETION_ATTRIBUTES[key] for key in _METRIC_KEYS},
    "gen_ai.response.model": "gpt-3.5-turbo-instruct",
}


def instrument_models(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """The embedding and completion floor: one CLIENT span with constant attributes (as many as
    langchain-otel's), current during the call, around ``BenchEmbeddings.embed_query`` and
    ``BaseLLM._generate_helper`` (the method langchain-otel wraps for a completion invoke), then
    the metric points langchain-otel records for the call, in the span's context: the
    ``gen_ai.client.operation.duration`` point, and for the completion the two
    ``gen_ai.client.token.usage`` points (input, output). Attributes and token counts are
    constants: nothing is read from the call, its input or its result."""
    tracer = trace.get_tracer("benchmarks.floor", tracer_provider=tracer_provider)
    metrics = FloorMetrics(meter_provider)
    input_tokens = {**COMPLETION_METRIC_ATTRIBUTES, "gen_ai.token.type": "input"}
    output_tokens = {**COMPLETION_METRIC_ATTRIBUTES, "gen_ai.token.type": "output"}

    def spanned(
        name: str, attributes: dict[str, Any], metric_attributes: dict[str, Any], tokens: bool
    ) -> Callable[..., Any]:
        def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
            start = time.perf_counter()
            span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
            call_context = trace.set_span_in_context(span)
            token = context.attach(call_context)
            try:
                return wrapped(*args, **kwargs)
            finally:
                context.detach(token)
                span.end()
                if tokens:
                    metrics.tokens.record(7, input_tokens, context=call_context)
                    metrics.tokens.record(8, output_tokens, context=call_context)
                seconds = time.perf_counter() - start
                metrics.duration.record(seconds, metric_attributes, context=call_context)

        return wrapper

    wrap_function_wrapper(
        "benchmarks.fake_models",
        "BenchEmbeddings.embed_query",
        spanned(
            "embeddings text-embedding-3-small",
            EMBEDDING_ATTRIBUTES,
            EMBEDDING_METRIC_ATTRIBUTES,
            tokens=False,
        ),
    )
    wrap_function_wrapper(
        "langchain_core.language_models.llms",
        "BaseLLM._generate_helper",
        spanned(
            "text_completion gpt-3.5-turbo-instruct",
            COMPLETION_ATTRIBUTES,
            COMPLETION_METRIC_ATTRIBUTES,
            tokens=True,
        ),
    )


# -- checking SAME_ATTRIBUTES against langchain-otel ----------------------------------------------


def attribute_drift(
    expected: Mapping[str, Any], observed: Mapping[str, Any], values: bool = True
) -> list[str]:
    """How ``observed`` (a span's attributes) differs from ``expected``: missing and extra keys,
    and with ``values`` the values that differ (only the type for ``MEASURED_ATTRIBUTES``)."""
    problems = [f"missing {key}" for key in expected if key not in observed]
    problems += [f"extra {key}" for key in observed if key not in expected]
    if values:
        for key, value in expected.items():
            if key not in observed:
                continue
            other = observed[key]
            if type(other) is not type(value) or (
                key not in MEASURED_ATTRIBUTES and other != value
            ):
                problems.append(f"{key}: {other!r}, not {value!r}")
    return problems


def observed_attributes() -> dict[str, dict[str, Any]]:
    """The attributes of langchain-otel's span of one invoke and one stream of the fake model,
    instrumented as the ``langchain-otel`` variant (in-memory exporter)."""
    from benchmarks.variants import BY_NAME, SIMPLE, SUBJECT  # noqa: PLC0415
    from benchmarks.workloads import sync_call  # noqa: PLC0415

    pipeline = BY_NAME[SUBJECT].make(SIMPLE)
    assert pipeline is not None and pipeline._memory is not None
    observed = {}
    for op in ("invoke", "stream"):
        call = sync_call(op)
        assert call is not None
        call()
        finished = pipeline._memory.get_finished_spans()
        observed[op] = dict(finished[-1].attributes or {})
        pipeline.clear()
    pipeline.shutdown()
    return observed


def main() -> int:
    """Print langchain-otel's attributes of an invoke and a stream (to paste into
    ``SAME_ATTRIBUTES``/``SAME_STREAM_ATTRIBUTES``) and how they differ from those; 1 if they do."""
    status = 0
    observed = observed_attributes()
    for op, name, expected in (
        ("invoke", "SAME_ATTRIBUTES", SAME_ATTRIBUTES),
        ("stream", "SAME_STREAM_ATTRIBUTES", SAME_STREAM_ATTRIBUTES),
    ):
        attributes = observed[op]
        print(f"# {op}: langchain-otel's span carries {len(attributes)} attributes")
        print(f"{name}: dict[str, Any] = {{")
        for key, value in attributes.items():
            print(f"    {key!r}: {value!r},")
        print("}")
        problems = attribute_drift(expected, attributes)
        if problems:
            status = 1
            print(f"# {name} differs: " + "; ".join(problems))
        else:
            print(f"# {name} matches ({len(expected)} attributes)")
        print()
    return status


if __name__ == "__main__":
    raise SystemExit(main())

"""One inference span per model call when the provider layer is instrumented too.

Our span is current while the provider SDK runs, so a GenAI instrumentation of that SDK nests its
own inference span under ours: one call, two "chat" spans with the same tokens. With the
``suppress`` policy (default) we ask each layer that offers a way to stand down to do so:

- instrumentations built on ``opentelemetry-util-genai`` >= 1.3 (genai-openai, genai-anthropic,
  and any other built on it): we take part in its nested-inference protocol by putting an
  ``InferenceData`` under its context key; they then emit no span, metrics or event and publish
  what they saw, and we fold into our span what ours lacks (ours wins);
- Traceloop's provider instrumentations: their public context key
  ``suppress_language_model_instrumentation``.

Layers with no way to stand down (the anthropic SDK's native tracing, the contrib
``opentelemetry-instrumentation-openai-v2``) keep their span as a child of ours. Whatever the
policy, each call is counted once in the metrics: when a layer that records its own GenAI metrics
is active under a call and did not stand down, our duration and token points are skipped.
HTTP-client spans are never touched.
"""

from __future__ import annotations

import importlib.metadata
import logging
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import context
from opentelemetry.context import Context

from langchain_otel import _semconv as sc
from langchain_otel.config import ProviderSpans

_logger = logging.getLogger(__name__)

_UTIL_INVOCATION_MODULE = "opentelemetry.util.genai.invocation"
_TRACELOOP_MODULE = "opentelemetry.semconv_ai"
_TRACELOOP_SUPPRESS_KEY = "suppress_language_model_instrumentation"  # its public constant

# Provider-level instrumentations that record gen_ai.* metrics, by the client library they wrap:
# (module, instrumentor class, stands down under the util-genai protocol).
_METRIC_LAYERS: Mapping[str, tuple[tuple[str, str, bool], ...]] = {
    "openai": (
        ("opentelemetry.instrumentation.genai.openai", "OpenAIInstrumentor", True),
        ("opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor", False),
        ("opentelemetry.instrumentation.openai", "OpenAIInstrumentor", True),  # Traceloop
    ),
    "anthropic": (
        ("opentelemetry.instrumentation.genai.anthropic", "AnthropicInstrumentor", True),
        ("opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor", True),  # Traceloop
    ),
}

# InferenceData field -> our attribute, for values an inner invocation may publish.
_PUBLISHED_FIELDS = (
    ("response_id", sc.RESPONSE_ID),
    ("response_model", sc.RESPONSE_MODEL),
    ("response_finish_reasons", sc.RESPONSE_FINISH_REASONS),
    ("usage_input_tokens", sc.USAGE_INPUT_TOKENS),
    ("usage_output_tokens", sc.USAGE_OUTPUT_TOKENS),
    ("usage_cache_read_input_tokens", sc.USAGE_CACHE_READ_INPUT_TOKENS),
    ("usage_cache_write_input_tokens", sc.USAGE_CACHE_CREATION_INPUT_TOKENS),
    ("usage_reasoning_output_tokens", sc.USAGE_REASONING_OUTPUT_TOKENS),
    ("server_address", sc.SERVER_ADDRESS),
    ("server_port", sc.SERVER_PORT),
)


class ProviderLayers:
    """The provider-layer policy of one ``instrument()`` call."""

    def __init__(self, policy: ProviderSpans) -> None:
        self.suppress = policy is ProviderSpans.SUPPRESS
        self._warned: set[str] = set()

    def enter(self, call_context: Context) -> tuple[Context, object]:
        """The call's context with the stand-down keys set, and the util-genai data (or None)."""
        if not self.suppress:
            return call_context, None
        modules = sys.modules  # a layer that is in use has imported its module already
        if _TRACELOOP_MODULE in modules:
            call_context = context.set_value(_TRACELOOP_SUPPRESS_KEY, True, call_context)
        util = modules.get(_UTIL_INVOCATION_MODULE)
        data_type = getattr(util, "InferenceData", None)
        key = getattr(util, "CLIENT_INFERENCE_CONTEXT_KEY", None)
        if data_type is None or not isinstance(key, str):
            return call_context, None
        data = data_type()
        return context.set_value(key, data, call_context), data

    def counted_elsewhere(self, client_library: str | None, inference: bool = True) -> bool:
        """True when a layer under this call records its own GenAI metrics (ours are skipped).

        ``inference=False`` (embeddings): the stand-down protocol covers inference only, so a
        layer that stands down for chat still records an embeddings call.
        """
        for module_name, class_name, stands_down in _METRIC_LAYERS.get(client_library or "", ()):
            if self.suppress and stands_down and inference:
                continue
            module = sys.modules.get(module_name)
            instrumentor = getattr(getattr(module, class_name, None), "_instance", None)
            if getattr(instrumentor, "_is_instrumented_by_opentelemetry", False):
                self._warn_once(module_name)
                return True
        return False

    def _warn_once(self, module_name: str) -> None:
        if module_name in self._warned or not self.suppress:
            return
        self._warned.add(module_name)
        _logger.info(
            "langchain-otel: %s cannot stand down under our chat span, so each call has two "
            "inference spans (its metrics count the call, ours are skipped); "
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS can turn it off",
            module_name,
        )


def published_attributes(data: object, known: Mapping[str, Any]) -> dict[str, Any]:
    """Values a stood-down util-genai invocation published that our span lacks."""
    attributes: dict[str, Any] = {}
    for field, attribute in _PUBLISHED_FIELDS:
        if attribute in known:
            continue
        value = getattr(data, field, None)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            attributes[attribute] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            attributes[attribute] = list(value)
    return attributes


def log_native_provider_tracing() -> None:
    """One INFO line at instrument time when the installed anthropic SDK traces natively."""
    try:
        files = importlib.metadata.distribution("anthropic").files or ()
    except importlib.metadata.PackageNotFoundError:
        return
    if not any(str(path).replace("\\", "/") == "anthropic/_tracing.py" for path in files):
        return
    import os  # noqa: PLC0415

    if os.environ.get("ANTHROPIC_OPEN_TELEMETRY", "").lower() == "false":
        return
    _logger.info(
        "langchain-otel: the anthropic SDK emits its own `anthropic.messages.create` span under "
        "each ChatAnthropic chat span (it has no way to stand down per call); set "
        "ANTHROPIC_OPEN_TELEMETRY=false for one inference span per call"
    )

"""Other LangChain-level instrumentations in the same process: one warning that names the fix.

OpenInference, Traceloop and the official genai-langchain each put a callback handler into every
LangChain run: next to ours, every model call is traced twice (OpenInference: a second LLM span in
its own tree; Traceloop: a second LLM span beside ours), and agents and tools too. They all
register the entry-point name ``langchain`` (ours is ``langchain_otel``), so
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=langchain`` turns them all off under
``opentelemetry-instrument``. Checked when ``instrument()`` runs and again at the first agent,
tool or retrieval span (the launcher may instrument them after us); warned once.
"""

from __future__ import annotations

import logging
import sys

_logger = logging.getLogger(__name__)

# (module, instrumentor class, what users know it as)
_LANGCHAIN_LAYERS = (
    ("openinference.instrumentation.langchain", "LangChainInstrumentor", "OpenInference"),
    ("opentelemetry.instrumentation.langchain", "LangchainInstrumentor", "Traceloop"),
    (
        "opentelemetry.instrumentation.genai.langchain",
        "LangChainInstrumentor",
        "the official genai-langchain",
    ),
)


def active_langchain_instrumentations() -> list[str]:
    """The other LangChain instrumentations instrumented now (their singleton says so)."""
    found = []
    for module_name, class_name, label in _LANGCHAIN_LAYERS:
        module = sys.modules.get(module_name)  # one that is in use has imported its module
        instrumentor = getattr(getattr(module, class_name, None), "_instance", None)
        if getattr(instrumentor, "_is_instrumented_by_opentelemetry", False) is True:
            found.append(label)
    return found


class PeerCheck:
    """Warns once per ``instrument()`` when another LangChain instrumentation is active."""

    def __init__(self) -> None:
        self.warned = False

    def __call__(self) -> None:
        if self.warned:
            return
        try:
            found = active_langchain_instrumentations()
        except Exception:
            _logger.debug("langchain-otel: checking other instrumentations failed", exc_info=True)
            return
        if not found:
            return
        self.warned = True
        one = len(found) == 1
        _logger.warning(
            "langchain-otel: %s also %s LangChain in this process, so every model call (and "
            "agent and tool run) is traced %s. Keep one: set "
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=langchain to turn off the instrumentations "
            "registered as `langchain` (langchain-otel is `langchain_otel`), or stop "
            "instrumenting %s in code.",
            " and ".join(found),
            "instruments" if one else "instrument",
            "twice" if one else "several times",
            "it" if one else "them",
        )

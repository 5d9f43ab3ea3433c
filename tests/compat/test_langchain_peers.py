"""Other LangChain instrumentations next to ours (run in their own venv): one WARNING that names
the fix, whichever was instrumented first; what each combination exports.

Real Traceloop (``opentelemetry-instrumentation-langchain``), OpenInference
(``openinference-instrumentation-langchain``) and the official
``opentelemetry-instrumentation-genai-langchain``: each injects a callback handler, so every model
call and tool run gets their span too, in a trace of its own (their handlers never make their
spans current), beside ours.
"""

from __future__ import annotations

import logging

import pytest
from langchain_core.tools import tool
from openinference.instrumentation.langchain import LangChainInstrumentor as OpenInference
from opentelemetry.instrumentation.genai.langchain import LangChainInstrumentor as Official
from opentelemetry.instrumentation.langchain import LangchainInstrumentor as Traceloop

from langchain_otel import LangChainInstrumentor
from tests.providers.helpers import make_model

FIX = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=langchain"
PEERS = {
    "Traceloop": Traceloop,
    "OpenInference": OpenInference,
    "the official genai-langchain": Official,
}


@tool
def find_museum(name: str) -> str:
    """Which museum keeps a clay tablet."""
    return "British Museum"


def our_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("langchain_otel") and r.levelno == logging.WARNING
    ]


@pytest.fixture
def peers(tracer_provider):
    started = []

    def start(*names: str) -> None:
        for name in names:
            instrumentor = PEERS[name]()
            instrumentor.instrument(tracer_provider=tracer_provider, skip_dep_check=True)
            started.append(instrumentor)

    yield start
    for instrumentor in started:
        instrumentor.uninstrument()


@pytest.fixture
def ours(tracer_provider):
    instrumentor = LangChainInstrumentor()
    yield lambda: instrumentor.instrument(tracer_provider=tracer_provider)
    instrumentor.uninstrument()


@pytest.mark.parametrize("name", PEERS)
def test_one_warning_at_instrument_and_what_is_exported(
    name, caplog, peers, ours, fake_server, span_exporter
):
    caplog.set_level(logging.WARNING)
    peers(name)
    ours()
    make_model(fake_server).invoke("hi")
    find_museum.invoke({"name": "Uruk"})

    (warning,) = our_warnings(caplog)
    assert warning.startswith(f"langchain-otel: {name} also instruments LangChain")
    assert FIX in warning
    spans = span_exporter.get_finished_spans()
    mine = [s for s in spans if s.instrumentation_scope.name == "langchain_otel"]
    theirs = [s for s in spans if s.instrumentation_scope.name != "langchain_otel"]
    assert sorted(s.name for s in mine) == ["chat gpt-4o-mini", "execute_tool find_museum"]
    assert len(theirs) == 2  # their model span and their tool span: each call traced twice


@pytest.mark.parametrize("name", PEERS)
def test_instrumented_after_us_the_first_tool_span_warns(name, caplog, peers, ours, span_exporter):
    caplog.set_level(logging.WARNING)
    ours()
    peers(name)
    assert our_warnings(caplog) == []  # not there yet when we were instrumented

    find_museum.invoke({"name": "Uruk"})
    find_museum.invoke({"name": "Kish"})

    (warning,) = our_warnings(caplog)
    assert FIX in warning


def test_several_at_once_are_named_in_one_warning(caplog, peers, ours):
    caplog.set_level(logging.WARNING)
    peers(*PEERS)
    ours()

    (warning,) = our_warnings(caplog)
    assert warning.startswith(
        "langchain-otel: OpenInference and Traceloop and the official genai-langchain also "
        "instrument LangChain in this process, so every model call (and agent and tool run) is "
        "traced several times."
    )


def test_no_warning_once_they_are_uninstrumented(caplog, tracer_provider, ours):
    caplog.set_level(logging.WARNING)
    for peer in PEERS.values():
        instrumentor = peer()
        instrumentor.instrument(tracer_provider=tracer_provider, skip_dep_check=True)
        instrumentor.uninstrument()
    ours()

    assert our_warnings(caplog) == []

"""instrument/uninstrument cycles, what instrument() imports, and that uninstrument really stops."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import wrapt

from langchain_otel import LangChainInstrumentor
from tests.helpers import PATCHED, chat_spans, metric_points, own_attributes, patched_attributes
from tests.models import ChatScripted

pytestmark = pytest.mark.matrix


def wrapper_depth(function: object) -> int:
    depth = 0
    while isinstance(function, wrapt.FunctionWrapper):
        depth += 1
        function = function.__wrapped__
    return depth


def test_cycles_leave_exactly_one_wrapper(tracer_provider, meter_provider):
    originals = patched_attributes()
    own = own_attributes()  # inherited methods (AgentExecutor.invoke) must be inherited again
    instrumentor = LangChainInstrumentor()
    for _ in range(5):
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        current = patched_attributes()
        assert {key: wrapper_depth(value) for key, value in current.items()} == dict.fromkeys(
            PATCHED, 1
        )
        assert all(current[key].__wrapped__ is originals[key] for key in PATCHED)
        instrumentor.uninstrument()
        assert patched_attributes() == originals
        assert own_attributes() == own


async def test_uninstrument_stops_spans_and_metrics(
    tracer_provider, meter_provider, span_exporter, metric_reader
):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    ChatScripted().invoke("hi")
    assert len(chat_spans(span_exporter)) == 1
    before = metric_points(metric_reader)["gen_ai.client.operation.duration"][0].count
    instrumentor.uninstrument()

    ChatScripted().invoke("hi")
    await ChatScripted().ainvoke("hi")
    list(ChatScripted().stream("hi"))
    [c async for c in ChatScripted().astream("hi")]

    assert len(chat_spans(span_exporter)) == 1
    after = metric_points(metric_reader)["gen_ai.client.operation.duration"][0].count
    assert after == before == 1


def test_a_stream_created_before_uninstrument_still_ends_its_span(tracer_provider, span_exporter):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    stream = ChatScripted(chunks=3).stream("hi")
    next(stream)
    instrumentor.uninstrument()
    list(stream)

    (span,) = chat_spans(span_exporter)
    assert "langchain_otel.stream.chunk_count" not in span.attributes  # it completed


IMPORT_PROBE = """
import json, sys
import langchain_core.language_models.chat_models
before = set(sys.modules)
from opentelemetry.sdk.trace import TracerProvider
after_sdk = set(sys.modules)
from langchain_otel import LangChainInstrumentor
LangChainInstrumentor().instrument(tracer_provider=TracerProvider())
new = sorted(set(sys.modules) - after_sdk)
print(json.dumps(new))
"""


def test_instrument_imports_no_provider_package():
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True
    )
    new_modules = json.loads(result.stdout)
    top_levels = {name.partition(".")[0] for name in new_modules}
    assert "langchain_otel" in top_levels
    # packaging: opentelemetry-instrumentation's dependency check.
    allowed = {"langchain_otel", "langchain_core", "opentelemetry", "wrapt", "packaging"}
    stdlib = set(sys.stdlib_module_names)
    assert top_levels - allowed - stdlib - {"_" + m for m in stdlib} == set()
    for provider in ("openai", "anthropic", "langchain_openai", "boto3", "google", "groq"):
        assert provider not in top_levels


LAZY_PROBE = """
import json, sys
import wrapt
from opentelemetry.sdk.trace import TracerProvider
from langchain_otel import LangChainInstrumentor
instrumentor = LangChainInstrumentor()
instrumentor.instrument(tracer_provider=TracerProvider())
result = {"imported_by_instrument": "langchain_core.retrievers" in sys.modules}
from langchain_core.retrievers import BaseRetriever  # imported after instrument(): wrapped now
result["wrapped_on_import"] = isinstance(vars(BaseRetriever)["invoke"], wrapt.FunctionWrapper)
instrumentor.uninstrument()
result["restored"] = not isinstance(vars(BaseRetriever)["invoke"], wrapt.FunctionWrapper)
import langchain_core.tools.base as tools  # imported after uninstrument(): the hook stands down
result["untouched_after_uninstrument"] = not isinstance(
    vars(tools.BaseTool)["run"], wrapt.FunctionWrapper
)
print(json.dumps(result))
"""


def test_structure_targets_are_wrapped_when_their_module_is_imported():
    result = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {
        "imported_by_instrument": False,
        "wrapped_on_import": True,
        "restored": True,
        "untouched_after_uninstrument": True,
    }

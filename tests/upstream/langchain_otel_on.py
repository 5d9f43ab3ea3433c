"""A pytest plugin that runs someone else's test suite with langchain-otel instrumented.

``python -m pytest -p langchain_otel_on ...`` (this directory on ``PYTHONPATH``) instruments
before the suite collects: a recording tracer provider (spans are counted, then dropped), a meter
provider with a reader, content capture on spans and events and a metadata mapping, so every code
path of ours runs under LangChain's and LangGraph's own tests. Each process (pytest-xdist workers
too) appends how many spans of each operation it made to ``LANGCHAIN_OTEL_UPSTREAM_REPORT``, when
set, as a JSON line. ``LANGCHAIN_OTEL_UPSTREAM=off`` loads the plugin without instrumenting: the
same run, for the baseline.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from langchain_otel import LangChainInstrumentor

_counts: Counter[str] = Counter()


class _Counting(SpanProcessor):
    def on_end(self, span: ReadableSpan) -> None:
        _counts[str((span.attributes or {}).get("gen_ai.operation.name"))] += 1


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("LANGCHAIN_OTEL_UPSTREAM", "on") == "off":
        return
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(_Counting())
    LangChainInstrumentor().instrument(
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
        logger_provider=LoggerProvider(),
        capture_content="SPAN_AND_EVENT",
        metadata_attributes="user_id=user.id,tenant",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    report = os.environ.get("LANGCHAIN_OTEL_UPSTREAM_REPORT")
    if report and os.environ.get("LANGCHAIN_OTEL_UPSTREAM", "on") != "off":
        with open(report, "a") as out:
            out.write(json.dumps(dict(_counts)) + "\n")

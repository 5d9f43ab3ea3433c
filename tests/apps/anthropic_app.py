"""ChatAnthropic with a GLOBAL tracer provider (as opentelemetry-instrument sets one), so the
anthropic SDK's native tracing is live. Prints the finished spans and our log lines as JSON."""

import json
import logging
import os
import sys

from langchain_anthropic import ChatAnthropic
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from langchain_otel import LangChainInstrumentor

logs: list[str] = []
handler = logging.Handler()
handler.emit = lambda record: logs.append(record.getMessage())  # type: ignore[method-assign]
logging.getLogger("langchain_otel").addHandler(handler)
logging.getLogger("langchain_otel").setLevel(logging.INFO)

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
reader = InMemoryMetricReader()
LangChainInstrumentor().instrument(meter_provider=MeterProvider([reader]))

model = ChatAnthropic(
    model="claude-3-sonnet-20240229",
    base_url=os.environ["FAKE_ANTHROPIC_URL"],
    api_key="sk-ant-test",
    max_retries=0,
)
model.invoke("hi")
list(model.stream("hi"))

points = [
    (metric.name, sum(p.count for p in metric.data.data_points))
    for rm in reader.get_metrics_data().resource_metrics
    for sm in rm.scope_metrics
    for metric in sm.metrics
]
spans = [
    {
        "name": s.name,
        "scope": s.instrumentation_scope.name,
        "span_id": s.context.span_id,
        "parent_id": s.parent.span_id if s.parent else None,
    }
    for s in exporter.get_finished_spans()
]
json.dump({"spans": spans, "logs": logs, "metrics": points}, sys.stdout)

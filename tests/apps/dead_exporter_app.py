"""200 chat calls while the OTLP endpoint is down (a closed port), behind a BatchSpanProcessor.

Prints the answers and the slowest call as JSON, then exits without waiting for the exporter's
retries (which older SDKs keep up for a minute): only the calls' latency is under test.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from tests.models import ChatScripted

from langchain_otel import LangChainInstrumentor

exporter = OTLPSpanExporter(endpoint=sys.argv[1], insecure=True, timeout=2)
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=10))
LangChainInstrumentor().instrument(tracer_provider=provider, metrics_enabled=False)

answers, slowest = [], 0.0
for _ in range(200):
    started = time.perf_counter()
    answers.append(ChatScripted().invoke("hi").content)
    slowest = max(slowest, time.perf_counter() - started)
print(json.dumps({"answers": answers, "slowest": slowest}), flush=True)
os._exit(0)

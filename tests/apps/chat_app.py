"""A plain app with no OpenTelemetry code: one ChatOpenAI call inside a user span.

Run under ``opentelemetry-instrument`` by the tests, against the fake at ``FAKE_OPENAI_URL``.
"""

import os

from langchain_openai import ChatOpenAI
from opentelemetry import trace

model = ChatOpenAI(
    model="gpt-4o-mini",
    base_url=os.environ["FAKE_OPENAI_URL"],
    api_key="sk-app-key",
    max_retries=0,
    stream_usage=True,
)
with trace.get_tracer("app").start_as_current_span("handle-request"):
    model.invoke("What's the oldest known example of cuneiform?")
    for _chunk in model.stream("And the second oldest?"):
        pass

r"""Quickstart: plain LangChain code, no OpenTelemetry code at all.

    .venv/bin/opentelemetry-instrument --traces_exporter console --metrics_exporter none \
        --logs_exporter none .venv/bin/python examples/quickstart.py

from the repository root, with the venv ``make demo`` creates. ``--metrics_exporter none``: the
console shows the spans, and the default OTLP metrics exporter would log an error at every export
with no backend listening.

Every chat-model call becomes a ``chat gpt-4o-mini`` span. Without ``OPENAI_API_KEY`` the calls
go to a built-in loopback server that speaks the OpenAI API.
"""

from _setup import chat_model

model = chat_model(temperature=0.2, max_tokens=200)

answer = model.invoke("What's the oldest known example of cuneiform?")
print("invoke:", answer.content)

print("stream:", end=" ")
for chunk in model.stream("And where was it found?"):
    print(chunk.content, end="", flush=True)
print()

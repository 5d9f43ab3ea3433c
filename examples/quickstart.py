"""Quickstart: plain LangChain code, no OpenTelemetry code at all.

    opentelemetry-instrument --traces_exporter console python examples/quickstart.py

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

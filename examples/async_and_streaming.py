r"""Async calls and streaming: ainvoke, astream and abatch inside one span of your own.

    .venv/bin/opentelemetry-instrument --traces_exporter console --metrics_exporter none \
        --logs_exporter none .venv/bin/python examples/async_and_streaming.py

from the repository root, with the venv ``make demo`` creates. ``--metrics_exporter none``: the
console shows the spans, and the default OTLP metrics exporter would log an error at every export
with no backend listening.

Each round is an ``answer-questions`` trace with one ``chat gpt-4o-mini`` span per provider call
under it: one for ``ainvoke``, one for ``astream`` (with ``gen_ai.request.stream`` and the time to
first chunk) and one per input of ``abatch``. Pass a number of rounds (one a second) to keep the
process alive long enough for a dashboard's rate panels: ``... async_and_streaming.py 60``.
Without ``OPENAI_API_KEY`` the calls go to a built-in loopback server that speaks the OpenAI API.
"""

import asyncio
import sys

from _setup import chat_model
from opentelemetry import trace

tracer = trace.get_tracer("examples.async_and_streaming")
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 1


async def answer_questions(model) -> None:
    with tracer.start_as_current_span("answer-questions"):
        answer = await model.ainvoke("What's the oldest known example of cuneiform?")
        print("ainvoke:", answer.content)

        print("astream:", end=" ")
        async for chunk in model.astream("And where was it found?"):
            print(chunk.content, end="", flush=True)
        print()

        answers = await model.abatch(["Who deciphered it?", "What was it written on?"])
        for answer in answers:
            print("abatch:", answer.content)


async def main() -> None:
    model = chat_model(temperature=0.2, max_tokens=200)
    for round_number in range(ROUNDS):
        if round_number:
            await asyncio.sleep(1)
        await answer_questions(model)


asyncio.run(main())

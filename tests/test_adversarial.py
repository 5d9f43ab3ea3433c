"""Streams and clocks under adversarial use: each case compared with what LangChain does alone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry.trace import StatusCode

from langchain_otel import LangChainInstrumentor
from tests.helpers import chat_spans, metric_points, only_chat_span
from tests.models import ChatScripted

pytestmark = pytest.mark.matrix

ROOT = Path(__file__).resolve().parent.parent


class ErrorRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(self, error: BaseException, **kwargs) -> None:
        self.errors.append(error)


def throw_into_stream(instrumented: bool, tracer_provider) -> tuple[list, BaseException]:
    instrumentor = LangChainInstrumentor()
    if instrumented:
        instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        recorder = ErrorRecorder()
        stream = ChatScripted(chunks=5).stream("hi", {"callbacks": [recorder]})
        next(stream)
        thrown = ValueError("consumer gave up")
        with pytest.raises(ValueError) as raised:
            stream.throw(thrown)
        assert raised.value is thrown
        return recorder.errors, thrown
    finally:
        if instrumented:
            instrumentor.uninstrument()


def test_an_exception_thrown_into_a_stream_reaches_langchain(tracer_provider, span_exporter):
    bare_errors, bare_thrown = throw_into_stream(False, tracer_provider)
    errors, thrown = throw_into_stream(True, tracer_provider)

    assert bare_errors == [bare_thrown]  # LangChain's callbacks see the consumer's exception
    assert errors == [thrown]  # and still do with us (not GeneratorExit)
    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ValueError"


def test_a_stream_created_before_uninstrument_and_iterated_after_is_not_traced(
    tracer_provider, span_exporter
):
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    stream = ChatScripted(chunks=3).stream("hi")  # created, nothing sent yet
    instrumentor.uninstrument()

    assert list(stream)  # it still works
    assert chat_spans(span_exporter) == []


@pytest.mark.usefixtures("instrument")
def test_a_wall_clock_step_during_a_call_leaves_durations_right(
    monkeypatch, span_exporter, metric_reader
):
    real = time.time_ns

    def step_back() -> None:  # the wall clock jumps back an hour (NTP, a VM resumed ...)
        monkeypatch.setattr(time, "time_ns", lambda: real() - 3_600_000_000_000)

    ChatScripted(during_call=step_back).invoke("hi")

    span = only_chat_span(span_exporter)
    assert 0 < span.end_time - span.start_time < 60_000_000_000
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert 0 < duration.sum < 60
    assert duration.sum == pytest.approx((span.end_time - span.start_time) / 1e9)


OPEN_ASTREAM = """
import asyncio, sys
from opentelemetry.sdk.trace import TracerProvider
from langchain_otel import LangChainInstrumentor
from tests.models import ChatScripted

if sys.argv[1] == "on":
    LangChainInstrumentor().instrument(tracer_provider=TracerProvider())
kept = []

async def main():
    stream = ChatScripted(chunks=5).astream("hi")
    await stream.__anext__()
    kept.append(stream)  # still open when asyncio.run() shuts the loop down

asyncio.run(main())
print("done")
"""


def test_an_astream_left_open_at_loop_shutdown_closes_quietly():
    def run(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", OPEN_ASTREAM, mode],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    bare, instrumented = run("off"), run("on")
    assert bare.stdout == instrumented.stdout == "done\n"
    assert bare.stderr == ""
    assert instrumented.stderr == ""  # no "aclose(): asynchronous generator is already running"

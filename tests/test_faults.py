"""Provider and telemetry faults: the call behaves exactly as uninstrumented, the span tells why."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
from opentelemetry.trace import StatusCode

from langchain_otel.providers import ChatModelMapper
from tests.fakes import openai as fake_openai
from tests.fakes.server import FakeServer, Reply, Request, sse
from tests.helpers import chat_spans, metric_points, only_chat_span
from tests.models import ChatScripted
from tests.providers.helpers import make_model

pytestmark = pytest.mark.matrix


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def faulty_server():
    """/slow answers after 2 s; /broken streams three chunks, then drops the connection."""
    server = FakeServer()
    fake_openai.install(server)

    def slow(request: Request) -> Reply:
        time.sleep(2)
        return fake_openai.chat_completions_handler()(request)

    def broken(request: Request) -> Reply:
        body = request.json()
        chunks = list(fake_openai._chunks(body, fake_openai.OPENAI))[:3]

        def events():
            yield from sse(chunks, done=False)
            raise ConnectionAbortedError("the fake drops the connection mid-stream")

        return Reply.stream(events(), "text/event-stream")

    server.route("POST", "/slow/v1/chat/completions", slow)
    server.route("POST", "/broken/v1/chat/completions", broken)
    server.start()
    yield server
    server.stop()


def error_type_of(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


@pytest.mark.usefixtures("instrument")
@pytest.mark.parametrize("status", [429, 500, 503])
def test_http_errors(status, fake_server, span_exporter, metric_reader):
    with pytest.raises(openai.APIStatusError) as raised:
        make_model(fake_server, model=f"error-{status}").invoke("hi")

    assert raised.value.status_code == status
    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type_of(raised.value)
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error_type_of(raised.value)


@pytest.mark.usefixtures("instrument")
def test_timeout(faulty_server, span_exporter):
    model = make_model(faulty_server, base_url=f"{faulty_server.url}/slow/v1", timeout=0.2)
    with pytest.raises(openai.APITimeoutError) as raised:
        model.invoke("hi")

    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"] == error_type_of(raised.value)
    assert span.status.status_code is StatusCode.ERROR


@pytest.mark.usefixtures("instrument")
async def test_connection_refused(fake_server, span_exporter):
    model = make_model(
        fake_server,
        base_url=f"http://127.0.0.1:{closed_port()}/v1",
        http_async_client=httpx.AsyncClient(),
    )
    with pytest.raises(openai.APIConnectionError) as raised:
        await model.ainvoke("hi")

    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"] == error_type_of(raised.value)
    assert span.attributes["server.address"] == "127.0.0.1"


@pytest.mark.usefixtures("instrument")
def test_stream_failing_midway(faulty_server, span_exporter, metric_reader):
    model = make_model(faulty_server, base_url=f"{faulty_server.url}/broken/v1")
    received = []
    # openai >= 1.x-late wraps the transport error; older clients let httpx's through.
    with pytest.raises((openai.APIError, httpx.HTTPError)) as raised:
        for chunk in model.stream("hi"):
            received.append(chunk)

    assert len(received) >= 2  # partial output reached the user
    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type_of(raised.value)
    assert span.attributes["langchain_otel.stream.chunk_count"] == len(received)
    assert isinstance(span.attributes["gen_ai.response.time_to_first_chunk"], float)
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error_type_of(raised.value)


@pytest.mark.usefixtures("instrument")
def test_scripted_stream_failing_midway_keeps_partial_metadata(span_exporter):
    error = RuntimeError("connection reset")
    stream = ChatScripted(chunks=4, error=error, fail_after_chunks=2).stream("hi")
    received = []
    with pytest.raises(RuntimeError) as raised:
        for chunk in stream:
            received.append(chunk)

    assert raised.value is error
    span = only_chat_span(span_exporter)
    assert span.attributes["langchain_otel.stream.chunk_count"] == 2 == len(received)
    assert span.attributes["error.type"] == "RuntimeError"


@pytest.mark.usefixtures("instrument")
async def test_cancelled_ainvoke(faulty_server, span_exporter):
    model = make_model(
        faulty_server,
        base_url=f"{faulty_server.url}/slow/v1",
        http_async_client=httpx.AsyncClient(),
    )
    task = asyncio.create_task(model.ainvoke("hi"))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "asyncio.exceptions.CancelledError"


@pytest.mark.usefixtures("instrument")
async def test_cancelled_astream(span_exporter):
    gate = asyncio.Event()

    class ChatWaiting(ChatScripted):
        async def _astream(self, *args, **kwargs):
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk
                await gate.wait()

    async def consume():
        async for _chunk in ChatWaiting(chunks=4).astream("hi"):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"] == "asyncio.exceptions.CancelledError"
    assert span.attributes["langchain_otel.stream.chunk_count"] == 1


@pytest.mark.usefixtures("instrument")
def test_keyboard_interrupt(span_exporter):
    interrupt = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt) as raised:
        ChatScripted(error=interrupt).invoke("hi")

    assert raised.value is interrupt
    span = only_chat_span(span_exporter)
    assert span.attributes["error.type"] == "KeyboardInterrupt"
    assert span.end_time is not None


def test_exporter_endpoint_down_does_not_hold_calls():
    """OTLP to a closed port behind a BatchSpanProcessor: exports fail in the background.

    In a subprocess, so the exporter's retries cannot outlive the test.
    """
    app = Path(__file__).parent / "apps" / "dead_exporter_app.py"
    result = subprocess.run(
        [sys.executable, str(app), f"127.0.0.1:{closed_port()}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout)

    assert report["answers"] == ["scripted answer"] * 200
    # An export attempt may take the exporter's 2 s timeout: no call ever waits for one.
    assert report["slowest"] < 2


@pytest.mark.usefixtures("instrument")
@pytest.mark.parametrize(
    "hook", ["start", "request_attributes", "response_attributes", "usage_attributes"]
)
def test_mapper_bug_never_reaches_the_call(hook, monkeypatch, span_exporter):
    def broken(*args, **kwargs):
        raise RuntimeError("mapper bug")

    monkeypatch.setattr(ChatModelMapper, hook, broken)
    assert ChatScripted().invoke("hi").content == "scripted answer"
    assert [c.content for c in ChatScripted(chunks=2).stream("hi")][-1] == ""

    spans = chat_spans(span_exporter)
    # A failing start leaves the call untraced; any later failure still ends the span once.
    assert len(spans) == (0 if hook == "start" else 2)


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("__str__ fails")


@pytest.mark.usefixtures("instrument")
def test_an_error_whose_str_raises(span_exporter, metric_reader):
    error = UnprintableError()
    with pytest.raises(UnprintableError) as raised:
        ChatScripted(error=error).invoke("hi")

    assert raised.value is error
    span = only_chat_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "UnprintableError"
    assert span.attributes["error.type"] == error_type_of(error)
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error_type_of(error)

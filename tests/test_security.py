"""No secret ever reaches telemetry; content stays off by default; values stay bounded."""

from __future__ import annotations

import logging

import pytest

from langchain_otel import LangChainInstrumentor
from langchain_otel.providers import ChatModelMapper
from tests.helpers import chat_spans, metric_points, only_chat_span
from tests.models import ChatScripted
from tests.providers.helpers import make_model

pytestmark = pytest.mark.matrix

SECRETS = ("sk-SECRET-api-key", "PASSWORD-SECRET", "TOKEN-SECRET", "HEADER-SECRET", "org-SECRET")
PROMPT = "PROMPT-TEXT-7f3a"


def log_text(exported: object) -> str:
    """Everything a log record carries, whatever the SDK version's record type."""
    record = getattr(exported, "log_record", exported)
    return repr(dict(record.attributes or {})) + repr(record.body)


def secret_model(server):
    return make_model(
        server,
        api_key="sk-SECRET-api-key",
        base_url=f"http://admin:PASSWORD-SECRET@127.0.0.1:{server.port}/v1",
        default_headers={"Authorization": "Bearer TOKEN-SECRET", "X-Api-Key": "HEADER-SECRET"},
        organization="org-SECRET",
    )


@pytest.mark.parametrize("mode", [None, "SPAN_AND_EVENT"])
def test_no_secret_in_any_telemetry(
    mode, caplog, fake_server, instrumented, span_exporter, metric_reader, log_exporter
):
    instrumented(capture_content=mode)
    caplog.set_level(logging.DEBUG)
    model = secret_model(fake_server)
    model.invoke(PROMPT)
    list(model.stream(PROMPT))
    with pytest.raises(Exception, match="fake 429"):
        secret_model(fake_server).invoke(PROMPT, model="error-429")

    spans = span_exporter.get_finished_spans()
    assert len(chat_spans(span_exporter)) == 3
    dump = "\n".join(
        [s.to_json() for s in spans]
        + [log_text(r) for r in log_exporter.get_finished_logs()]
        + [repr(metric_points(metric_reader))]
    )
    ours = [r for r in caplog.records if r.name.startswith("langchain_otel")]
    for secret in SECRETS:
        assert secret not in dump
        assert all(secret not in r.getMessage() for r in ours)
    assert (PROMPT in dump) is (mode is not None)
    assert all(PROMPT not in r.getMessage() for r in ours)
    # The endpoint is still reported, without its credentials.
    assert {s.attributes["server.address"] for s in chat_spans(span_exporter)} == {"127.0.0.1"}


def test_our_debug_logs_carry_no_content(monkeypatch, caplog, instrument):
    def broken(self, response):
        raise ValueError("mapper bug")

    monkeypatch.setattr(ChatModelMapper, "response_attributes", broken)
    caplog.set_level(logging.DEBUG, logger="langchain_otel")
    ChatScripted(reply="ANSWER-TEXT-91c2").invoke(PROMPT)

    messages = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("response" in m for m in messages)  # the failure was logged
    assert all(PROMPT not in m and "ANSWER-TEXT" not in m for m in messages)


def test_attribute_values_are_bounded(instrument, span_exporter):
    huge = "x" * 100_000

    class ChatHuge(ChatScripted):
        def _generate(self, *args, **kwargs):
            result = super()._generate(*args, **kwargs)
            result.generations[0].message.response_metadata.update(
                id="chatcmpl-" + huge, model_name=huge, finish_reason=huge
            )
            return result

    ChatHuge().invoke("hi")
    with pytest.raises(RuntimeError):
        ChatScripted(error=RuntimeError(huge)).invoke("hi")

    for span in chat_spans(span_exporter):
        for value in span.attributes.values():
            values = value if isinstance(value, tuple) else (value,)
            assert all(len(v) <= 1024 for v in values if isinstance(v, str))
        assert len(span.status.description or "") <= 512
        for event in span.events:
            assert len(event.attributes["exception.message"]) <= 512


@pytest.mark.parametrize("mode", [None, "SPAN_ONLY"])
def test_error_text_reaches_telemetry_only_with_content_capture(
    mode, tracer_provider, meter_provider, span_exporter
):
    """langchain-openai raises TypeError(f"Got unknown type {message}") for a custom message."""
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=mode
    )
    try:
        with pytest.raises(TypeError):
            ChatScripted(error=TypeError(f"Got unknown type {PROMPT}")).invoke("hi")
    finally:
        instrumentor.uninstrument()

    span = only_chat_span(span_exporter)
    (event,) = span.events
    if mode is None:
        assert span.status.description == event.attributes["exception.message"] == "TypeError"
        assert PROMPT not in span.to_json()
    else:
        assert span.status.description == f"Got unknown type {PROMPT}"


def test_exception_stacktrace_is_bounded_when_the_same_error_is_re_raised(
    instrument, span_exporter
):
    model = ChatScripted(error=ConnectionError("provider down"))
    for _ in range(60):  # the error object's traceback grows on every raise
        with pytest.raises(ConnectionError):
            model.invoke("hi")

    for span in chat_spans(span_exporter):
        (event,) = span.events
        assert len(event.attributes["exception.stacktrace"]) <= 4096


def test_no_secret_in_embedding_or_completion_telemetry(
    fake_server, tracer_provider, meter_provider, span_exporter, metric_reader
):
    from langchain_openai import OpenAI, OpenAIEmbeddings  # noqa: PLC0415

    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=None
    )
    secret = {
        "api_key": "sk-SECRET-api-key",
        "base_url": f"http://admin:PASSWORD-SECRET@127.0.0.1:{fake_server.port}/v1",
        "default_headers": {"Authorization": "Bearer TOKEN-SECRET"},
        "organization": "org-SECRET",
        "max_retries": 0,
    }
    try:
        embeddings = OpenAIEmbeddings(model="e", check_embedding_ctx_length=False, **secret)
        embeddings.embed_documents([PROMPT])
        OpenAI(model="gpt-3.5-turbo-instruct", **secret).invoke(PROMPT)
    finally:
        instrumentor.uninstrument()

    spans = span_exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "embeddings e",
        "text_completion gpt-3.5-turbo-instruct",
    ]
    dump = "\n".join([s.to_json() for s in spans] + [repr(metric_points(metric_reader))])
    for value in (*SECRETS, PROMPT):  # content off: not the prompt either
        assert value not in dump
    assert {s.attributes["server.address"] for s in spans} == {"127.0.0.1"}

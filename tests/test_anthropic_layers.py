"""ChatAnthropic under the anthropic SDK's native tracing and the official genai-anthropic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.instrumentation.genai.anthropic import AnthropicInstrumentor

from langchain_otel import LangChainInstrumentor
from tests.fakes import anthropic as fake_anthropic
from tests.fakes.server import FakeServer
from tests.helpers import duration_points_by_scope, inference_spans
from tests.providers.test_anthropic import make_model

APP = Path(__file__).parent / "apps" / "anthropic_app.py"


@pytest.fixture(scope="module")
def server():
    server = FakeServer()
    fake_anthropic.install(server)
    server.start()
    yield server
    server.stop()


def run_app(server, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ANTHROPIC_"))}
    environment.update(FAKE_ANTHROPIC_URL=server.url, **env)
    result = subprocess.run(
        [sys.executable, str(APP)], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_native_sdk_span_is_kept_under_ours_and_counted_once(server):
    report = run_app(server)

    ours = [s for s in report["spans"] if s["scope"] == "langchain_otel"]
    sdk = [s for s in report["spans"] if s["scope"] == "com.anthropic.sdk.python"]
    assert len(ours) == len(sdk) == 2
    assert {s["name"] for s in sdk} == {"anthropic.messages.create"}
    assert {s["parent_id"] for s in sdk} == {s["span_id"] for s in ours}
    # The SDK records no metrics: ours count each call once.
    assert ("gen_ai.client.operation.duration", 2) in [tuple(m) for m in report["metrics"]]
    notices = [line for line in report["logs"] if "ANTHROPIC_OPEN_TELEMETRY=false" in line]
    assert len(notices) == 1


def test_native_sdk_span_off_by_its_switch(server):
    report = run_app(server, ANTHROPIC_OPEN_TELEMETRY="false")

    assert {s["scope"] for s in report["spans"]} == {"langchain_otel"}
    assert len(report["spans"]) == 2
    assert not [line for line in report["logs"] if "ANTHROPIC_OPEN_TELEMETRY" in line]


@pytest.mark.parametrize("policy", ["suppress", "keep"])
def test_official_genai_anthropic(
    policy, monkeypatch, server, tracer_provider, meter_provider, span_exporter, metric_reader
):
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")  # only the instrumentation's spans
    theirs, ours = AnthropicInstrumentor(), LangChainInstrumentor()
    theirs.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    ours.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, provider_spans=policy
    )
    try:
        make_model(server).invoke("hi")
        list(make_model(server).stream("hi"))
    finally:
        ours.uninstrument()
        theirs.uninstrument()

    spans = inference_spans(span_exporter)
    mine = [s for s in spans if s.instrumentation_scope.name == "langchain_otel"]
    others = [s for s in spans if s.instrumentation_scope.name != "langchain_otel"]
    assert len(mine) == 2
    if policy == "suppress":
        assert others == []
        assert duration_points_by_scope(metric_reader) == {"langchain_otel": 2}
        # The stood-down layer saw the stream's message id, which LangChain drops: folded in.
        assert {s.attributes.get("gen_ai.response.id") for s in mine} == {fake_anthropic.MESSAGE_ID}
    else:
        assert len(others) == 2
        assert {s.parent.span_id for s in others} == {s.context.span_id for s in mine}
        assert duration_points_by_scope(metric_reader) == {
            "opentelemetry.instrumentation.genai.anthropic": 2
        }

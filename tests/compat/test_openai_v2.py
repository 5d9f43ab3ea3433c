"""Contrib ``opentelemetry-instrumentation-openai-v2`` under our span (run in its own venv).

It has no way to stand down: its span stays, as a child of ours, and each call is counted once
in the metrics (its points; ours stand aside).
"""

from __future__ import annotations

import pytest
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

from langchain_otel import LangChainInstrumentor
from tests.helpers import duration_points_by_scope, inference_spans
from tests.providers.helpers import make_model


@pytest.mark.parametrize("policy", ["suppress", "keep"])
def test_openai_v2_span_nests_and_calls_count_once(
    policy, caplog, tracer_provider, meter_provider, fake_server, span_exporter, metric_reader
):
    theirs, ours = OpenAIInstrumentor(), LangChainInstrumentor()
    theirs.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    ours.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, provider_spans=policy
    )
    caplog.set_level("INFO", logger="langchain_otel")
    try:
        make_model(fake_server).invoke("hi")
        list(make_model(fake_server).stream("hi"))
    finally:
        ours.uninstrument()
        theirs.uninstrument()

    spans = inference_spans(span_exporter)
    mine = [s for s in spans if s.instrumentation_scope.name == "langchain_otel"]
    others = [s for s in spans if s.instrumentation_scope.name != "langchain_otel"]
    assert len(mine) == len(others) == 2
    assert {s.parent.span_id for s in others} == {s.context.span_id for s in mine}
    (scope,) = duration_points_by_scope(metric_reader)
    assert scope != "langchain_otel"
    assert duration_points_by_scope(metric_reader)[scope] == 2
    notices = [r for r in caplog.records if "openai_v2 cannot stand down" in r.getMessage()]
    assert len(notices) == (1 if policy == "suppress" else 0)

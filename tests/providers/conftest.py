"""The provider-test kit: each module's loopback fake, and tests run in every call style."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fakes import bedrock as fake_bedrock
from tests.fakes.server import FakeServer
from tests.providers.helpers import EMBED_STYLES, STYLES, Call, Embed
from tests.semconv.conformance import metric_problems, span_problems


@pytest.fixture(autouse=True)
def conforms_to_the_registry(span_exporter, metric_reader) -> Iterator[None]:
    """Every span and metric point a provider test made conforms to the GenAI registry
    (``tests/semconv``): names, types, required attributes, span names and kinds."""
    yield
    spans = [
        span
        for span in span_exporter.get_finished_spans()
        if span.instrumentation_scope is not None
        and span.instrumentation_scope.name == "langchain_otel"
    ]  # ours: not the test's own spans, nor a provider layer's
    problems = [problem for span in spans for problem in span_problems(span)]
    if metric_reader.get_metrics_data() is not None:
        problems += metric_problems(metric_reader)
    assert problems == []


@pytest.fixture(scope="module")
def fake_api() -> Callable[[FakeServer], None]:
    """What ``server`` answers: a module overrides this with its fake's ``install``."""
    pytest.fail("this module uses `server`: override `fake_api` with the fake's install function")


@pytest.fixture(scope="module")
def server(fake_api: Callable[[FakeServer], None]) -> Iterator[FakeServer]:
    """The provider's wire format on 127.0.0.1, one server per module (the real client talks to
    it over HTTP; every request it gets is kept in ``server.requests``)."""
    server = FakeServer()
    fake_api(server)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=STYLES)
def call(request: pytest.FixtureRequest) -> Call:
    """The test runs once per call style: each is its own instrumented path, and all four must
    describe the request alike. ``@pytest.mark.parametrize("call", [...], indirect=True)``
    narrows it."""
    return Call(request.param)


@pytest.fixture(params=EMBED_STYLES)
def embed(request: pytest.FixtureRequest) -> Embed:
    """The test runs once per embedding call style, sync and async, one text and several."""
    return Embed(request.param)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and region for botocore (the fake checks none): no lookup leaves the test."""
    for name, value in fake_bedrock.AWS_ENV.items():
        monkeypatch.setenv(name, value)

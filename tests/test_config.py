"""Settings: the environment and instrument()'s keyword arguments, parsed alike, field by field."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from langchain_otel import config
from langchain_otel.config import ContentCapture, ProviderSpans, Settings

ENV = {
    config.CAPTURE_MESSAGE_CONTENT_ENV: "span_and_event",
    config.METRICS_ENABLED_ENV: "off",
    config.TIME_PER_CHUNK_METRIC_ENV: "yes",
    config.CONTENT_MAX_LENGTH_ENV: " 100 ",
    config.PROVIDER_SPANS_ENV: "KEEP",
    config.STRUCTURE_SPANS_ENV: "0",
}
FROM_ENV = Settings(
    capture_content=ContentCapture.SPAN_AND_EVENT,
    metrics_enabled=False,
    time_per_chunk_metric=True,
    content_max_length=100,
    provider_spans=ProviderSpans.KEEP,
    structure_spans=False,
)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(config, "_warned", set())


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "langchain_otel.config"]


def test_every_field_is_read_from_the_environment():
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env(ENV) == FROM_ENV
    assert {f.name for f in dataclasses.fields(Settings)} == set(config._FIELDS)


def test_malformed_environment_values_warn_once_and_use_the_defaults(caplog):
    bad = dict.fromkeys(ENV, "bogus")
    bad[config.CONTENT_MAX_LENGTH_ENV] = "-5"
    with caplog.at_level(logging.WARNING):
        assert Settings.from_env(bad) == Settings()
        assert Settings.from_env(bad) == Settings()
    assert sorted(warnings(caplog)) == sorted(
        f"langchain-otel: invalid value {value!r} for {name}; using {default}"
        for name, value, default in [
            (config.CAPTURE_MESSAGE_CONTENT_ENV, "bogus", "NO_CONTENT"),
            (config.METRICS_ENABLED_ENV, "bogus", "true"),
            (config.TIME_PER_CHUNK_METRIC_ENV, "bogus", "false"),
            (config.CONTENT_MAX_LENGTH_ENV, "-5", "8192"),
            (config.PROVIDER_SPANS_ENV, "bogus", "suppress"),
            (config.STRUCTURE_SPANS_ENV, "bogus", "true"),
        ]
    )


def test_none_and_unknown_arguments_change_nothing():
    assert FROM_ENV.with_overrides() == FROM_ENV
    every_field = [f.name for f in dataclasses.fields(Settings)]
    assert FROM_ENV.with_overrides(**dict.fromkeys(every_field)) == FROM_ENV
    assert FROM_ENV.with_overrides(tracer_provider=object(), no_such_setting=True) == FROM_ENV


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("capture_content", "span_only", ContentCapture.SPAN_ONLY),
        ("capture_content", ContentCapture.EVENT_ONLY, ContentCapture.EVENT_ONLY),
        ("capture_content", True, ContentCapture.SPAN_ONLY),
        ("capture_content", "false", ContentCapture.NO_CONTENT),
        ("capture_content", "", ContentCapture.NO_CONTENT),
        ("metrics_enabled", True, True),
        ("metrics_enabled", "true", True),
        ("metrics_enabled", "", False),  # empty: the current value
        ("time_per_chunk_metric", False, False),
        ("time_per_chunk_metric", "no", False),
        ("content_max_length", 5, 5),
        ("content_max_length", "7", 7),
        ("provider_spans", ProviderSpans.SUPPRESS, ProviderSpans.SUPPRESS),
        ("provider_spans", " Suppress ", ProviderSpans.SUPPRESS),
        ("structure_spans", "on", True),
    ],
)
def test_arguments_are_parsed_like_the_environment(argument, value, expected):
    assert FROM_ENV.with_overrides(**{argument: value}) == dataclasses.replace(
        FROM_ENV, **{argument: expected}
    )


@pytest.mark.parametrize(
    ("argument", "value", "expected", "shown"),
    [
        # booleans and the length fall back to the value they had (here: from the environment)
        ("metrics_enabled", "maybe", False, "false"),
        ("time_per_chunk_metric", "maybe", True, "true"),
        ("structure_spans", 2, False, "false"),
        ("content_max_length", 0, 100, "100"),
        ("content_max_length", "ten", 100, "100"),
        # the two modes fall back to their defaults
        ("capture_content", "everything", ContentCapture.NO_CONTENT, "NO_CONTENT"),
        ("provider_spans", "drop", ProviderSpans.SUPPRESS, "suppress"),
    ],
)
def test_a_malformed_argument_warns_under_its_own_name(caplog, argument, value, expected, shown):
    with caplog.at_level(logging.WARNING):
        settings = FROM_ENV.with_overrides(**{argument: value})
    assert settings == dataclasses.replace(FROM_ENV, **{argument: expected})
    assert warnings(caplog) == [
        f"langchain-otel: invalid value {str(value)!r} for {argument}; using {shown}"
    ]

"""Shared pieces of the provider tests, also used by the tests of the instrumentation itself.

Kept light: the side venvs (tests/compat, the version matrix) import this module and have
langchain-openai but no other provider package.
"""

from __future__ import annotations

from langchain_openai import ChatOpenAI

from tests.fakes.server import FakeServer


def make_model(server: FakeServer, **kwargs) -> ChatOpenAI:
    """The real ChatOpenAI against the session's loopback OpenAI fake (``fake_server``)."""
    options = {
        "model": "gpt-4o-mini",
        "base_url": f"{server.url}/v1",
        "api_key": "sk-test-key",
        "max_retries": 0,
        "stream_usage": True,
    }
    return ChatOpenAI(**{**options, **kwargs})

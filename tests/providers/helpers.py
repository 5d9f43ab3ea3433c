"""Shared pieces of the provider tests, also used by the tests of the instrumentation itself.

Kept light: the side venvs (tests/compat, the version matrix) import this module and have
langchain-openai but no other provider package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_openai import ChatOpenAI
from opentelemetry.sdk.trace import ReadableSpan

from tests.fakes.server import FakeServer
from tests.helpers import stream_attributes

STYLES = ("invoke", "ainvoke", "stream", "astream")
EMBED_STYLES = ("embed_documents", "embed_query", "aembed_documents", "aembed_query")


def make_model(server: FakeServer, **kwargs: Any) -> ChatOpenAI:
    """The real ChatOpenAI against the session's loopback OpenAI fake (``fake_server``)."""
    options = {
        "model": "gpt-4o-mini",
        "base_url": f"{server.url}/v1",
        "api_key": "sk-test-key",
        "max_retries": 0,
        "stream_usage": True,
    }
    return ChatOpenAI(**{**options, **kwargs})


@dataclass(frozen=True)
class Call:
    """One of LangChain's four ways to call a chat model or an LLM (the ``call`` fixture)."""

    style: str  # one of STYLES

    @property
    def streaming(self) -> bool:
        return self.style in ("stream", "astream")

    @property
    def asynchronous(self) -> bool:
        return self.style in ("ainvoke", "astream")

    async def __call__(self, model: Any, /, *args: Any, **kwargs: Any) -> Any:
        """The answer: a message (a string from an LLM), or the list of streamed chunks. The
        arguments go to the call as they are (``model`` is positional: a call can name one)."""
        if self.style == "invoke":
            return model.invoke(*args, **kwargs)
        if self.style == "ainvoke":
            return await model.ainvoke(*args, **kwargs)
        if self.style == "stream":
            return list(model.stream(*args, **kwargs))
        return [chunk async for chunk in model.astream(*args, **kwargs)]

    def attributes(self, span: ReadableSpan) -> dict[str, Any]:
        """The span's attributes to compare whole; a stream's time to first chunk is checked by
        :func:`stream_attributes` and left out (its value differs from run to run)."""
        return stream_attributes(span) if self.streaming else dict(span.attributes or {})


@dataclass(frozen=True)
class Embed:
    """One of LangChain's four ways to call an embedding model (the ``embed`` fixture)."""

    style: str  # one of EMBED_STYLES

    async def __call__(self, model: Any, texts: tuple[str, ...] = ("Uruk", "Ur")) -> Any:
        """The vectors (``embed_documents``) or the vector (``embed_query``, the first text)."""
        if self.style == "embed_documents":
            return model.embed_documents(list(texts))
        if self.style == "embed_query":
            return model.embed_query(texts[0])
        if self.style == "aembed_documents":
            return await model.aembed_documents(list(texts))
        return await model.aembed_query(texts[0])


def text(answer: Any) -> str:
    """What the model answered: a message's text (content blocks too), or the streamed chunks'
    joined (an LLM answers with strings)."""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, list):
        return "".join(text(chunk) for chunk in answer)
    return answer.text

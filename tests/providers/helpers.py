"""The provider-test kit: call styles, what the span of a request to a loopback fake says, and
ChatOpenAI at the session's OpenAI fake (``make_model``, which most other tests use too).

Kept light: tests/compat and the version matrix import it in venvs with langchain-openai and no
other provider package (nor an OTLP exporter), so it imports nothing beyond those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from langchain_otel._errors import error_description
from tests.fakes import openai as fake_openai
from tests.fakes.server import FakeServer
from tests.helpers import only_span, stream_attributes

STYLES = ("invoke", "ainvoke", "stream", "astream")
EMBED_STYLES = ("embed_documents", "embed_query", "aembed_documents", "aembed_query")


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


# -- what the spans say --------------------------------------------------------------------------


def start_attributes(
    server: FakeServer, provider: str, model: str, operation: str = "chat", *, stream: bool = False
) -> dict[str, Any]:
    """What every span (and metric point) of a request to the loopback ``server`` starts with:
    the operation, the provider, the requested model and the fake's address; a streamed
    request's span also says ``gen_ai.request.stream``."""
    attributes = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "server.address": "127.0.0.1",
        "server.port": server.port,
    }
    if stream:
        attributes["gen_ai.request.stream"] = True
    return attributes


def client_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    """The one span of ``name``'s operation, checked to be the CLIENT span ``name`` that ended
    without an error (status UNSET, as instrumentations leave it)."""
    span = only_span(exporter, name.split(" ", maxsplit=1)[0])
    assert span.name == name
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    return span


def error_span(
    exporter: InMemorySpanExporter, error: BaseException, operation: str = "chat"
) -> ReadableSpan:
    """The one span of ``operation``, checked to have ended with ``error``: status ERROR, and the
    error's description without content (capture is off)."""
    span = only_span(exporter, operation)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == error_description(error, with_content=False)
    return span


# -- ChatOpenAI at the session's OpenAI fake (``fake_server``) ----------------------------------


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


def make_embeddings(server: FakeServer, **kwargs: Any) -> OpenAIEmbeddings:
    """The real OpenAIEmbeddings against the OpenAI fake (no tiktoken: its encoding is a
    download)."""
    options = {
        "model": "text-embedding-3-small",
        "base_url": f"{server.url}/v1",
        "api_key": "sk-test-key",
        "max_retries": 0,
        "check_embedding_ctx_length": False,
    }
    return OpenAIEmbeddings(**{**options, **kwargs})


# The usage every answer of the OpenAI fake reports (Chat Completions and Responses alike).
OPENAI_USAGE_ATTRIBUTES = {
    "gen_ai.usage.input_tokens": 17,
    "gen_ai.usage.output_tokens": 164,
    "gen_ai.usage.cache_read.input_tokens": 5,
    "gen_ai.usage.reasoning.output_tokens": 3,
}


def run_totals(calls: int) -> dict[str, Any]:
    """What an agent's span adds up over ``calls`` answers of the OpenAI fake: their tokens, and
    the provider and finish reason of the last one (the final answer)."""
    return {
        "gen_ai.provider.name": "openai",
        "gen_ai.response.finish_reasons": ("stop",),
        **{
            key: count * calls
            for key, count in OPENAI_USAGE_ATTRIBUTES.items()
            if key != "gen_ai.usage.reasoning.output_tokens"  # not summed: not in the group
        },
    }


def openai_attributes(server: FakeServer, *, stream: bool) -> dict[str, Any]:
    """Every attribute of a :func:`make_model` call without request parameters, answered by the
    session's OpenAI fake."""
    attributes = {
        **start_attributes(server, "openai", "gpt-4o-mini", stream=stream),
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("stop",),
        **OPENAI_USAGE_ATTRIBUTES,
        "openai.response.system_fingerprint": fake_openai.FINGERPRINT,
        "openai.response.service_tier": "default",
        "openai.api.type": "chat_completions",
    }
    if not stream:
        # The Chat Completions stream carries no id through langchain-openai.
        attributes["gen_ai.response.id"] = fake_openai.RESPONSE_ID
    return attributes


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return "sunny"  # a tool the fakes call when it is offered (bind_tools)

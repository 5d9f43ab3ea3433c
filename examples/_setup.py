"""Shared by the examples: a chat model for the real API when a key is set, else the loopback."""

from __future__ import annotations

import os

import loopback_openai
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

_loopback_url: str | None = None


def _loopback() -> str:
    global _loopback_url  # noqa: PLW0603 -- one server per example process
    if _loopback_url is None:
        _loopback_url = loopback_openai.serve()
        print(f"OPENAI_API_KEY is not set: using the built-in loopback provider at {_loopback_url}")
    return _loopback_url


def chat_model(**kwargs: object) -> ChatOpenAI:
    """``ChatOpenAI`` against api.openai.com when ``OPENAI_API_KEY`` is set, else the loopback."""
    options: dict[str, object] = {"model": os.environ.get("OPENAI_MODEL", "gpt-4o-mini")}
    if not os.environ.get("OPENAI_API_KEY"):
        options |= {"base_url": _loopback(), "api_key": "loopback", "stream_usage": True}
    return ChatOpenAI(**(options | kwargs))  # type: ignore[arg-type]


def embeddings_model(**kwargs: object) -> OpenAIEmbeddings:
    """``OpenAIEmbeddings`` against api.openai.com when ``OPENAI_API_KEY`` is set, else the
    loopback (texts sent as they are: tiktoken's encodings are a download)."""
    options: dict[str, object] = {"model": "text-embedding-3-small"}
    if not os.environ.get("OPENAI_API_KEY"):
        options |= {"base_url": _loopback(), "api_key": "loopback"}
        options |= {"check_embedding_ctx_length": False}
    return OpenAIEmbeddings(**(options | kwargs))  # type: ignore[arg-type]

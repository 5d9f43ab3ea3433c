"""Shared by the examples: a chat model for the real API when a key is set, else the loopback."""

from __future__ import annotations

import os

import loopback_openai
from langchain_openai import ChatOpenAI


def chat_model(**kwargs: object) -> ChatOpenAI:
    """``ChatOpenAI`` against api.openai.com when ``OPENAI_API_KEY`` is set, else the loopback."""
    options: dict[str, object] = {"model": os.environ.get("OPENAI_MODEL", "gpt-4o-mini")}
    if not os.environ.get("OPENAI_API_KEY"):
        url = loopback_openai.serve()
        print(f"OPENAI_API_KEY is not set: using the built-in loopback provider at {url}")
        options |= {"base_url": url, "api_key": "loopback", "stream_usage": True}
    return ChatOpenAI(**(options | kwargs))  # type: ignore[arg-type]

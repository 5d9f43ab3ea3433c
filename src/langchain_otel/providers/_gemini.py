"""What Google's two Gemini clients share (``vertexai.py``, ``google_genai.py``): the answer shape.

Both report ``finish_reason`` as the enum name per candidate, ``safety_ratings`` with a
``blocked`` flag, take system instructions apart from the messages and ask for candidates with
``candidate_count`` (or the model's ``n``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_otel._request import ChatRequest, as_choice_count
from langchain_otel._response import ChatResponse
from langchain_otel.providers._base import ChatModelMapper

UNSPECIFIED_FINISH_REASON = "FINISH_REASON_UNSPECIFIED"


class GeminiMapper(ChatModelMapper):
    """The Gemini answer shape; the two client modules add their request fields and endpoint."""

    separate_system_instructions = True

    def finish_reasons(self, response: ChatResponse) -> list[str]:
        return [
            reason
            for choice in response.choice_metadata
            for reason in gemini_finish_reasons(choice)
        ]


def vertex_host(location: object) -> str | None:
    """The regional Vertex AI host, as the Google clients build it (``global`` has no prefix)."""
    if not isinstance(location, str) or not location:
        return None
    if location == "global":
        return "aiplatform.googleapis.com"
    return f"{location}-aiplatform.googleapis.com"


def gemini_choice_count(request: ChatRequest) -> int | None:
    """Candidates asked for: the ``candidate_count`` call kwarg, else the model's ``n``.

    Both Google clients read these two (a call kwarg ``n`` is not sent).
    """
    count = request.kwargs.get("candidate_count")
    if count is None:
        count = request.field("n")
    return as_choice_count(count)


def gemini_finish_reasons(metadata: Mapping[str, Any]) -> list[str]:
    """The finish reason Gemini reported, never ``FINISH_REASON_UNSPECIFIED``.

    A message LangChain merged from stream chunks (``invoke`` under a streaming callback or with
    ``streaming=True``) glues the chunks' values together: ``FINISH_REASON_UNSPECIFIED...STOP``
    or ``STOPSTOP``. The placeholder is dropped and a repeated value kept once.
    """
    reason = metadata.get("finish_reason")
    if not isinstance(reason, str):
        return []
    reason = reason.replace(UNSPECIFIED_FINISH_REASON, "")
    if not reason:
        return []
    period = (reason + reason).find(reason, 1)  # smallest p with reason == reason[:p] * k
    return [reason[:period]]


def blocked_categories(metadata: Mapping[str, Any]) -> list[str]:
    """Safety categories whose rating says the content was blocked, each once, in order."""
    ratings = metadata.get("safety_ratings")
    if not isinstance(ratings, (list, tuple)):
        return []
    categories: list[str] = []
    for rating in ratings:
        if not isinstance(rating, Mapping) or rating.get("blocked") is not True:
            continue
        category = rating.get("category")
        if isinstance(category, str) and category:
            # google-genai ratings hold str-based enum members: keep the plain value.
            name = str.__str__(category)
            if name not in categories:
                categories.append(name)
    return categories

"""One view of a chat model's answer, whether it came whole or in chunks.

Mappers read only this view, so one mapper serves every call style. A whole answer is the
``ChatResult`` LangChain built for one provider request (every generation, plus ``llm_output``,
which LangChain copies into the message only when there is a single generation), or, when only
the returned message is known, that message. For a streamed answer the view is built once, at
the end, from the few chunks that carried metadata: string fields keep the last non-empty value
(LangChain's own merge concatenates them: ``"FINISH_REASON_UNSPECIFIEDSTOP"``,
``"gpt-4-turbo-2024-04-09gpt-4-turbo-2024-04-09"``) and usage counts are summed, as LangChain
sums them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_EMPTY: Mapping[str, Any] = {}
# Values a streamed chunk sends for "nothing to say": they never overwrite an earlier value.
_NOTHING: tuple[object, ...] = ("", [], {})


@dataclass(slots=True)
class ChatResponse:
    """What a provider request returned, in the shape mappers read.

    ``metadata`` is the first choice's ``response_metadata`` over the request-level
    ``llm_output`` (streams: merged, last non-empty value wins); ``choices`` holds each choice's
    own ``response_metadata`` in order (finish reasons are per choice); ``usage`` is the
    request's ``usage_metadata`` (streams: summed); ``message_id`` the message id (LangChain run
    ids included: mappers must tell them apart); ``streaming`` whether the answer came in chunks;
    ``tool_calls`` whether it calls tools (for APIs with no finish reason of their own).
    Not frozen: a frozen dataclass pays ``object.__setattr__`` per field on every call; nothing
    changes a view once built.
    """

    metadata: Mapping[str, Any]
    usage: Mapping[str, Any] | None
    message_id: str | None
    streaming: bool
    tool_calls: bool = False
    choices: tuple[Mapping[str, Any], ...] = ()

    @property
    def choice_metadata(self) -> tuple[Mapping[str, Any], ...]:
        """Each choice's metadata; a view built without choices has one, ``metadata``."""
        return self.choices or (self.metadata,)


def response_from_message(message: object) -> ChatResponse:
    """View of one message (``invoke``'s answer when nothing more is known)."""
    metadata = _mapping(getattr(message, "response_metadata", None))
    return ChatResponse(
        metadata=metadata,
        usage=_usage(message),
        message_id=_message_id(message),
        streaming=False,
        tool_calls=_calls_tools(message),
        choices=(metadata,),
    )


def response_from_result(result: object) -> ChatResponse | None:
    """View of the ``ChatResult`` of one request: every generation and ``llm_output``.

    Clients attach the request's usage to every generation's message: it is read once, from the
    first. With one generation, LangChain has merged ``llm_output`` into its message already.
    None when the result holds no generation.
    """
    generations = getattr(result, "generations", None)
    if not isinstance(generations, list) or not generations:
        return None
    if len(generations) == 1:  # LangChain already merged ``llm_output`` into the message
        return response_from_message(getattr(generations[0], "message", None))
    messages = [getattr(generation, "message", None) for generation in generations]
    choices = tuple(_mapping(getattr(m, "response_metadata", None)) for m in messages)
    llm_output = _mapping(getattr(result, "llm_output", None))
    metadata = {**llm_output, **choices[0]} if llm_output else choices[0]
    return ChatResponse(
        metadata=metadata,
        usage=_usage(messages[0]),
        message_id=_message_id(messages[0]),
        streaming=False,
        tool_calls=any(_calls_tools(m) for m in messages),
        choices=choices,
    )


def response_from_llm_result(result: object) -> ChatResponse | None:
    """View of a ``BaseLLM`` request's ``LLMResult``: every generation of every prompt is a
    choice (one request can carry several prompts), over ``llm_output``. Usage is not standard
    there: the mapper reads it (``completion_usage``)."""
    generations = getattr(result, "generations", None)
    if not isinstance(generations, list):
        return None
    choices = tuple(
        _mapping(getattr(generation, "generation_info", None))
        for prompt in generations
        if isinstance(prompt, list)
        for generation in prompt
    )
    if not choices:
        return None
    llm_output = _mapping(getattr(result, "llm_output", None))
    metadata = {**llm_output, **choices[0]} if llm_output else choices[0]
    return ChatResponse(
        metadata=metadata, usage=None, message_id=None, streaming=False, choices=choices
    )


def response_from_chunks(chunks: Iterable[object]) -> ChatResponse:
    """View of a stream, from the chunks that carried metadata, usage or tool calls (in order)."""
    metadata: dict[str, Any] = {}
    usages: list[Mapping[str, Any]] = []
    message_id: str | None = None
    tool_calls = False
    for chunk in chunks:
        tool_calls = tool_calls or bool(getattr(chunk, "tool_call_chunks", None))
        for key, value in _mapping(getattr(chunk, "response_metadata", None)).items():
            if value or (value is not None and value not in _NOTHING):  # keeps 0 and False
                metadata[key] = value
        chunk_usage = _usage(chunk)
        if chunk_usage is not None:
            usages.append(chunk_usage)
        chunk_id = getattr(chunk, "id", None)
        if isinstance(chunk_id, str) and chunk_id:
            message_id = chunk_id
    usage: Mapping[str, Any] | None = None
    if len(usages) == 1:  # most providers report usage once: read as it is, never copied
        usage = usages[0]
    elif usages:
        total: dict[str, Any] = {}
        for part in usages:
            _add_usage(total, part)
        usage = total
    return ChatResponse(
        metadata=metadata,
        usage=usage,
        message_id=message_id,
        streaming=True,
        tool_calls=tool_calls,
        choices=(metadata,),
    )


def completed_by(view: ChatResponse, whole: ChatResponse | None) -> ChatResponse:
    """``view`` with what only ``whole`` has (``llm_output`` fields, usage): ``view`` wins."""
    if whole is None:
        return view
    metadata = {**whole.metadata, **view.metadata}
    return ChatResponse(
        metadata=metadata,
        usage=view.usage if view.usage is not None else whole.usage,
        message_id=view.message_id or whole.message_id,
        streaming=view.streaming,
        tool_calls=view.tool_calls or whole.tool_calls,
        choices=(metadata,),
    )


def _mapping(value: object) -> Mapping[str, Any]:
    if type(value) is dict:  # nearly always: skips the ABC check
        return value
    return value if isinstance(value, Mapping) else _EMPTY


def _usage(message: object) -> Mapping[str, Any] | None:
    usage = getattr(message, "usage_metadata", None)
    if type(usage) is dict:
        return usage
    return usage if isinstance(usage, Mapping) else None


def _message_id(message: object) -> str | None:
    message_id = getattr(message, "id", None)
    return message_id if isinstance(message_id, str) else None


def _calls_tools(message: object) -> bool:
    return bool(
        getattr(message, "tool_calls", None) or getattr(message, "invalid_tool_calls", None)
    )


def _add_usage(total: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    """Sum two usage dicts key by key (nested details too); non-numbers keep the latest value."""
    for key, value in part.items():
        current = total.get(key)
        if _is_number(value):
            total[key] = current + value if _is_number(current) else value
        elif isinstance(value, Mapping):
            total[key] = _add_usage(dict(current) if isinstance(current, Mapping) else {}, value)
        else:
            total[key] = value
    return total


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is int or kind is float:
        return True
    return isinstance(value, (int, float)) and kind is not bool

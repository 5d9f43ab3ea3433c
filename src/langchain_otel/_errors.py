"""What an error contributes to telemetry: ``error.type``, a description, the exception event.

Rules (issue 15, items 1, 3, 5 and 6):

* Content capture off (the default): no exception text reaches telemetry. ``str(error)`` can
  hold the prompt (langchain-openai's ``TypeError(f"Got unknown type {message}")``) or a provider
  error body echoing it, so the description is the class name plus the identifier-like fields
  provider SDK errors carry (``status_code``, ``code``, ``type``), and the stack trace keeps
  frames (file, line, function) but no message line.
* Content capture on: the bounded ``str(error)`` is used.
* Everything is bounded, whatever the exception: at most :data:`MAX_FRAMES` frames per exception
  (the same exception object re-raised on every call drags an ever longer ``__traceback__``, and
  formatting all of it made time and memory grow quadratically), stack traces at most
  :data:`MAX_STACKTRACE_LENGTH` characters, descriptions :data:`MAX_DESCRIPTION_LENGTH`.
* Nothing here raises (``__str__`` raising, odd ``__module__``, surrogates, huge messages), and
  nothing keeps a reference to the traceback or its frames.
"""

from __future__ import annotations

import re
from collections import deque
from types import CodeType, TracebackType
from typing import Any

from langchain_otel._values import safe_text

#: Status description and ``exception.message``.
MAX_DESCRIPTION_LENGTH = 512
#: ``error.type`` / ``exception.type``: a class name.
MAX_TYPE_LENGTH = 256
#: ``exception.stacktrace``.
MAX_STACKTRACE_LENGTH = 4096
#: Frames shown per exception: the outermost half and the innermost half.
MAX_FRAMES = 20
#: Traceback entries walked per exception, so a traceback grown without end costs bounded time.
MAX_WALK = 2000
#: Exceptions shown in a ``__cause__``/``__context__`` chain.
MAX_CHAIN = 3

# Fields provider SDK errors carry that describe the failure without content, in output order.
_FIELDS = ("status_code", "code", "type")
# An identifier-like value: "rate_limit_exceeded", "invalid_request_error", "429", "UNAVAILABLE".
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")
_INT_RANGE = 10**18
# type's own descriptors: a metaclass cannot make these raise or lie.
_QUALNAME: Any = type.__dict__["__qualname__"]
_MODULE: Any = type.__dict__["__module__"]
_CUT = "[...]\n"
_HEADER = "Traceback (most recent call last):\n"
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def error_type(error: BaseException) -> str:
    """The exception's fully qualified class name; builtins unqualified (``ValueError``)."""
    cls = type(error)
    name = _class_name(cls)
    try:
        module = _MODULE.__get__(cls, type)
    except Exception:
        module = None
    if isinstance(module, str) and module != "builtins":
        name = f"{module}.{name}"
    return safe_text(name, MAX_TYPE_LENGTH)


def error_description(error: BaseException, with_content: bool) -> str:
    """The span status description and ``exception.message``.

    With content: ``str(error)`` (the class name if empty). Without: content-free,
    ``"RateLimitError: status_code=429, code=rate_limit_exceeded, type=tokens"``, or just
    ``"RateLimitError"`` when the error carries none of those fields.
    """
    if with_content:
        message = _message(error)
        if message:
            return message
    return safe_text(_content_free(error), MAX_DESCRIPTION_LENGTH)


def exception_event_attributes(error: BaseException, with_content: bool) -> dict[str, str]:
    """Attributes of the span's ``exception`` event, for ``span.add_event("exception", ...)``."""
    return {
        "exception.type": error_type(error),
        "exception.message": error_description(error, with_content),
        "exception.stacktrace": stacktrace(error, with_content),
    }


def stacktrace(error: BaseException, with_content: bool) -> str:
    """Python's traceback layout with the frames bounded; message lines only with content.

    Frames are ``File "...", line N, in function`` without source lines (no file reads). Chained
    causes come first, as Python prints them; past the length limit the oldest part is cut.
    """
    try:
        parts: list[str] = []
        for index, (link, current) in enumerate(_chain(error)):
            if index:
                parts.append(link)
            parts.append(_format_one(current, with_content))
        text = "".join(reversed(parts))
    except Exception:  # an exception object odd enough to defeat even this: type only
        text = error_type(error) + "\n"
    if len(text) > MAX_STACKTRACE_LENGTH:  # keep the newest part, from a line start
        start = len(text) - MAX_STACKTRACE_LENGTH + len(_CUT)
        cut = text.find("\n", start)
        text = _CUT + (text[cut + 1 :] if cut >= 0 else text[start:])
    return safe_text(text, MAX_STACKTRACE_LENGTH)


def _chain(error: BaseException) -> list[tuple[str, BaseException]]:
    """(what links it to the next one shown, exception), newest first, as Python follows them."""
    chain: list[tuple[str, BaseException]] = []
    seen: set[int] = set()
    link = ""
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(current))
        chain.append((link, current))
        cause = current.__cause__
        if cause is not None:
            link, current = _CAUSE, cause
        elif current.__context__ is not None and not current.__suppress_context__:
            link, current = _CONTEXT, current.__context__
        else:
            current = None
    return chain


def _format_one(error: BaseException, with_content: bool) -> str:
    lines = []
    tb = error.__traceback__
    if tb is not None:
        lines.append(_HEADER)
        lines.extend(_frame_lines(tb))
        del tb
    last = error_type(error)
    detail = _message(error) if with_content else _fields(error)
    lines.append(f"{last}: {detail}\n" if detail else f"{last}\n")
    return "".join(lines)


def _frame_lines(tb: TracebackType | None) -> list[str]:
    """The first and last ``MAX_FRAMES // 2`` frames of ``tb``, a count of those left out."""
    half = MAX_FRAMES // 2
    head: list[tuple[CodeType, int | None]] = []
    tail: deque[tuple[CodeType, int | None]] = deque(maxlen=half)
    walked = 0
    while tb is not None and walked < MAX_WALK:
        entry = (tb.tb_frame.f_code, tb.tb_lineno)
        if walked < half:
            head.append(entry)
        else:
            tail.append(entry)
        walked += 1
        tb = tb.tb_next
    lines = [_frame_line(*entry) for entry in head]
    omitted = walked - len(head) - len(tail)
    if omitted:
        lines.append(f"  [{omitted} frames not shown]\n")
    lines.extend(_frame_line(*entry) for entry in tail)
    if tb is not None:
        lines.append(f"  [more than {MAX_WALK} frames: the rest not shown]\n")
    return lines


def _frame_line(code: CodeType, line: int | None) -> str:
    number = "?" if line is None else line
    return f'  File "{code.co_filename}", line {number}, in {code.co_name}\n'


def _content_free(error: BaseException) -> str:
    name = _class_name(type(error))
    fields = _fields(error)
    return f"{name}: {fields}" if fields else name


def _fields(error: BaseException) -> str:
    """``"status_code=429, code=rate_limit_exceeded"``: the identifier-like fields it carries."""
    found = []
    for field in _FIELDS:
        value = _field(error, field)
        if value is None and field == "status_code":
            value = _field(_attribute(error, "response"), field)  # httpx.HTTPStatusError
        if value is not None:
            found.append(f"{field}={value}")
    return ", ".join(found)


def _field(owner: object, name: str) -> str | None:
    value = _attribute(owner, name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = int.__int__(value)
        return str(number) if -_INT_RANGE < number < _INT_RANGE else None
    if isinstance(value, str):
        text = str.__str__(value)
        return text if _IDENTIFIER.fullmatch(text) else None
    return None


def _attribute(owner: object, name: str) -> object:
    if owner is None:
        return None
    try:
        return getattr(owner, name, None)
    except Exception:  # a property that raises
        return None


def _message(error: BaseException) -> str:
    """Bounded ``str(error)``; "" if it is empty or cannot be had."""
    try:
        text = str(error)
    except Exception:
        return ""
    if not isinstance(text, str):
        return ""
    return safe_text(str.__str__(text), MAX_DESCRIPTION_LENGTH)


def _class_name(cls: type) -> str:
    try:
        name = _QUALNAME.__get__(cls, type)
    except Exception:
        name = None
    return name if isinstance(name, str) else "BaseException"

"""What an error contributes to telemetry (issue 15, items 1, 3, 5 and 6)."""

from __future__ import annotations

import gc
import json
import traceback
import weakref
from http import HTTPStatus

import httpx
import openai
import pytest

from langchain_otel._errors import (
    MAX_DESCRIPTION_LENGTH,
    MAX_FRAMES,
    MAX_STACKTRACE_LENGTH,
    error_description,
    error_type,
    exception_event_attributes,
    stacktrace,
)

pytestmark = pytest.mark.matrix

PROMPT = "secret prompt 7f3a"
HERE = __name__


class ProviderError(Exception):
    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        for name, value in fields.items():
            setattr(self, name, value)


class Outer:
    class Inner(Exception):
        pass


class BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


class StrNotStr(Exception):
    def __str__(self):
        return 42  # noqa: PLE0307


class HugeStr(Exception):
    def __str__(self) -> str:
        return "x" * 1_000_000


class RaisingProperties(Exception):
    @property
    def status_code(self):
        raise RuntimeError("property")

    @property
    def __cause__(self):
        raise RuntimeError("cause")

    @property
    def __traceback__(self):
        raise RuntimeError("traceback")


def lying_module(cls):
    raise RuntimeError("module")


LyingMeta = type("LyingMeta", (type,), {})
LyingMeta.__module__ = property(lying_module)  # type: ignore[assignment]
Lying = LyingMeta("Lying", (Exception,), {"__module__": HERE})


def made(name: str, module: object) -> type[Exception]:
    cls = type(name, (Exception,), {})
    cls.__module__ = module  # type: ignore[assignment]
    return cls


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


# -- error.type -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (ValueError, "ValueError"),
        (KeyboardInterrupt, "KeyboardInterrupt"),
        (ProviderError, f"{HERE}.ProviderError"),
        (Outer.Inner, f"{HERE}.Outer.Inner"),
        (openai.RateLimitError, "openai.RateLimitError"),
        (json.JSONDecodeError, "json.decoder.JSONDecodeError"),
    ],
)
def test_error_type_is_the_qualified_class_name(cls, expected):
    error = cls.__new__(cls)

    assert error_type(error) == expected


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (made("Weird", None), "Weird"),
        (made("Weird", 42), "Weird"),
        (made("Weird", "m\udc80"), "m\ufffd.Weird"),
        (made("Weird", "m" * 1000), "m" * 256),
        (Lying, f"{HERE}.Lying"),
    ],
)
def test_error_type_of_odd_classes(cls, expected):
    assert error_type(cls()) == expected


# -- descriptions ---------------------------------------------------------------------------------


def openai_error(status: int, body: object) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, request=request)
    error_class = openai.RateLimitError if status == 429 else openai.BadRequestError
    return error_class(f"Error code: {status} - {PROMPT}", response=response, body=body)


@pytest.mark.parametrize(
    ("error", "content_free"),
    [
        (TypeError(f"Got unknown type {PROMPT}"), "TypeError"),
        (ValueError(), "ValueError"),
        (
            openai_error(429, {"code": "rate_limit_exceeded", "type": "tokens", "message": PROMPT}),
            "RateLimitError: status_code=429, code=rate_limit_exceeded, type=tokens",
        ),
        (
            openai_error(400, {"code": None, "type": "invalid_request_error", "message": PROMPT}),
            "BadRequestError: status_code=400, type=invalid_request_error",
        ),
        (
            ProviderError(PROMPT, status_code=HTTPStatus.TOO_MANY_REQUESTS, code=PROMPT),
            "ProviderError: status_code=429",
        ),
        (
            ProviderError(PROMPT, code="UNAVAILABLE", type="x" * 65),
            "ProviderError: code=UNAVAILABLE",
        ),
        (ProviderError(PROMPT, status_code=True, code=14), "ProviderError: code=14"),
        (ProviderError(PROMPT, code=10**30, type=["list"]), "ProviderError"),
        (
            httpx.HTTPStatusError(
                PROMPT,
                request=httpx.Request("GET", "http://h"),
                response=httpx.Response(503, request=httpx.Request("GET", "http://h")),
            ),
            "HTTPStatusError: status_code=503",
        ),
        (RaisingProperties(PROMPT), "RaisingProperties"),
        (BadStr(PROMPT), "BadStr"),
        (StrNotStr(PROMPT), "StrNotStr"),
        (Outer.Inner(PROMPT), "Outer.Inner"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_description_without_content_is_content_free(error, content_free):
    assert error_description(error, with_content=False) == content_free
    attributes = exception_event_attributes(raised(error), with_content=False)
    assert PROMPT not in json.dumps(attributes)
    assert attributes["exception.message"] == content_free


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TypeError(f"Got unknown type {PROMPT}"), f"Got unknown type {PROMPT}"),
        (ValueError(), "ValueError"),
        (ValueError("a\udc80"), "a\ufffd"),
        (HugeStr(), "x" * MAX_DESCRIPTION_LENGTH),
        (BadStr(PROMPT), "BadStr"),
        (StrNotStr(PROMPT), "StrNotStr"),
        (ProviderError("", status_code=500), "ProviderError: status_code=500"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_description_with_content_is_the_bounded_message(error, expected):
    assert error_description(error, with_content=True) == expected


# -- stack traces ---------------------------------------------------------------------------------


def inner(error: BaseException) -> None:
    raise error


def outer(error: BaseException) -> None:
    inner(error)


def frame_lines(error: BaseException) -> str:
    """What the stdlib shows for each frame, without source lines."""
    return "".join(
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
        for frame in traceback.extract_tb(error.__traceback__)
    )


def failing(error: BaseException) -> BaseException:
    try:
        outer(error)
    except BaseException as caught:
        return caught
    raise AssertionError("did not raise")


def test_stacktrace_layout():
    error = failing(TypeError(f"Got unknown type {PROMPT}"))
    frames = "Traceback (most recent call last):\n" + frame_lines(error)

    assert frames.count("File") == 3
    assert stacktrace(error, with_content=False) == frames + "TypeError\n"
    assert stacktrace(error, with_content=True) == (
        frames + f"TypeError: Got unknown type {PROMPT}\n"
    )
    assert exception_event_attributes(error, with_content=False) == {
        "exception.type": "TypeError",
        "exception.message": "TypeError",
        "exception.stacktrace": frames + "TypeError\n",
    }


def test_stacktrace_of_a_provider_error_keeps_its_identifiers():
    error = failing(ProviderError(PROMPT, status_code=429, code="rate_limit_exceeded"))

    assert stacktrace(error, with_content=False).endswith(
        f"{HERE}.ProviderError: status_code=429, code=rate_limit_exceeded\n"
    )


def test_stacktrace_of_an_error_never_raised():
    assert stacktrace(ValueError(PROMPT), with_content=False) == "ValueError\n"
    assert stacktrace(ValueError(PROMPT), with_content=True) == f"ValueError: {PROMPT}\n"


def test_chained_errors_as_python_prints_them():
    try:
        try:
            outer(KeyError(PROMPT))
        except KeyError as cause:
            raise RuntimeError(PROMPT) from cause
    except RuntimeError as caught:
        error = caught
    cause = error.__cause__

    assert stacktrace(error, with_content=False) == (
        "Traceback (most recent call last):\n"
        + frame_lines(cause)
        + "KeyError\n"
        + "\nThe above exception was the direct cause of the following exception:\n\n"
        + "Traceback (most recent call last):\n"
        + frame_lines(error)
        + "RuntimeError\n"
    )


def test_context_chain_and_its_cycles_end():
    first, second = ValueError("a"), TypeError("b")
    first.__context__, second.__context__ = second, first

    assert stacktrace(first, with_content=False) == (
        "TypeError\n"
        + "\nDuring handling of the above exception, another exception occurred:\n\n"
        + "ValueError\n"
    )
    second.__suppress_context__ = True
    assert stacktrace(second, with_content=False) == "TypeError\n"


class Provider:
    """Re-raises the same exception object on every call, as some clients do."""

    def __init__(self) -> None:
        self.error = ConnectionError(PROMPT)

    def call(self) -> None:
        raise self.error


def test_the_same_error_re_raised_costs_the_same_every_time():
    provider = Provider()
    sizes = []
    for _ in range(300):
        try:
            outer_call(provider)
        except ConnectionError as error:
            text = stacktrace(error, with_content=False)
            sizes.append(len(text))
            assert text.count('File "') <= MAX_FRAMES
    error = provider.error

    assert max(sizes) <= sizes[10] + 2  # no longer growing (but for the count of frames left out)
    assert sizes[-1] <= MAX_STACKTRACE_LENGTH
    assert "frames not shown]" in stacktrace(error, with_content=False)
    # What record_exception formats on every call: the whole, ever longer traceback.
    assert len("".join(traceback.format_exception(error))) > 50 * sizes[-1]


def outer_call(provider: Provider) -> None:
    provider.call()


def recurse(depth: int) -> None:
    recurse(depth + 1)


def test_deep_recursion_is_bounded():
    try:
        recurse(0)
    except RecursionError as caught:
        error = caught

    text = stacktrace(error, with_content=True)

    assert len(text) <= MAX_STACKTRACE_LENGTH
    assert text.count('File "') == MAX_FRAMES
    assert text.endswith("RecursionError: maximum recursion depth exceeded\n")


def test_long_file_names_are_cut_from_the_oldest_end():
    namespace: dict[str, object] = {}
    long_name = "/" + "d" * 400 + "/provider\udc80.py"
    source = (
        "def call(error, depth):\n    if depth:\n        call(error, depth - 1)\n    raise error\n"
    )
    exec(compile(source, long_name, "exec"), namespace)
    try:
        namespace["call"](ValueError(PROMPT), 30)
    except ValueError as caught:
        error = caught

    text = stacktrace(error, with_content=False)

    assert len(text) <= MAX_STACKTRACE_LENGTH
    assert text.startswith("[...]\n  File ")
    assert text.endswith('provider\ufffd.py", line 4, in call\nValueError\n')
    text.encode("utf-8")


@pytest.mark.parametrize(
    "error",
    [BadStr(), StrNotStr(), HugeStr(), RaisingProperties(), Lying(), made("W", None)()],
    ids=lambda error: type(error).__name__,
)
@pytest.mark.parametrize("with_content", [False, True])
def test_never_raises(error, with_content):
    attributes = exception_event_attributes(raised(error), with_content)

    assert set(attributes) == {"exception.type", "exception.message", "exception.stacktrace"}
    for value in attributes.values():
        assert isinstance(value, str) and value
        value.encode("utf-8")
    assert len(attributes["exception.message"]) <= MAX_DESCRIPTION_LENGTH
    assert len(attributes["exception.stacktrace"]) <= MAX_STACKTRACE_LENGTH


class Marker:
    pass


def test_keeps_no_reference_to_frames():
    def fail(refs):
        marker = Marker()  # lives in this frame only
        refs.append(weakref.ref(marker))
        raise ValueError(PROMPT)

    refs: list[weakref.ref[Marker]] = []
    try:
        fail(refs)
    except ValueError as caught:
        error = caught
    exception_event_attributes(error, with_content=True)
    error.__traceback__ = None
    gc.collect()

    assert refs[0]() is None

"""wrap/unwrap: our wrappers pickle and copy like what they wrap; unwrap removes exactly ours."""

from __future__ import annotations

import copy
import functools
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
import wrapt
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool

from langchain_otel import LangChainInstrumentor
from langchain_otel._patching import PatchedFunction, unwrap, wrap
from tests.helpers import chat_spans
from tests.models import ChatScripted

pytestmark = pytest.mark.matrix

calls: list[str] = []
PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


class Greeter:
    def __init__(self, name: str) -> None:
        self.name = name

    def greet(self, punctuation: str = "!") -> str:
        return f"hello {self.name}{punctuation}"


def double(x: int) -> int:
    return x * 2


def recording(tag):
    def wrapper(wrapped, instance, args, kwargs):
        calls.append(tag)
        return wrapped(*args, **kwargs)

    return wrapper


@pytest.fixture(autouse=True)
def restore():
    """Every test starts with the plain functions and an empty call log, and leaves them so."""
    greet, module_double = vars(Greeter)["greet"], globals()["double"]
    calls.clear()
    yield
    Greeter.greet = greet  # type: ignore[method-assign]
    globals()["double"] = module_double


# -- pickling and copying (issue 15, item 2) ------------------------------------------------------


def test_bound_wrapper_pickles_and_copies_like_a_bound_method():
    wrap(Greeter, "greet", recording("ours"))
    greeter = Greeter("ada")

    clones = [pickle.loads(pickle.dumps(greeter.greet, protocol)) for protocol in PROTOCOLS]
    shallow = copy.copy(greeter.greet)
    deep = copy.deepcopy(greeter.greet)

    assert [clone("?") for clone in [*clones, shallow, deep]] == ["hello ada?"] * (len(clones) + 2)
    assert calls == ["ours"] * (len(clones) + 2)  # still instrumented
    assert shallow.__self__ is greeter
    assert deep.__self__ is not greeter
    assert deep.__self__.name == "ada"


def test_deepcopy_shares_the_memo_like_a_bound_method():
    wrap(Greeter, "greet", recording("ours"))
    greeter = Greeter("ada")

    pair = copy.deepcopy((greeter, greeter.greet))

    assert pair[1].__self__ is pair[0]


def test_unbound_wrapper_pickles_and_copies_as_the_function():
    wrap(Greeter, "greet", recording("ours"))
    ours = vars(Greeter)["greet"]

    for function in (Greeter.greet, ours):
        for protocol in PROTOCOLS:
            assert pickle.loads(pickle.dumps(function, protocol))(Greeter("bo")) == "hello bo!"
        assert copy.copy(function) is function
        assert copy.deepcopy(function) is function
    assert calls == ["ours"] * 2 * len(PROTOCOLS)


def test_module_function_pickles_by_reference():
    wrap(__name__, "double", recording("ours"))

    for protocol in PROTOCOLS:
        assert pickle.loads(pickle.dumps(double, protocol)) is globals()["double"]
    assert globals()["double"](4) == 8
    assert calls == ["ours"]


# -- unwrap removes exactly ours (issue 15, item 9) -----------------------------------------------


def test_unwrap_when_ours_is_outermost():
    original = vars(Greeter)["greet"]
    wrap(Greeter, "greet", recording("ours"))

    assert unwrap(Greeter, "greet") == 1
    assert vars(Greeter)["greet"] is original
    assert unwrap(Greeter, "greet") == 0


@pytest.mark.parametrize("via", ["class attribute", "raw descriptor"])
def test_unwrap_under_a_foreign_wrapt_wrapper(via):
    original = vars(Greeter)["greet"]
    wrap(Greeter, "greet", recording("ours"))
    below = Greeter.greet if via == "class attribute" else vars(Greeter)["greet"]
    foreign = wrapt.FunctionWrapper(below, recording("foreign"))
    Greeter.greet = foreign  # type: ignore[method-assign]
    held = Greeter("ada").greet  # bound before unwrap

    assert unwrap(Greeter, "greet") == 1

    assert vars(Greeter)["greet"] is foreign
    assert foreign.__wrapped__ is original
    assert Greeter("ada").greet() == "hello ada!"
    assert held() == "hello ada!"
    assert calls == ["foreign", "foreign"]


@pytest.mark.parametrize("via", ["class attribute", "raw descriptor"])
def test_unwrap_under_a_plain_function_wrapper(via):
    wrap(Greeter, "greet", recording("ours"))
    ours = vars(Greeter)["greet"]
    below = Greeter.greet if via == "class attribute" else ours

    @functools.wraps(below)
    def foreign(self, *args, **kwargs):
        calls.append("foreign")
        return (below(self, *args, **kwargs) if via == "class attribute" else
                below.__get__(self, Greeter)(*args, **kwargs))  # fmt: skip

    Greeter.greet = foreign  # type: ignore[method-assign]

    assert unwrap(Greeter, "greet") == 1

    assert vars(Greeter)["greet"] is foreign
    assert not ours.active  # left in the chain as a pass-through
    assert Greeter("ada").greet(".") == "hello ada."
    assert calls == ["foreign"]


def test_unwrap_takes_out_every_one_of_ours_and_nothing_else():
    original = vars(Greeter)["greet"]
    wrap(Greeter, "greet", recording("ours 1"))
    Greeter.greet = wrapt.FunctionWrapper(vars(Greeter)["greet"], recording("a"))  # type: ignore[method-assign]
    wrap(Greeter, "greet", recording("ours 2"))
    Greeter.greet = wrapt.FunctionWrapper(vars(Greeter)["greet"], recording("b"))  # type: ignore[method-assign]
    Greeter("ada").greet()
    assert calls == ["b", "ours 2", "a", "ours 1"]
    calls.clear()

    assert unwrap(Greeter, "greet") == 2

    Greeter("ada").greet()
    assert calls == ["b", "a"]
    assert vars(Greeter)["greet"].__wrapped__.__wrapped__ is original


def test_a_bound_method_held_across_unwrap_stops_recording():
    wrap(Greeter, "greet", recording("ours"))
    held = Greeter("ada").greet
    unwrap(Greeter, "greet")

    assert held() == "hello ada!"
    assert calls == []


def test_wrap_returns_ours_and_inherited_methods_are_wrapped_on_the_subclass():
    class Loud(Greeter):
        pass

    patched = wrap(Loud, "greet", recording("ours"))

    assert isinstance(patched, PatchedFunction) and patched.active
    assert vars(Loud)["greet"] is patched
    assert Greeter("ada").greet() == "hello ada!"
    assert Loud("bo").greet() == "hello bo!"
    assert calls == ["ours"]
    assert unwrap(Loud, "greet") == 1
    assert "greet" not in vars(Loud)  # inherited again, as before


# -- the instrumentor uses these primitives -------------------------------------------------------


def call(method: str) -> str:
    """The scripted answer, through ``method`` (stream: joined)."""
    if method == "invoke":
        return str(ChatScripted().invoke("hi").content)
    return "".join(str(chunk.content) for chunk in ChatScripted().stream("hi"))


@pytest.mark.parametrize("method", ["invoke", "stream"])
def test_uninstrument_keeps_a_foreign_wrapper_installed_after_ours(
    method, tracer_provider, span_exporter
):
    original = vars(BaseChatModel)[method]
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    wrapt.wrap_function_wrapper(BaseChatModel, method, recording("foreign"))
    foreign = vars(BaseChatModel)[method]
    try:
        instrumentor.uninstrument()

        assert call(method) == "scripted answer"
        assert vars(BaseChatModel)[method] is foreign
        assert foreign.__wrapped__ is original
        assert calls == ["foreign"]
        assert chat_spans(span_exporter) == []
    finally:
        setattr(BaseChatModel, method, original)


@pytest.mark.parametrize("method", ["invoke", "stream"])
def test_uninstrument_under_a_plain_function_wrapper(method, tracer_provider, span_exporter):
    original = vars(BaseChatModel)[method]
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    below = getattr(BaseChatModel, method)

    @functools.wraps(below)
    def foreign(self, *args, **kwargs):
        calls.append("foreign")
        return below(self, *args, **kwargs)

    setattr(BaseChatModel, method, foreign)
    try:
        instrumentor.uninstrument()

        assert call(method) == "scripted answer"
        assert vars(BaseChatModel)[method] is foreign
        assert calls == ["foreign"]
        assert chat_spans(span_exporter) == []
    finally:
        setattr(BaseChatModel, method, original)


@pytest.mark.usefixtures("instrument")
def test_instrumented_methods_pickle_and_copy(span_exporter):
    model = ChatScripted(reply="copied")

    invoke = pickle.loads(pickle.dumps(model.invoke))
    streams = [
        copy.copy(model.stream),
        copy.deepcopy(model.stream),
        pickle.loads(pickle.dumps(model.stream)),
        pickle.loads(pickle.dumps(ChatScripted.stream)).__get__(model),
    ]
    runnable = copy.deepcopy(RunnableLambda(model.invoke))
    unbound = pickle.loads(pickle.dumps(ChatScripted.invoke))

    assert invoke("hi").content == "copied"
    for stream in streams:
        assert "".join(str(chunk.content) for chunk in stream("hi")) == "copied"
    assert runnable.invoke("hi").content == "copied"
    assert unbound(model, "hi").content == "copied"
    assert len(chat_spans(span_exporter)) == 7  # the copies are still traced


@pytest.mark.usefixtures("instrument")
def test_instrumented_method_in_a_process_pool():
    model = ChatScripted(reply="from a child")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        answers = list(pool.map(model.invoke, ["a", "b"]))

    assert [answer.content for answer in answers] == ["from a child"] * 2


def test_structure_methods_pickle_and_copy_too(tracer_provider):
    """Tools and graphs are wrapped with the same primitives as chat models."""
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:

        @tool
        def shelf(name: str) -> str:
            """Where a tablet is shelved."""
            return "room 55"

        assert copy.copy(shelf.run)("x") == "room 55"
        assert pickle.loads(pickle.dumps(type(shelf).run)) is not None
    finally:
        instrumentor.uninstrument()

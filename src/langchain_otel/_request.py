"""Request attributes: the parameters a call is made with, read from the model and call kwargs.

Pure functions, no span work. Call kwargs (including those bound by ``bind``/``bind_tools``) win
over the model's own fields, as they do when LangChain builds the provider request.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from langchain_otel import _semconv as sc
from langchain_otel._values import Attributes, as_float, as_int, as_str, as_str_list

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestFields:
    """Where one chat class keeps each request parameter: call-kwarg and model-field names.

    Each tuple is tried in order, first in the call kwargs, then on the model; the first value of
    the right type wins. An empty tuple means the class has no such parameter.
    """

    model: tuple[str, ...] = ("model_name", "model")
    temperature: tuple[str, ...] = ("temperature",)
    max_tokens: tuple[str, ...] = ("max_tokens",)
    top_p: tuple[str, ...] = ("top_p",)
    top_k: tuple[str, ...] = ("top_k",)
    seed: tuple[str, ...] = ("seed",)
    frequency_penalty: tuple[str, ...] = ("frequency_penalty",)
    presence_penalty: tuple[str, ...] = ("presence_penalty",)
    stop_sequences: tuple[str, ...] = ("stop", "stop_sequences")
    choice_count: tuple[str, ...] = ("n",)

    @functools.cached_property
    def plan(self) -> tuple[tuple[str, tuple[str, ...], Callable[[object], Any]], ...]:
        """(attribute, names, coerce) for each parameter, built once per field table."""
        return tuple(
            (attribute, names, coerce)
            for attribute, names, coerce in (
                (sc.REQUEST_TEMPERATURE, self.temperature, as_float),
                (sc.REQUEST_MAX_TOKENS, self.max_tokens, as_int),
                (sc.REQUEST_TOP_P, self.top_p, as_float),
                (sc.REQUEST_TOP_K, self.top_k, as_float),  # a double in the registry
                (sc.REQUEST_SEED, self.seed, as_int),
                (sc.REQUEST_FREQUENCY_PENALTY, self.frequency_penalty, as_float),
                (sc.REQUEST_PRESENCE_PENALTY, self.presence_penalty, as_float),
                (sc.REQUEST_STOP_SEQUENCES, self.stop_sequences, as_str_list),
                (sc.REQUEST_CHOICE_COUNT, self.choice_count, as_choice_count),
            )
            if names
        )


#: The fields of an object without an instance ``__dict__``: ``getattr(model, "__dict__",
#: NO_FIELDS)`` is how every reader here gets a model's fields (see :func:`model_field`).
NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


def model_field(model: object, name: str) -> object:
    """The model's field ``name`` as the instance holds it, or None.

    Pydantic keeps every field in the instance ``__dict__``, and validators put resolved values
    there with ``object.__setattr__`` (``_use_vertexai``); a ``_private`` name missing there is
    read where pydantic keeps private attributes (``__pydantic_private__``: ``ChatOllama._client``).
    A dict read runs no code of the model's: no property, no lazily built client, no pydantic
    ``__getattr__`` (~5 µs for a missing name), so it cannot raise.
    """
    value = getattr(model, "__dict__", NO_FIELDS).get(name)
    if value is None and name[:1] == "_":
        private = getattr(model, "__pydantic_private__", None)
        if type(private) is dict:
            value = private.get(name)
    return value


def user_set(model: object, name: str) -> bool:
    """Whether the user passed field ``name`` when building the model (pydantic's
    ``model_fields_set``), rather than leaving it to its default."""
    fields_set = getattr(model, "__pydantic_fields_set__", None)
    return isinstance(fields_set, (set, frozenset)) and name in fields_set


def lookup(model: object, kwargs: Mapping[str, Any], names: tuple[str, ...]) -> object:
    """First non-None value under ``names``: call kwargs first, then the model's fields."""
    for name in names:
        value = kwargs.get(name)
        if value is not None:
            return value
    fields = getattr(model, "__dict__", NO_FIELDS)
    for name in names:
        value = fields.get(name)
        if value is not None:
            return value
    return None


def with_model_kwargs(model: object, kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The call kwargs over the model's ``model_kwargs``, as the clients that keep one merge them.

    Constructor arguments a class has no field for (``ChatGroq(top_p=...)``) land in
    ``model_kwargs`` and are sent with every request; call kwargs override them.
    """
    extra = getattr(model, "__dict__", NO_FIELDS).get("model_kwargs")
    if isinstance(extra, Mapping) and extra:
        return {**extra, **kwargs}
    return kwargs


def extract_request_model(
    model: object, kwargs: Mapping[str, Any], fields: RequestFields
) -> str | None:
    return as_str(lookup(model, kwargs, fields.model))


def extract_request_params(
    model: object, kwargs: Mapping[str, Any], fields: RequestFields
) -> Attributes:
    """Sampling parameters as semconv attributes with the spec's types; unset ones are absent.

    The same rule as :func:`lookup`, inlined: this runs on every recorded call.
    """
    attributes: Attributes = {}
    model_fields = getattr(model, "__dict__", NO_FIELDS)
    for attribute, names, coerce in fields.plan:
        value = None
        if kwargs:
            for name in names:
                value = kwargs.get(name)
                if value is not None:
                    break
        if value is None:
            for name in names:
                value = model_fields.get(name)
                if value is not None:
                    break
            else:
                continue
        value = coerce(value)
        if value is not None:
            attributes[attribute] = value
    return attributes


def as_choice_count(value: object) -> int | None:
    """``gen_ai.request.choice.count`` is set only when it differs from 1."""
    count = as_int(value)
    return count if count is not None and count != 1 else None


@functools.lru_cache(maxsize=256)
def parse_endpoint(url: str) -> tuple[str, int] | None:
    """(host, port) of a base URL; user info is dropped, so credentials never reach attributes.

    Scheme-less endpoints (``"us-central1-aiplatform.googleapis.com"``, ``"localhost:11434"``) are
    read as host[:port] with the HTTPS default port.
    """
    text = url.strip()
    if not text:
        return None
    parts = urlsplit(text if "://" in text else "//" + text)
    host = parts.hostname
    if not host:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        port = 80 if parts.scheme == "http" else 443
    return host, port


class ChatRequest:
    """One call as mappers see it: the model, the call kwargs (bound ones included) and whether
    it was made through ``stream``/``astream`` (some clients send other parameters then).

    Its readers are the one way a mapper reads the model: :meth:`field` (a field as the instance
    holds it), :meth:`lookup` (a request parameter: call kwargs, then fields) and
    :meth:`sent_kwargs` (what a client that keeps ``model_kwargs`` sends).
    """

    __slots__ = ("_ls_params", "kwargs", "model", "streaming")

    def __init__(self, model: object, kwargs: Mapping[str, Any], streaming: bool = False) -> None:
        self.model = model
        self.kwargs = kwargs
        self.streaming = streaming
        self._ls_params: Mapping[str, Any] | None = None

    def field(self, name: str) -> object:
        """:func:`model_field` of the call's model."""
        return model_field(self.model, name)

    def lookup(self, *names: str) -> object:
        """:func:`lookup` in the call's kwargs, then the model's fields."""
        return lookup(self.model, self.kwargs, names)

    def sent_kwargs(self) -> Mapping[str, Any]:
        """:func:`with_model_kwargs`: the call kwargs over the model's ``model_kwargs``."""
        return with_model_kwargs(self.model, self.kwargs)

    @property
    def ls_params(self) -> Mapping[str, Any]:
        """LangChain's private ``_get_ls_params(**kwargs)``, computed at most once; {} on failure.

        It costs ~13 µs on ChatOpenAI, so only the generic mapper uses it.
        """
        if self._ls_params is None:
            self._ls_params = _call_ls_params(self.model, self.kwargs)
        return self._ls_params


def _call_ls_params(model: object, kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    getter = getattr(model, "_get_ls_params", None)
    if getter is None:
        return {}
    try:
        params = getter(**kwargs)
    except Exception:  # private API: a failure only means "unknown"
        _logger.debug("langchain-otel: _get_ls_params failed", exc_info=True)
        return {}
    return params if isinstance(params, Mapping) else {}

"""Settings: every environment variable this package reads, parsed once into a frozen object.

``LangChainInstrumentor.instrument()`` builds one :class:`Settings` from the environment and the
keyword arguments it was given; nothing reads the environment per call. A malformed value logs one
warning and falls back to the safe default.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Final

_logger = logging.getLogger(__name__)

CAPTURE_MESSAGE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
METRICS_ENABLED_ENV = "LANGCHAIN_OTEL_METRICS_ENABLED"
TIME_PER_CHUNK_METRIC_ENV = "LANGCHAIN_OTEL_TIME_PER_CHUNK_METRIC"
CONTENT_MAX_LENGTH_ENV = "LANGCHAIN_OTEL_CONTENT_MAX_LENGTH"
PROVIDER_SPANS_ENV = "LANGCHAIN_OTEL_PROVIDER_SPANS"
STRUCTURE_SPANS_ENV = "LANGCHAIN_OTEL_STRUCTURE_SPANS"
METADATA_ATTRIBUTES_ENV = "LANGCHAIN_OTEL_METADATA_ATTRIBUTES"

DEFAULT_CONTENT_MAX_LENGTH = 8192

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_warned: set[tuple[str, str]] = set()


class ContentCapture(enum.Enum):
    """Where prompt and completion content goes (values of the util-genai env var)."""

    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"

    @property
    def on_span(self) -> bool:
        return self in (ContentCapture.SPAN_ONLY, ContentCapture.SPAN_AND_EVENT)

    @property
    def on_event(self) -> bool:
        return self in (ContentCapture.EVENT_ONLY, ContentCapture.SPAN_AND_EVENT)


class ProviderSpans(enum.Enum):
    """What happens to inference spans a provider layer emits under ours."""

    SUPPRESS = "suppress"
    KEEP = "keep"


@dataclass(frozen=True)
class Settings:
    """The parsed configuration of one ``instrument()`` call."""

    capture_content: ContentCapture = ContentCapture.NO_CONTENT
    metrics_enabled: bool = True
    time_per_chunk_metric: bool = False
    content_max_length: int = DEFAULT_CONTENT_MAX_LENGTH
    provider_spans: ProviderSpans = ProviderSpans.SUPPRESS
    #: Agent/workflow (LangGraph, AgentExecutor), tool and retrieval spans around the chat spans.
    structure_spans: bool = True
    #: (LangChain metadata key, span attribute) pairs copied onto every span of a run.
    metadata_attributes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings: dict[str, Any] = {}
        for field in fields(cls):
            variable, parse = _FIELDS[field.name]
            settings[field.name] = parse(variable, env.get(variable), field.default)
        return cls(**settings)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply ``instrument()`` keyword arguments, parsed like the env values.

        ``None`` and names that are not fields change nothing; a malformed value warns under the
        argument's name and falls back as its parser says.
        """
        changes: dict[str, Any] = {}
        for field in fields(self):
            value = overrides.get(field.name)
            if value is not None:
                parse = _FIELDS[field.name][1]
                changes[field.name] = parse(field.name, value, getattr(self, field.name))
        return replace(self, **changes)


def parse_capture_content(
    value: object, source: str = CAPTURE_MESSAGE_CONTENT_ENV
) -> ContentCapture:
    """Parse a capture mode; ``true``/``false`` are the legacy contrib spelling."""
    if value is None or value == "":
        return ContentCapture.NO_CONTENT
    if isinstance(value, ContentCapture):
        return value
    if isinstance(value, bool):
        return ContentCapture.SPAN_ONLY if value else ContentCapture.NO_CONTENT
    text = str(value).strip()
    lowered = text.lower()
    if lowered == "true":
        return ContentCapture.SPAN_ONLY
    if lowered == "false":
        return ContentCapture.NO_CONTENT
    try:
        return ContentCapture(text.upper())
    except ValueError:
        _warn_once(source, text, ContentCapture.NO_CONTENT.value)
        return ContentCapture.NO_CONTENT


def _parse_bool(name: str, value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    _warn_once(name, str(value), str(default).lower())
    return default


def _parse_positive_int(name: str, value: object, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number > 0:
        return number
    _warn_once(name, str(value), str(default))
    return default


def _parse_enum(
    name: str, value: object, kind: type[ProviderSpans], default: ProviderSpans
) -> ProviderSpans:
    if value is None or value == "":
        return default
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        _warn_once(name, str(value), default.value)
        return default


def _parse_capture_field(name: str, value: object, current: object) -> ContentCapture:
    return parse_capture_content(value, source=name)  # malformed: NO_CONTENT, not ``current``


def _parse_provider_spans(name: str, value: object, current: object) -> ProviderSpans:
    return _parse_enum(name, value, ProviderSpans, ProviderSpans.SUPPRESS)  # likewise SUPPRESS


#: Metadata keys LangChain and LangGraph set themselves: never an application's context.
RESERVED_METADATA_PREFIXES: Final = ("langgraph_", "ls_", "lc_", "checkpoint_", "__")
#: Attribute namespaces this package writes: a metadata value never overwrites one of ours.
RESERVED_ATTRIBUTE_PREFIXES: Final = (
    "gen_ai.",
    "langchain_otel.",
    "server.",
    "error.",
    "exception.",
    "openai.",
    "aws.bedrock.",
    "gcp.",
    "groq.",
    "fireworks.",
)
_MAX_ATTRIBUTE_NAME = 256


def parse_metadata_attributes(
    name: str, value: object, current: object
) -> tuple[tuple[str, str], ...]:
    """``"user_id=user.id,session_id=session.id,tenant"`` (a bare key keeps its name), a mapping
    of keys to attribute names, or a sequence of keys: (key, attribute) pairs.

    An entry that names one of LangChain's own keys, an attribute of ours or an attribute already
    mapped is dropped with one warning; the others stay.
    """
    if value is None or value == "":
        return ()
    entries = _metadata_entries(value)
    if entries is None:
        _warn_once(name, repr(value), "no metadata attributes")
        return ()
    pairs: list[tuple[str, str]] = []
    for raw_key, raw_attribute in entries:
        key = raw_key.strip() if isinstance(raw_key, str) else ""
        attribute = raw_attribute.strip() if isinstance(raw_attribute, str) else ""
        reason = _entry_problem(key, attribute, pairs)
        if reason is not None:
            _warn_entry(name, f"{key or raw_key}={attribute or raw_attribute}", reason)
            continue
        pairs.append((key, attribute))
    return tuple(pairs)


def _metadata_entries(value: object) -> list[tuple[object, object]] | None:
    if isinstance(value, str):
        entries: list[tuple[object, object]] = []
        for item in value.split(","):
            key, _, attribute = item.partition("=")
            if key.strip() or attribute.strip():
                entries.append((key, attribute or key))
        return entries
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (list, tuple)):
        return [
            item if isinstance(item, tuple) and len(item) == 2 else (item, item) for item in value
        ]
    return None


def _entry_problem(key: str, attribute: str, taken: list[tuple[str, str]]) -> str | None:
    if not key or not attribute or len(attribute) > _MAX_ATTRIBUTE_NAME:
        return "needs a metadata key and an attribute name"
    if key.startswith(RESERVED_METADATA_PREFIXES):
        return "LangChain's own metadata"
    if attribute.startswith(RESERVED_ATTRIBUTE_PREFIXES):
        return "an attribute langchain-otel sets"
    if any(attribute == other for _, other in taken):
        return "attribute already mapped"
    return None


#: A parser takes the name to warn under, the raw value and the value to fall back on.
_Parser = Callable[[str, Any, Any], Any]

#: Every :class:`Settings` field: the environment variable that sets it and its parser.
_FIELDS: Final[Mapping[str, tuple[str, _Parser]]] = {
    "capture_content": (CAPTURE_MESSAGE_CONTENT_ENV, _parse_capture_field),
    "metrics_enabled": (METRICS_ENABLED_ENV, _parse_bool),
    "time_per_chunk_metric": (TIME_PER_CHUNK_METRIC_ENV, _parse_bool),
    "content_max_length": (CONTENT_MAX_LENGTH_ENV, _parse_positive_int),
    "provider_spans": (PROVIDER_SPANS_ENV, _parse_provider_spans),
    "structure_spans": (STRUCTURE_SPANS_ENV, _parse_bool),
    "metadata_attributes": (METADATA_ATTRIBUTES_ENV, parse_metadata_attributes),
}


def _warn_once(name: str, value: str, default: str) -> None:
    if (name, value) in _warned:
        return
    _warned.add((name, value))
    _logger.warning("langchain-otel: invalid value %r for %s; using %s", value, name, default)


def _warn_entry(name: str, entry: str, reason: str) -> None:
    if (name, entry) in _warned:
        return
    _warned.add((name, entry))
    _logger.warning("langchain-otel: %s entry %r ignored: %s", name, entry, reason)

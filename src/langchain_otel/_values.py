"""Every value we emit, exportable and bounded.

Values come from providers, plugins and user kwargs, so they can be anything. The OTLP protobuf
encoder fails the whole span batch on a span name that is not valid UTF-8 (a lone surrogate, as
``json.loads('"\\udc80"')`` yields), drops every such attribute with an error log, and an int
outside int64 cannot be encoded (a histogram value beyond float range fails the metric export).
One huge string must not bloat every span, metric point and event either.

The lifecycle applies :func:`sanitized` to every span, metric and event attribute dict a hook
or the user's data fills, :func:`safe_text` to the span name, and :func:`metric_value` to each
histogram value; the few attributes known before a call are made exportable where they are made
(:func:`exportable_text`), so the hot path checks nothing twice. The
``as_*`` readers give a value read from a provider, a plugin or the user the type its attribute
takes (or None), in one place for every module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, cast

from opentelemetry.util.types import AttributeValue

#: Longest string value (and span name) we emit: ids, models and reasons are short; anything
#: longer is a provider or mapper bug.
MAX_TEXT_LENGTH = 1024
#: Longest attribute key: ours are constants far below; a plugin's may not be.
MAX_KEY_LENGTH = 256
#: Most items kept in a sequence value (finish reasons, tool names).
MAX_SEQUENCE_LENGTH = 128
#: OTLP's int range (protobuf int64). Ints outside are dropped, not clamped: a clamped token
#: count or seed would be a false value, and an absent one is honest.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: A span, event or metric attribute dict: what mappers return and the lifecycle emits.
Attributes = dict[str, AttributeValue]

_SURROGATE = re.compile("[\ud800-\udfff]")
# Keys already checked: a set lookup instead of three checks per attribute. Bounded, so keys
# made up at run time cannot grow it without end.
_FINE_KEYS: set[str] = set()
_MAX_FINE_KEYS = 4096


def safe_text(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, lone surrogates replaced by U+FFFD.

    The result always encodes as UTF-8. A surrogate pair split into two code points is joined
    into the character it stands for. ASCII and already-valid text is returned as is.
    """
    if len(value) > limit:
        value = value[: max(limit, 0)]
    return utf8_text(value)


def exportable_text(value: object) -> str | None:
    """A non-empty string as :func:`sanitized` would keep it (its base type, cut, surrogates
    replaced), else None: for values set where they are made, not sanitized again."""
    if type(value) is str and value.isascii() and 0 < len(value) <= MAX_TEXT_LENGTH:
        return value  # the common case, in one line
    if not isinstance(value, str) or not value:
        return None
    return safe_text(str.__str__(value), MAX_TEXT_LENGTH)


def utf8_text(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD (uncut): it encodes as UTF-8."""
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def utf8_values(value: object) -> object:
    """A structured value (content: dicts, lists, strings) whose every string, keys included,
    encodes as UTF-8; everything else as it is. Values already valid are returned as they are."""
    if isinstance(value, str):
        return utf8_text(value)
    if isinstance(value, Mapping):
        return {utf8_text(k) if isinstance(k, str) else k: utf8_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [utf8_values(item) for item in value]
    return value


def sanitized(attributes: Mapping[str, object]) -> Attributes:
    """``attributes`` with only values OTLP can export, bounded.

    Kept: ``str`` (cut to :data:`MAX_TEXT_LENGTH`, surrogates replaced), ``bool``, ``float``,
    ``int`` inside int64, and lists/tuples of one of those types (at most
    :data:`MAX_SEQUENCE_LENGTH` items). Subclasses (``IntEnum``, ``str`` enums) become their
    base type. Dropped: ``None``, every other type, ints outside int64, sequences with any
    element that is not fine, non-string keys. Keys are cut to :data:`MAX_KEY_LENGTH`.

    The common case (every value already fine) costs one type check per value and returns
    ``attributes`` itself; otherwise a new dict. ``attributes`` is never modified.
    """
    values: Mapping[str, Any] = attributes  # Any: the checks below are by exact type
    for key, value in values.items():
        kind = type(value)
        if kind is str:
            if len(value) > MAX_TEXT_LENGTH or not (
                value.isascii() or _SURROGATE.search(value) is None
            ):
                break
        elif kind is int:
            if not INT64_MIN <= value <= INT64_MAX:
                break
        elif kind is list or kind is tuple:
            if not _fine_sequence(value):
                break
        elif kind is not float and kind is not bool:
            break
        if key not in _FINE_KEYS and not _fine_key(key):
            break
    else:
        # Checked above, value by value (no ``cast``: it is a call, and this runs on every span).
        return values if type(values) is dict else dict(values)
    return _rebuilt(attributes)


def metric_value(value: object) -> int | float | None:
    """A histogram value OTLP can export, or None: drop the point.

    Ints outside int64, non-finite floats (they would poison the sum for the whole interval),
    bools and every other type are dropped.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = int.__int__(value)
        return number if INT64_MIN <= number <= INT64_MAX else None
    if isinstance(value, float):
        real = float.__float__(value)
        return real if math.isfinite(real) else None
    return None


def _rebuilt(attributes: Mapping[str, object]) -> Attributes:
    cleaned: Attributes = {}
    for key, value in attributes.items():
        if not isinstance(key, str):
            continue
        kept = _clean_value(value)
        if kept is not None:
            cleaned[safe_text(str.__str__(key), MAX_KEY_LENGTH)] = kept
    return cleaned


def _clean_value(value: object) -> AttributeValue | None:
    if isinstance(value, (list, tuple)):
        if type(value) in (list, tuple) and _fine_sequence(value):
            return cast("AttributeValue", value)
        return _clean_sequence(value)
    return _clean_scalar(value)


def _clean_scalar(value: object) -> str | bool | int | float | None:
    """The exportable form of one scalar, or None."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return safe_text(str.__str__(value), MAX_TEXT_LENGTH)
    if isinstance(value, int):
        number = int.__int__(value)  # the base type's value, whatever a subclass overrides
        return number if INT64_MIN <= number <= INT64_MAX else None
    if isinstance(value, float):
        return float.__float__(value)
    return None


def _fine_key(key: object) -> bool:
    """A key we can emit as it is; remembered, as the same few keys come on every call."""
    if type(key) is not str or len(key) > MAX_KEY_LENGTH or not key.isascii():
        return False
    if len(_FINE_KEYS) < _MAX_FINE_KEYS:
        _FINE_KEYS.add(key)
    return True


def _fine_text(value: str) -> bool:
    return len(value) <= MAX_TEXT_LENGTH and (value.isascii() or _SURROGATE.search(value) is None)


def _fine_sequence(value: list[object] | tuple[object, ...]) -> bool:
    """Already exportable as it is: short, homogeneous, every item fine."""
    if len(value) > MAX_SEQUENCE_LENGTH:
        return False
    if not value:
        return True
    first = type(value[0])
    if first is str:
        return all(type(item) is str and _fine_text(item) for item in value)
    if first is int:
        return all(type(item) is int and INT64_MIN <= item <= INT64_MAX for item in value)
    if first is bool or first is float:
        return all(type(item) is first for item in value)
    return False


def _clean_sequence(
    value: list[object] | tuple[object, ...],
) -> list[str] | list[bool] | list[int] | list[float] | None:
    """A homogeneous list of exportable scalars, or None (drop the attribute)."""
    items = [_clean_scalar(item) for item in value[:MAX_SEQUENCE_LENGTH]]
    if not items:
        return []
    kind = type(items[0])
    if kind is type(None) or any(type(item) is not kind for item in items):
        return None  # an item we cannot represent, or mixed types: drop, never misreport
    return cast("list[str] | list[bool] | list[int] | list[float]", items)


# -- typed reads: a value from anywhere, as the type its attribute takes ---------------------------


def as_int(value: object) -> int | None:
    """An int as given (a seed may be negative); never a bool."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def as_count(value: object) -> int | None:
    """A reported count (tokens): a non-negative plain int a span and a histogram can take.

    Exactly ``int``: bools, floats and int look-alikes are junk here, and an unreported count is
    never turned into 0.
    """
    if type(value) is int and 0 <= value <= INT64_MAX:
        return value
    return None


def as_float(value: object) -> float | None:
    """A number as a double (an int beyond float range: None, not an OverflowError)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return None
    return None


def as_str(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def as_str_list(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        items = [item for item in value if isinstance(item, str)]
        return items or None
    return None

"""fit_json: the newest entries that fit, serialized in linear work (issue 15, item 4)."""

from __future__ import annotations

import json

import pytest

from langchain_otel import _content
from langchain_otel._content import fit_json, to_json

pytestmark = pytest.mark.matrix


def fit_json_before(value, limit):
    """The implementation before the fix: drop the oldest entry, serialize everything again."""
    text = to_json(value)
    if limit is None or len(text) <= limit:
        return text
    kept = list(value)
    while kept:
        kept = kept[1:]
        text = to_json(kept)
        if len(text) <= limit:
            return text
    return "[]"


def history(n: int) -> list[dict]:
    return [
        {"role": "user" if i % 2 else "assistant", "parts": [{"type": "text", "content": f"m{i}"}]}
        for i in range(n)
    ]


class Opaque:
    def __str__(self) -> str:
        return "opaque é"


ENTRIES = [
    history(1),
    history(7),
    ["a", "bb", "ccc", "dddd"],
    [{"content": "ünïcödé ✓ 😀"}, {"content": "x" * 50}, {"n": 1.5, "ok": True, "none": None}],
    [Opaque(), {"k": Opaque()}, [1, [2, [3]]], float("nan")],
    [{"big": "y" * 200}, {"small": 1}],
    [{"big": "y" * 200}],
    [],
]
LIMITS = [None, 0, 1, 2, 3, 5, 8, 10, 12, 17, 20, 30, 45, 60, 100, 150, 216, 220, 1000]


@pytest.mark.parametrize("entries", ENTRIES, ids=range(len(ENTRIES)))
def test_same_output_as_before(entries):
    for limit in LIMITS:
        expected = fit_json_before(entries, limit)
        assert fit_json(entries, limit) == expected, limit
        if limit is not None and limit >= 2:
            assert len(expected) <= limit
            assert isinstance(json.loads(expected.replace("NaN", "null")), list)


def test_exact_fit_boundaries():
    entries = history(10)
    for kept in range(11):
        exact = to_json(entries[10 - kept :])
        assert fit_json(entries, len(exact)) == exact
        assert fit_json(entries, len(exact) - 1) == to_json(entries[11 - kept :] if kept else [])


def test_work_is_linear_in_the_history(monkeypatch):
    """A 1,201-message history under a 16 KiB limit: each entry serialized at most once more.

    Counted in characters produced by the serializer (deterministic), not in time.
    """
    produced = []

    def counting(value):
        text = to_json(value)
        produced.append(len(text))
        return text

    monkeypatch.setattr(_content, "to_json", counting)
    entries = history(1201)
    full = len(to_json(entries))

    text = fit_json(entries, 16384)

    assert text == fit_json_before(entries, 16384)
    assert sum(produced) <= 2 * full
    assert len(produced) <= 2 + len(json.loads(text))

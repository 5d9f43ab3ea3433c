"""A value computed once per class, forgotten with the class.

What the hot path knows about a model class (its mapper, whether it has a method) is read with
one dict lookup by ``id(class)``, which holds no class alive: classes made at run time must be
freed. Each entry leaves with its class: the weak reference's callback runs before the class's
memory, so its id, can be reused.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_MISSING = object()


class PerClass(Generic[T]):
    """``compute(cls)`` once per class; ``get(cls)`` afterwards is one dict read."""

    __slots__ = ("_compute", "_refs", "_values")

    def __init__(self, compute: Callable[[type], T]) -> None:
        self._compute = compute
        self._values: dict[int, T] = {}
        self._refs: dict[int, weakref.ref[type]] = {}

    def get(self, cls: type) -> T:
        value = self._values.get(id(cls), _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[return-value]
        return self._remember(cls)

    def _remember(self, cls: type) -> T:
        key = id(cls)
        value = self._compute(cls)
        values, refs = self._values, self._refs  # the callback must not hold this object

        def forget(ref: weakref.ref[type]) -> None:
            if refs.get(key) is ref:  # not a later class's entry under a reused id
                del refs[key]
                values.pop(key, None)

        refs[key] = weakref.ref(cls, forget)
        values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)

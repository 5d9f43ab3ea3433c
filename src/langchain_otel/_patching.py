"""The wrapping primitives the instrumentor uses: ``wrap`` and ``unwrap``.

Two things plain wrapt wrappers get wrong for an instrumentation that must leave the app alone:

* a wrapt proxy refuses ``pickle``/``copy``/``deepcopy``, so ``pickle.dumps(model.invoke)``,
  ``copy.copy(model.stream)`` or ``ProcessPoolExecutor().map(model.invoke, ...)`` break once
  instrumented. Ours pickle and copy like the plain function or bound method they wrap.
* ``opentelemetry.instrumentation.utils.unwrap`` removes whichever wrapper is outermost: another
  tool's, when it wrapped after us. ``unwrap`` here removes exactly ours, wherever it sits.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, SupportsIndex

import wrapt

#: ``wrapper(wrapped, instance, args, kwargs)``, as for ``wrapt.FunctionWrapper``.
Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]

if TYPE_CHECKING:
    _FunctionWrapper = wrapt.FunctionWrapper[..., Any]
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper[..., Any]
else:  # wrapt 1.14's classes are not subscriptable
    _FunctionWrapper = wrapt.FunctionWrapper
    _BoundFunctionWrapper = wrapt.BoundFunctionWrapper

# Every wrapt proxy type (wrapt 2 adds BaseObjectProxy under ObjectProxy).
_PROXY: type[Any] = getattr(wrapt, "BaseObjectProxy", wrapt.ObjectProxy)
# Longest chain of wrappers ``unwrap`` walks: guards against ``__wrapped__`` cycles.
_MAX_CHAIN = 64


class _Switch(list[bool]):
    """Truthy while our wrapper runs. wrapt tests ``enabled`` on every call: a list's truth is a
    C-level length check, so the switch costs the hot path nothing, and clearing it turns every
    copy of the wrapper (bound ones the app still holds too) into a pass-through at once."""


class _ModuleByName:
    """Pickles as ``importlib.import_module(name)``: lets a module-level function pickle by
    reference without the unpickling side needing langchain_otel."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple[Any, ...]:
        return (importlib.import_module, (self.name,))


def _by_reference(owner: object, name: str) -> tuple[Any, ...]:
    """Reduce value for ``owner.name``: looked up again when unpickled, as for a plain function."""
    if isinstance(owner, ModuleType):
        return (getattr, (_ModuleByName(owner.__name__), name))
    return (getattr, (owner, name))


class BoundPatchedFunction(_BoundFunctionWrapper):
    """``instance.method`` (or ``Class.method``) of a :class:`PatchedFunction`.

    Pickles as ``getattr(instance, name)`` and deep-copies by copying the instance and binding
    again: exactly what a plain bound method does.
    """

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        parent = self._self_parent
        instance = self._self_instance
        if instance is None:
            return parent.__reduce_ex__(protocol)  # type: ignore[no-any-return]
        return (getattr, (instance, parent._self_patched_name))

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__reduce_ex__(2)

    def __copy__(self) -> BoundPatchedFunction:
        return self  # as immutable as the bound method it stands for

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        instance = self._self_instance
        if instance is None or isinstance(instance, type):
            return self
        copied = copy.deepcopy(instance, memo)
        return self._self_parent.__get__(copied, type(copied))


class PatchedFunction(_FunctionWrapper):
    """Our wrapper of ``owner.name``. Pickles and copies as the function it wraps (by reference)."""

    __bound_function_wrapper__ = BoundPatchedFunction

    def __init__(
        self, wrapped: Any, wrapper: Wrapper, owner: object, name: str, inherited: bool = False
    ) -> None:
        switch = _Switch([True])
        # The stubs want __bool__; a list's truth comes from its C-level length instead.
        super().__init__(wrapped, wrapper, switch)  # type: ignore[arg-type]
        self._self_switch = switch
        self._self_patched_owner = owner
        self._self_patched_name = name
        #: The owner had no attribute of its own: unwrapping deletes ours instead of restoring.
        self._self_inherited = inherited

    @property
    def active(self) -> bool:
        """False once ``unwrap`` turned it into a pass-through."""
        return bool(self._self_switch)

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return _by_reference(self._self_patched_owner, self._self_patched_name)

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__reduce_ex__(2)

    def __copy__(self) -> PatchedFunction:
        return self  # functions are not copied either

    def __deepcopy__(self, memo: dict[int, Any]) -> PatchedFunction:
        return self


def wrap(target: object, name: str, wrapper: Wrapper) -> PatchedFunction:
    """Wrap ``target.name`` with ``wrapper`` and return our wrapper.

    ``target`` is a class, a module, or a module's import path; ``name`` may be dotted
    (``"BaseChatModel.invoke"``), as for ``wrapt.wrap_function_wrapper``.
    """
    owner, attribute = _resolve(target, name)
    inherited = isinstance(owner, type) and attribute not in vars(owner)
    original = _raw_attribute(owner, attribute)
    patched = PatchedFunction(original, wrapper, owner, attribute, inherited)
    setattr(owner, attribute, patched)
    return patched


def unwrap(target: object, name: str) -> int:
    """Take every wrapper of ours out of ``target.name``; returns how many there were.

    Other wrappers stay, in their order. Ours is spliced out: the attribute is restored when ours
    is outermost, else the wrapt proxy above it is re-pointed past it. Where that is impossible
    (a plain function wrapper such as ``functools.wraps`` closed over ours), ours stays in the
    chain as a pass-through. Either way it records nothing from now on.
    """
    owner, attribute = _resolve(target, name)
    node: object = _own_attribute(owner, attribute)
    outer: object = None
    removed = 0
    for _ in range(_MAX_CHAIN):
        if node is None:
            break
        ours = _ours(node)
        if ours is None:
            outer, node = node, _wrapped_by(node)
            continue
        removed += 1
        ours._self_switch.clear()
        inner = _wrapped_by(node)
        if outer is None:
            if ours._self_inherited:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, inner)
        elif not _repoint(outer, inner):
            outer = node  # ours stays in the chain, as a pass-through
        node = inner
    return removed


def _ours(node: object) -> PatchedFunction | None:
    """Our wrapper, if ``node`` is one or a binding of one (``type()``: proxies fake __class__)."""
    kind = type(node)
    if issubclass(kind, PatchedFunction):
        return node  # type: ignore[return-value]
    if issubclass(kind, BoundPatchedFunction):
        parent = node._self_parent  # type: ignore[attr-defined]
        return parent if isinstance(parent, PatchedFunction) else None
    return None


def _repoint(outer: Any, inner: object) -> bool:
    """Make the wrapt proxy ``outer`` wrap ``inner``; False if ``outer`` is no proxy or refuses."""
    if not isinstance(outer, _PROXY):
        return False
    try:
        outer.__wrapped__ = inner
        return outer.__wrapped__ is inner
    except Exception:
        return False


def _wrapped_by(node: object) -> object:
    try:
        return getattr(node, "__wrapped__", None)
    except Exception:
        return None


def _resolve(target: object, name: str) -> tuple[object, str]:
    """(the object holding the attribute, the attribute's name)."""
    owner = importlib.import_module(target) if isinstance(target, str) else target
    *path, attribute = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attribute


def _raw_attribute(owner: object, attribute: str) -> Any:
    """The attribute as stored (the function, not a bound method), inherited ones included."""
    if isinstance(owner, type):
        for cls in owner.__mro__:
            if attribute in vars(cls):
                return vars(cls)[attribute]
    return getattr(owner, attribute)


def _own_attribute(owner: object, attribute: str) -> object:
    """What ``wrap`` set on ``owner``; None if the attribute is only inherited (never ours)."""
    if isinstance(owner, type):
        return vars(owner).get(attribute)
    return getattr(owner, attribute, None)

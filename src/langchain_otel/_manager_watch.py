"""What LangChain tells one request's run manager, seen without changing the manager.

A request that streams inside ``invoke`` reports each chunk to its run manager
(``on_llm_new_token``): that says the request streamed on the wire, and carries the answer. A
``BaseLLM.stream`` yields only text: its whole answer reaches its run manager's ``on_llm_end``.

For the request's duration the manager's class is a subclass of its own (made once per manager
class) whose ``on_llm_new_token`` and ``on_llm_end`` tell the request, found by the manager's
run id, then run the originals (an async original stays async). The manager's attributes stay
as they were (``vars()`` is unchanged); a copy of it (``copy.copy``) is of the same subclass, so
its tokens reach its own handlers and are seen too, and so is the sync twin an async manager
makes (``get_sync()``, which LangChain hands to a ``_generate`` it runs in an executor; the twin
keeps the subclass, which after the request does what its class does). Nothing else pays
anything: no other manager is watched (``stream()`` reports every chunk of its own manager,
never watched). At the request's end the class is restored.

A manager that is not one of LangChain's (a mock, say) is never watched: changing its class
could change what it does.
"""

from __future__ import annotations

import copy
import copyreg
import inspect
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

_logger = logging.getLogger(__name__)

Note = Callable[[Any], None]

#: The watched requests, by their run manager's run id (as many as requests run at once): what
#: to call with each chunk and with the answer at the end.
_WATCHED: dict[object, tuple[Note | None, Note | None]] = {}
_SUBCLASSES: dict[type, type] = {}
_WATCHING: set[type] = set()
_NOT_WATCHED = (None, None)


def _key(run_id: object) -> object:
    """A run id as a key: a UUID's int (hashing a UUID runs Python code: ~1.5k instructions)."""
    return run_id.int if type(run_id) is UUID else run_id


def _tell(manager: Any, which: int, value: object) -> None:
    try:
        note = _WATCHED.get(_key(manager.run_id), _NOT_WATCHED)[which]
        if note is not None and value is not None:
            note(value)
    except Exception:
        _logger.debug("langchain-otel: watching the run manager failed", exc_info=True)


def _told(which: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    """What a call tells: a token's ``chunk``, the end's ``response``."""
    if which == 0:
        return kwargs.get("chunk")
    return args[0] if args else kwargs.get("response")


def _telling(original: Callable[..., Any], which: int, name: str) -> Callable[..., Any]:
    """``original`` (sync or async alike), telling the request first."""
    if inspect.iscoroutinefunction(original):

        async def told_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            _tell(self, which, _told(which, args, kwargs))
            return await original(self, *args, **kwargs)

        told: Callable[..., Any] = told_async
    else:

        def told(self: Any, *args: Any, **kwargs: Any) -> Any:
            _tell(self, which, _told(which, args, kwargs))
            return original(self, *args, **kwargs)

    told.__name__ = told.__qualname__ = name
    return told


def _watching(cls: type) -> type:
    """The subclass of ``cls`` whose ``on_llm_new_token`` and ``on_llm_end`` tell first."""
    subclass = _SUBCLASSES.get(cls)
    if subclass is not None:
        return subclass
    namespace: dict[str, Any] = {
        "__slots__": (),  # the same layout: the instance keeps its __dict__ as it is
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    for which, name in enumerate(("on_llm_new_token", "on_llm_end")):
        namespace[name] = _telling(getattr(cls, name), which, name)
    get_sync = getattr(cls, "get_sync", None)
    if get_sync is not None:  # an async manager: its sync twin reports for the same run
        namespace["get_sync"] = _watching_twin(get_sync)
    namespace["__reduce_ex__"] = _reduced_as(cls)
    if getattr(cls, "__copy__", None) is None:
        namespace["__copy__"] = _copy_watched
    made = type(cls.__name__, (cls,), namespace)
    _WATCHING.add(made)
    return _SUBCLASSES.setdefault(cls, made)  # two threads at once: both use the first one


def _reduced_as(cls: type) -> Callable[[Any, int], Any]:
    """``__reduce_ex__`` naming ``cls``: the watching subclass, made at run time, cannot be found
    by name, so a pickle (or a deep copy) of a watched manager is one of its own class."""
    reduce_ex: Callable[[Any, int], Any] = cls.__reduce_ex__  # type: ignore[assignment]

    def __reduce_ex__(self: Any, protocol: int) -> Any:
        reduced = reduce_ex(self, protocol)
        if (
            isinstance(reduced, tuple)
            and len(reduced) > 1
            and reduced[0] in _RECONSTRUCTORS
            and reduced[1][:1] == (type(self),)
        ):  # rebuilt as ``cls`` (pickle insists on the object's own class for ``__newobj__``)
            return (_RECONSTRUCTOR, (cls, object, None), *reduced[2:])
        return reduced

    return __reduce_ex__


_RECONSTRUCTOR = getattr(copyreg, "_reconstructor")  # noqa: B009  # what protocols 0 and 1 use
_RECONSTRUCTORS = (getattr(copyreg, "__newobj__"), _RECONSTRUCTOR)  # noqa: B009


def _copy_watched(self: Any) -> Any:
    """``copy.copy`` as it copies by default, the watching class kept: a copy's tokens are the
    request's too."""
    reduced: tuple[Any, ...] = object.__reduce_ex__(self, 4)  # type: ignore[assignment]
    return copy._reconstruct(self, None, *reduced)  # type: ignore[attr-defined]


def _watching_twin(get_sync: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def watched_get_sync(self: Any) -> Any:
        twin = get_sync(self)
        try:
            if type(twin) not in _WATCHING and _watchable(type(twin)):
                twin.__class__ = _watching(type(twin))
        except Exception:
            _logger.debug("langchain-otel: cannot watch the sync run manager", exc_info=True)
        return twin

    watched_get_sync.__name__ = watched_get_sync.__qualname__ = "get_sync"
    return watched_get_sync


def _watchable(cls: type) -> bool:
    global _MANAGERS  # noqa: PLW0603  # resolved once
    if _MANAGERS is None:
        from langchain_core.callbacks import manager  # noqa: PLC0415  # loaded by the caller

        _MANAGERS = (manager.CallbackManagerForLLMRun, manager.AsyncCallbackManagerForLLMRun)
    return issubclass(cls, _MANAGERS)


_MANAGERS: tuple[type, ...] | None = None

#: A watched manager, its own class and the watching one, its key in ``_WATCHED``.
Watched = tuple[object, type, type, object]


def watch(run_manager: object, chunk: Note | None, answer: Note | None = None) -> Watched | None:
    """Call ``chunk`` with every chunk ``run_manager`` (or a copy of it) is told of, ``answer``
    with the result it is told at the end; what :func:`unwatch` needs to stop, or None when it
    cannot be watched."""
    run_id = getattr(run_manager, "run_id", None)
    cls = type(run_manager)
    if run_id is None:
        return None
    key = _key(run_id)
    try:
        subclass = _SUBCLASSES.get(cls)
        if subclass is None:
            if cls in _WATCHING or not _watchable(cls):
                return None  # watched already, or not LangChain's
            subclass = _watching(cls)
        _WATCHED[key] = (chunk, answer)
        run_manager.__class__ = subclass
    except Exception:  # an unhashable run id, a class that cannot be swapped
        _WATCHED.pop(key, None)
        _logger.debug("langchain-otel: cannot watch the run manager", exc_info=True)
        return None
    return run_manager, cls, subclass, key


def unwatch(watched: Watched) -> None:
    run_manager, cls, subclass, key = watched
    _WATCHED.pop(key, None)
    try:
        if type(run_manager) is subclass:  # the class this watch set, whatever was made since
            run_manager.__class__ = cls
    except Exception:
        _logger.debug("langchain-otel: cannot restore the run manager", exc_info=True)

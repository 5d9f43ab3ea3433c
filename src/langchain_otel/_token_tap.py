"""The chunks LangChain reports to one request's run manager, seen without changing the manager.

A request that streams inside ``invoke`` reports each chunk to its run manager
(``on_llm_new_token``): that says the request streamed on the wire, and carries the answer. For
the request's duration the manager's class is a subclass of its own (made once per manager
class) whose ``on_llm_new_token`` notes the chunk for the request, found by the manager's run id,
then runs the original. The manager's attributes stay as they were (``vars()`` is unchanged); a
copy of it (``copy.copy``) is of the same subclass, so its tokens reach its own handlers and are
seen too, and so is the sync twin an async manager makes (``get_sync()``, which LangChain hands
to a ``_generate`` it runs in an executor; the twin keeps the subclass, which after the request
does what its class does); nothing else pays anything (``stream()`` reports every chunk of its own run manager,
which is never watched). At the request's end the class is restored.

A manager that is not one of LangChain's (a mock, say) is never watched: changing its class
could change what it does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

_logger = logging.getLogger(__name__)

Note = Callable[[Any], None]

#: The watched requests, by their run manager's run id (as many as requests run at once).
_WATCHED: dict[object, Note] = {}
_SUBCLASSES: dict[type, type] = {}
_WATCHING: set[type] = set()


def _watching(cls: type) -> type:
    """The subclass of ``cls`` whose ``on_llm_new_token`` notes each chunk first."""
    subclass = _SUBCLASSES.get(cls)
    if subclass is not None:
        return subclass
    original = cls.on_llm_new_token  # type: ignore[attr-defined]

    def on_llm_new_token(self: Any, token: str, *args: Any, **kwargs: Any) -> Any:
        note = _WATCHED.get(self.run_id)
        chunk = kwargs.get("chunk")
        if note is not None and chunk is not None:
            note(chunk)
        return original(self, token, *args, **kwargs)

    namespace: dict[str, Any] = {
        "__slots__": (),  # the same layout: the instance keeps its __dict__ as it is
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "on_llm_new_token": on_llm_new_token,
    }
    get_sync = getattr(cls, "get_sync", None)
    if get_sync is not None:  # an async manager: its sync twin reports for the same run
        namespace["get_sync"] = _watching_twin(get_sync)
    subclass = type(cls.__name__, (cls,), namespace)
    _SUBCLASSES[cls] = subclass
    _WATCHING.add(subclass)
    return subclass


def _watching_twin(get_sync: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def watched_get_sync(self: Any) -> Any:
        twin = get_sync(self)
        try:
            if type(twin) not in _WATCHING and _watchable(type(twin)):
                twin.__class__ = _watching(type(twin))
        except Exception:
            _logger.debug("langchain-otel: cannot watch the sync run manager", exc_info=True)
        return twin

    return watched_get_sync


def _watchable(cls: type) -> bool:
    global _MANAGERS  # noqa: PLW0603  # resolved once
    if _MANAGERS is None:
        from langchain_core.callbacks import manager  # noqa: PLC0415  # loaded by the caller

        _MANAGERS = (manager.CallbackManagerForLLMRun, manager.AsyncCallbackManagerForLLMRun)
    return issubclass(cls, _MANAGERS)


_MANAGERS: tuple[type, ...] | None = None


def watch(run_manager: object, note: Note) -> tuple[object, type, object] | None:
    """Note every chunk ``run_manager`` (or a copy of it) is told of; what :func:`unwatch` needs
    to stop, or None when it cannot be watched."""
    run_id = getattr(run_manager, "run_id", None)
    cls = type(run_manager)
    if run_id is None:
        return None
    try:
        if cls.__dict__.get("on_llm_new_token") is not None and cls in _WATCHING:
            return None  # watched already
        if not _watchable(cls):
            return None
        _WATCHED[run_id] = note
        run_manager.__class__ = _watching(cls)
    except Exception:  # an unhashable run id, a class that cannot be swapped
        _WATCHED.pop(run_id, None)
        _logger.debug("langchain-otel: cannot watch the run manager", exc_info=True)
        return None
    return run_manager, cls, run_id


def unwatch(watched: tuple[object, type, object]) -> None:
    run_manager, cls, run_id = watched
    _WATCHED.pop(run_id, None)
    try:
        if type(run_manager) is _SUBCLASSES.get(cls):
            run_manager.__class__ = cls
    except Exception:
        _logger.debug("langchain-otel: cannot restore the run manager", exc_info=True)

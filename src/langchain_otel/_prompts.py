"""Which named prompt template produced the messages a model call sends.

``BasePromptTemplate.invoke``/``ainvoke`` (wrapped when ``langchain_core.prompts.base`` is
imported) note each prompt value a *named* template returns: a LangChain Hub prompt (its
``lc_hub_owner``/``lc_hub_repo`` metadata, versioned by ``lc_hub_commit_hash``), a template the
call config names (``prompt.with_config(run_name=...)``), or one with a ``name`` of its own. A
model call whose messages are that value's (the very objects LangChain passes on: its messages,
or the text of a string prompt) reports the template: ``gen_ai.prompt.name`` and, when known,
``langchain_otel.prompt.version``. With content capture on, the template's variables come too.

The note holds the prompt value weakly, and only the last :data:`MAX_RECENT` are kept: a model
call a while later with other messages never matches, and nothing grows with the number of calls.
"""

from __future__ import annotations

import logging
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._values import Attributes, as_str

_logger = logging.getLogger(__name__)

#: Prompt values remembered at once: enough for the concurrent chains of one process.
MAX_RECENT = 64
_HUB_OWNER = "lc_hub_owner"
_HUB_REPO = "lc_hub_repo"
_HUB_COMMIT = "lc_hub_commit_hash"


@dataclass(frozen=True)
class PromptUse:
    """A named template's use: its name, version, and (content capture on) its variables."""

    name: str
    version: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)

    def attributes(self) -> Attributes:
        attributes: Attributes = {sc.PROMPT_NAME: self.name}
        if self.version is not None:
            attributes[sc.PROMPT_VERSION] = self.version
        return attributes


class PromptLog:
    """The last prompt values named templates returned; one per ``instrument()``."""

    def __init__(self, keep_variables: bool) -> None:
        self._keep_variables = keep_variables
        self._recent: deque[tuple[Callable[[], object], PromptUse]] = deque(maxlen=MAX_RECENT)

    def noted(self, template: object, config: object, variables: object, value: object) -> None:
        """``template`` returned ``value`` (telemetry: never raises)."""
        try:
            use = _use_of(template, config)
            if use is None:
                return
            if self._keep_variables and isinstance(variables, Mapping):
                use = PromptUse(use.name, use.version, dict(variables))
            self._recent.append((weakref.ref(value), use))
        except Exception:
            _logger.debug("langchain-otel: reading a prompt template failed", exc_info=True)

    def used_for(self, sent: object) -> PromptUse | None:
        """The template that produced ``sent``: a model call's input, or the messages (or
        completion prompts) LangChain made of it. None when no named template did."""
        if not self._recent:
            return None
        try:
            for ref, use in reversed(list(self._recent)):  # a snapshot: other threads append
                value = ref()
                if value is not None and _produced(value, sent):
                    return use
        except Exception:
            _logger.debug("langchain-otel: matching a prompt failed", exc_info=True)
        return None


def _use_of(template: object, config: object) -> PromptUse | None:
    """The name a template was given (hub, call config, its own), or None: an unnamed one."""
    metadata = getattr(template, "metadata", None)
    if isinstance(metadata, Mapping):
        repo = as_str(metadata.get(_HUB_REPO))
        if repo is not None:
            owner = as_str(metadata.get(_HUB_OWNER))
            hub_name = f"{owner}/{repo}" if owner is not None and owner != "-" else repo
            return PromptUse(hub_name, as_str(metadata.get(_HUB_COMMIT)))
    run_name = as_str(config.get("run_name")) if isinstance(config, Mapping) else None
    name = run_name or as_str(getattr(template, "name", None))
    return PromptUse(name) if name is not None else None


def _produced(value: Any, sent: object) -> bool:
    """Whether ``sent`` is ``value`` or what LangChain made of it, by identity."""
    if sent is value:
        return True
    if not isinstance(sent, list) or not sent:
        return False
    messages = getattr(value, "messages", None)
    if isinstance(messages, list):  # a chat prompt: its very message objects
        return len(messages) == len(sent) and all(
            a is b for a, b in zip(messages, sent, strict=True)
        )
    text = getattr(value, "text", None)
    if isinstance(text, str) and len(sent) == 1:  # a string prompt: its very text
        first = sent[0]
        return first is text or getattr(first, "content", None) is text
    return False


def observed_prompt(log: PromptLog) -> Callable[..., Any]:
    """The wrapper of ``BasePromptTemplate.invoke``: notes what a named template returned."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        value = wrapped(*args, **kwargs)
        log.noted(instance, _config(args, kwargs), _variables(args, kwargs), value)
        return value

    return wrapper


def observed_aprompt(log: PromptLog) -> Callable[..., Any]:
    """The async twin of :func:`observed_prompt` (``ainvoke``)."""

    async def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        value = await wrapped(*args, **kwargs)
        log.noted(instance, _config(args, kwargs), _variables(args, kwargs), value)
        return value

    return wrapper


def _config(args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    return args[1] if len(args) > 1 else kwargs.get("config")


def _variables(args: tuple[Any, ...], kwargs: dict[str, Any]) -> object:
    return args[0] if args else kwargs.get("input")

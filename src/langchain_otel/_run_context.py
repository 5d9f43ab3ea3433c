"""What a span learns from the run it belongs to: whose conversation, which node, the app's context.

Every span of a run (the agent or workflow run, its chat, tool, retrieval and embedding calls,
nested runs) carries, when known:

- ``gen_ai.conversation.id``: the call config's ``configurable`` ``thread_id`` / ``session_id`` /
  ``conversation_id`` (LangGraph's thread, ``RunnableWithMessageHistory``'s session), else the
  same keys in its metadata (LangGraph copies the thread there); never generated;
- the application metadata the user mapped to attributes (``metadata_attributes``);
- ``langchain_otel.langgraph.node``: the LangGraph node whose code made the call;
- ``gen_ai.agent.name``, on the calls inside an agent run (chat, tool, retrieval, embeddings):
  the innermost agent's name.

Where it comes from: the call's own LangChain metadata and ``configurable`` (its explicit config
over the ambient one that LangChain and LangGraph set for the code they run; for a chat or
completion request, the run manager LangChain built, which already merged them), and what the
enclosing run passed down for what the call's own config lacks (an ``AgentExecutor`` hands its
tools and model only callbacks). Values are read, never called: a string, number, boolean or
UUID is kept (bounded later like every attribute); anything else is left out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_otel import _semconv as sc
from langchain_otel._values import INT64_MAX, INT64_MIN, Attributes

#: Where applications and LangChain keep a conversation's identity, in order.
CONVERSATION_KEYS = ("thread_id", "session_id", "conversation_id")
_NODE_KEY = "langgraph_node"
_NOTHING: Mapping[str, Any] = {}


def ambient_config() -> Mapping[str, Any]:
    """The config LangChain set for the code running now (a node's, a tool's, a chain step's)."""
    config = _child_config().get()
    return config if isinstance(config, Mapping) else _NOTHING


def _child_config() -> Any:
    """``langchain_core``'s ContextVar, imported at the first call (LangChain is loaded then)."""
    global _CHILD_CONFIG  # noqa: PLW0603  # resolved once
    if _CHILD_CONFIG is None:
        from langchain_core.runnables.config import var_child_runnable_config  # noqa: PLC0415

        _CHILD_CONFIG = var_child_runnable_config
    return _CHILD_CONFIG


_CHILD_CONFIG: Any = None


def call_config(args: Sequence[Any], kwargs: Mapping[str, Any]) -> object:
    """The ``config`` of a Runnable call ``invoke(input, config)`` / ``stream(input, config)``;
    a ``batch``'s first one (its configs are one per input)."""
    config = args[1] if len(args) > 1 else kwargs.get("config")
    if isinstance(config, list):
        return config[0] if config else None
    return config


def call_input(args: Sequence[Any], kwargs: Mapping[str, Any]) -> object:
    """The ``input`` of a Runnable call."""
    return args[0] if args else kwargs.get("input")


def config_parts(*configs: object) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(metadata, configurable) of a call: its ``configs`` (the first wins) over the ambient one.

    One source is returned as it is; only several are merged.
    """
    metadata: list[Mapping[str, Any]] = []
    configurable: list[Mapping[str, Any]] = []
    for config in (*configs, ambient_config()):
        if isinstance(config, Mapping):
            for parts, key in ((metadata, "metadata"), (configurable, "configurable")):
                part = config.get(key)
                if isinstance(part, Mapping) and part:
                    parts.append(part)
    return _merged(metadata), _merged(configurable)


def _merged(parts: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    if not parts:
        return _NOTHING
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, Any] = {}
    for part in reversed(parts):
        merged.update(part)
    return merged


class RunContext:
    """Reads the run context of a call; built once per ``instrument()`` from its settings."""

    __slots__ = ("_mapped",)

    def __init__(self, mapped: tuple[tuple[str, str], ...] = ()) -> None:
        #: (metadata key, attribute name) pairs the application asked for.
        self._mapped = mapped

    def attributes(
        self,
        metadata: Mapping[str, Any] | None,
        configurable: Mapping[str, Any] | None,
        inherited: Mapping[str, Any] | None,
    ) -> Attributes:
        """The run context of one call; ``inherited``: what the enclosing run passed down."""
        attributes: Attributes = dict(inherited) if inherited else {}
        conversation = _conversation_id(configurable or _NOTHING, metadata or _NOTHING)
        if conversation is not None:
            attributes[sc.CONVERSATION_ID] = conversation
        if metadata:
            node = metadata.get(_NODE_KEY)
            if type(node) is str and node:
                attributes[sc.LANGGRAPH_NODE] = node
            for key, attribute in self._mapped:
                value = _attribute_value(metadata.get(key))
                if value is not None:
                    attributes[attribute] = value
        return attributes

    def passed_down(self, attributes: Mapping[str, Any]) -> Attributes:
        """What a run hands the calls inside it: its conversation and application context (its
        node is its own: the calls inside run in nodes of their own)."""
        return {key: value for key, value in attributes.items() if key != sc.LANGGRAPH_NODE}


def _conversation_id(configurable: Mapping[str, Any], metadata: Mapping[str, Any]) -> str | None:
    for source in (configurable, metadata):
        if source:
            for key in CONVERSATION_KEYS:
                value = source.get(key)
                if value is None:  # the common case: no such key (one dict read)
                    continue
                value = _attribute_value(value)
                if value is not None and not isinstance(value, (bool, float)):
                    return str(value)
    return None


def _attribute_value(value: object) -> str | bool | int | float | None:
    """A metadata value as an attribute value, or None. Only values read without running code
    of theirs: a string, a number in range, a boolean or a UUID (a subclass is read through its
    base type); ``sanitized`` bounds them like every attribute."""
    if isinstance(value, str):
        return str.__str__(value) or None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        number = int.__int__(value)
        return number if INT64_MIN <= number <= INT64_MAX else None
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, uuid.UUID):
        return uuid.UUID.__str__(value)
    return None

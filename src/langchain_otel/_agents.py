"""What an agent or workflow run reads: LangGraph graphs and the legacy ``AgentExecutor``.

A graph run is an agent (``invoke_agent {gen_ai.agent.name}``) when:

- LangChain's ``create_agent`` built it (its config metadata says ``ls_integration:
  langchain_create_agent``; the agent's name is its ``lc_agent_name``);
- LangGraph's ``create_react_agent`` built it (its ``agent`` node is that function's model call);
- the application marked it with the metadata key ``gen_ai.agent.name`` (on the graph,
  ``graph.with_config(metadata={...})``, or on a top-level call's config), optionally with
  ``gen_ai.agent.id`` and ``gen_ai.agent.description``.

Any other graph run is a workflow (``invoke_workflow {gen_ai.workflow.name}``). The name is the one
the application gave (the agent name above, a top-level call's ``run_name``, the graph's ``name``),
never LangGraph's default ``LangGraph``: an unnamed run's span is just ``invoke_agent`` /
``invoke_workflow``. Metadata on a nested run's call config is inherited from its parents, so only
a top-level call's config marks or names a run. Its run context (conversation, application
metadata, the node it runs in) is the structure telemetry's, read from the configs ``Start``
names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanKind

from langchain_otel import _semconv as sc
from langchain_otel._content import ChatContent, TextMessage, input_messages, output_message
from langchain_otel._lifecycle import ours_is_current
from langchain_otel._run_context import call_config
from langchain_otel._structure import Start
from langchain_otel._values import Attributes

_DEFAULT_GRAPH_NAME = "LangGraph"
_CREATE_AGENT = "langchain_create_agent"
_REACT_MODEL_CALL = "create_react_agent.<locals>."


class GraphRun:
    """``Pregel.invoke``/``ainvoke``/``stream``/``astream``: one graph run."""

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        own = _mapping(getattr(owner, "config", None))
        call = _call_config(args, kwargs)
        own_metadata = _mapping(own.get("metadata"))
        metadata = own_metadata if nested else {**own_metadata, **_mapping(call.get("metadata"))}
        name = _string(metadata.get(sc.AGENT_NAME))
        agent = name is not None or _is_agent_graph(owner, own_metadata)
        if name is None and agent:
            name = _string(own_metadata.get("lc_agent_name"))
        if name is None and not nested:
            name = _string(call.get("run_name"))
        if name is None:
            graph_name = _string(getattr(owner, "name", None))
            name = graph_name if graph_name != _DEFAULT_GRAPH_NAME else None
        attributes = _run_attributes(agent, name, metadata)
        return _run_start(agent, name, attributes, args, kwargs, inner_stream=True, own=own)

    def result_attributes(self, result: object) -> Attributes:
        return {}

    def handled_error(self, result: object) -> str | None:
        return None

    def state_of(self, chunk: object) -> object:
        """A graph's state (``values`` mode, alone or among other modes) or an
        ``AgentExecutor``'s final chunk (its ``output``).

        The chunk is the application's data: a mode marker is compared only once it is a
        string (``array == "values"`` is an array, whose truth raises).
        """
        if isinstance(chunk, Mapping):
            if _is_values_mode(chunk.get("type")) and isinstance(chunk.get("data"), Mapping):
                return chunk["data"]  # a v2 stream part
            return chunk if "messages" in chunk or "output" in chunk else None
        if isinstance(chunk, tuple) and len(chunk) == 2 and _is_values_mode(chunk[0]):
            return chunk[1] if isinstance(chunk[1], Mapping) else None
        return None

    def content(self, content_input: object, result: object, max_length: int) -> ChatContent | None:
        return run_content(content_input, result, max_length)


class AgentExecutorRun(GraphRun):
    """The legacy ``AgentExecutor`` (langchain-classic): always an agent. Its ``invoke`` does not
    run through its ``stream``: both start a span."""

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        call = _call_config(args, kwargs)
        metadata = {} if nested else _mapping(call.get("metadata"))
        name = _string(metadata.get(sc.AGENT_NAME))
        if name is None and not nested:
            name = _string(call.get("run_name"))
        if name is None:
            name = _string(getattr(owner, "name", None))
        attributes = _run_attributes(True, name, metadata)
        return _run_start(True, name, attributes, args, kwargs, inner_stream=False)


class ChainRun(GraphRun):
    """A top-level LCEL runnable: a ``|`` sequence, a parallel map or a ``RunnableLambda``
    (``@chain``) called with no span of ours current. It is a workflow (``invoke_workflow``,
    named only by the application: the call's ``run_name``, the runnable's ``name``, a
    ``@chain`` function's name), so a chain's retrievals and model calls are one trace. A
    runnable inside one of ours (a chain's steps, a chain run in a node or a tool) gets no span.
    """

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        if nested or ours_is_current():
            return None
        name = _string(_call_config(args, kwargs).get("run_name"))
        if name is None:
            name = _string(getattr(owner, "name", None))
        attributes = _run_attributes(False, name, {})
        return _run_start(False, name, attributes, args, kwargs, inner_stream=False)

    def state_of(self, chunk: object) -> object:
        return None  # a chain streams pieces of its answer, not states

    def content(self, content_input: object, result: object, max_length: int) -> ChatContent | None:
        """As a run's, and a string answer (a chain ending in a string parser) as its output."""
        content = run_content(content_input, result, max_length) or ChatContent()
        if not content.output_messages and isinstance(result, str):
            content.output_messages = [output_message(TextMessage("ai", result), None, max_length)]
        return content if content.input_messages or content.output_messages else None


def _run_attributes(agent: bool, name: str | None, metadata: Mapping[str, Any]) -> Attributes:
    if not agent:
        attributes: Attributes = {sc.OPERATION_NAME: sc.OPERATION_INVOKE_WORKFLOW}
        if name is not None:
            attributes[sc.WORKFLOW_NAME] = name
        return attributes
    attributes = {sc.OPERATION_NAME: sc.OPERATION_INVOKE_AGENT}
    if name is not None:
        attributes[sc.AGENT_NAME] = name
    for key in (sc.AGENT_ID, sc.AGENT_DESCRIPTION):
        value = _string(metadata.get(key))
        if value is not None:
            attributes[key] = value
    return attributes


def _run_start(
    agent: bool,
    name: str | None,
    attributes: Attributes,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    inner_stream: bool,
    own: object = None,
) -> Start:
    """``own``: the runnable's own config (a graph's ``with_config``), under the call's."""
    operation = sc.OPERATION_INVOKE_AGENT if agent else sc.OPERATION_INVOKE_WORKFLOW
    return Start(
        name=f"{operation} {name}" if name else operation,
        kind=SpanKind.INTERNAL,
        attributes=attributes,
        run=True,
        inner_stream=inner_stream,
        content_input=args[0] if args else kwargs.get("input"),
        configs=(call_config(args, kwargs), own),
    )


def _is_values_mode(marker: object) -> bool:
    return type(marker) is str and marker == "values"


def _is_agent_graph(graph: Any, own_metadata: Mapping[str, Any]) -> bool:
    """Built by ``create_agent`` (its metadata) or ``create_react_agent`` (its model call)."""
    if own_metadata.get("ls_integration") == _CREATE_AGENT:
        return True
    nodes = getattr(graph, "nodes", None)
    node = nodes.get("agent") if isinstance(nodes, Mapping) else None
    function = getattr(getattr(node, "bound", None), "func", None)
    qualname = getattr(function, "__qualname__", None)
    return isinstance(qualname, str) and qualname.startswith(_REACT_MODEL_CALL)


def _call_config(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``config`` of ``invoke(input, config)`` / ``stream(input, config)``."""
    return _mapping(call_config(args, kwargs))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# -- content (opt-in) -----------------------------------------------------------------------------


def run_content(run_input: object, result: object, max_length: int) -> ChatContent | None:
    """The run's input messages and its final answer (the last message of the final state)."""
    inputs = _messages(run_input)
    content = ChatContent()
    if inputs:
        content.input_messages, _system = input_messages(inputs, False, max_length)
    outputs = [result] if _is_answer(result) else _messages(result)
    if outputs and _is_answer(outputs[-1]):
        content.output_messages = [output_message(outputs[-1], None, max_length)]
    return content if content.input_messages or content.output_messages else None


def _is_answer(value: object) -> bool:
    """A model's message (the application's own objects may have any ``type``)."""
    kind = getattr(value, "type", None)
    return type(kind) is str and kind in ("ai", "AIMessageChunk")


def _messages(value: object) -> list[Any]:
    """Messages in a run's input or output: a state's ``messages``, an ``AgentExecutor``'s
    ``input``/``output`` text, or a list of messages; LangChain's own conversion."""
    if isinstance(value, Mapping):
        if "messages" in value:
            value = value["messages"]
        elif isinstance(value.get("output"), str):
            value = [("ai", value["output"])]
        elif isinstance(value.get("input"), str):
            value = [("human", value["input"])]
        else:
            return []
    if isinstance(value, str):
        value = [("human", value)]
    if not isinstance(value, Sequence) or isinstance(value, (bytes, str)):
        return []
    from langchain_core.messages import convert_to_messages  # noqa: PLC0415  # content only

    return list(convert_to_messages(value))

"""What a tool execution and a retrieval read.

- ``BaseTool.run``/``arun``: every tool execution, whichever way it was called (``invoke`` with a
  ``ToolCall`` from LangGraph's ``ToolNode``, ``AgentExecutor``, a direct call). ``arun`` of a
  sync-only tool runs ``_run`` in a thread, never ``run``: one span per execution.
- ``BaseRetriever.invoke``/``ainvoke``: one retrieval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from opentelemetry.trace import SpanKind

from langchain_otel import _semconv as sc
from langchain_otel._content import ChatContent, truncate, truncate_values
from langchain_otel._run_context import call_config
from langchain_otel._structure import Start
from langchain_otel._values import Attributes, as_float, as_int

if TYPE_CHECKING:
    from langchain_core.messages import ToolMessage

#: ``error.type`` of a tool answer LangChain marked as an error without telling us why.
_OTHER_ERROR = "_OTHER"


class ToolRun:
    """``BaseTool.run(tool_input, ..., tool_call_id=...)`` and its async twin."""

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        name = getattr(owner, "name", None)
        if not isinstance(name, str) or not name:
            name = type(owner).__name__
        attributes: Attributes = {
            sc.OPERATION_NAME: sc.OPERATION_EXECUTE_TOOL,
            sc.TOOL_NAME: name,
            sc.TOOL_TYPE: sc.TOOL_TYPE_FUNCTION,
        }
        description = getattr(owner, "description", None)
        if isinstance(description, str) and description:
            attributes[sc.TOOL_DESCRIPTION] = description
        call_id = kwargs.get("tool_call_id")
        if isinstance(call_id, str) and call_id:
            attributes[sc.TOOL_CALL_ID] = call_id
        tool_input = args[0] if args else kwargs.get("tool_input")
        return Start(
            name=f"{sc.OPERATION_EXECUTE_TOOL} {name}",
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            content_input=(owner, tool_input),
            # ``invoke`` passes its (ensured) config; a direct ``run(..., metadata=...)`` may not
            configs=(kwargs.get("config"), {"metadata": kwargs.get("metadata")}),
        )

    def result_attributes(self, result: object) -> Attributes:
        return {}

    def handled_error(self, result: object) -> str | None:
        """A ``ToolMessage`` with ``status="error"`` whose cause we did not see."""
        return _OTHER_ERROR if _is_error_answer(result) else None

    def state_of(self, chunk: object) -> object:
        return None

    def content(self, content_input: object, result: object, max_length: int) -> ChatContent | None:
        tool, tool_input = content_input if isinstance(content_input, tuple) else (None, None)
        arguments = _visible_arguments(tool, tool_input)
        content = ChatContent(tool_call_arguments=_arguments(arguments, max_length))
        if result is not None and not _is_error_answer(result):
            value = result.content if _is_tool_message(result) else result
            content.tool_call_result = truncate_values(value, max_length)
        return content


def _visible_arguments(tool: Any, tool_input: object) -> object:
    """The arguments the model gave: without the ones LangGraph injects (state, store,
    runtime), filtered the way LangChain filters them for its own callbacks."""
    if not isinstance(tool_input, Mapping):
        return tool_input
    flt = getattr(tool, "_filter_injected_args", None)
    if flt is not None:
        try:
            return flt(dict(tool_input))
        except Exception:
            return {}
    fields = getattr(getattr(tool, "tool_call_schema", None), "model_fields", None)
    if isinstance(fields, Mapping):
        return {k: v for k, v in tool_input.items() if k in fields}
    return dict(tool_input)


def _arguments(tool_input: object, max_length: int) -> object:
    if isinstance(tool_input, str):  # a string tool input: JSON if it is JSON, else the text
        return truncate(tool_input, max_length)
    return truncate_values(tool_input, max_length)


def _is_tool_message(value: object) -> TypeGuard[ToolMessage]:
    from langchain_core.messages import ToolMessage  # noqa: PLC0415  # tools imported it

    return isinstance(value, ToolMessage)


def _is_error_answer(result: object) -> bool:
    """LangChain's own error mark: only a ``ToolMessage`` carries it. Any other result is the
    tool's value, whatever fields it has (a job object whose ``status`` is ``"error"``)."""
    return _is_tool_message(result) and result.status == "error"


class Retrieval:
    """``BaseRetriever.invoke(input, config)``: ``retrieval {gen_ai.data_source.id}``.

    The data source is the one the application named (the call's ``run_name``, the retriever's
    ``name``); an unnamed retriever's span is just ``retrieval``, as the conventions name it, and
    ``langchain_otel.retriever.type`` says what it is: the vector store's class
    (``InMemoryVectorStore``), else the retriever's.
    """

    def start(
        self, owner: Any, args: Sequence[Any], kwargs: Mapping[str, Any], nested: bool
    ) -> Start | None:
        config = call_config(args, kwargs)
        run_name = config.get("run_name") if isinstance(config, Mapping) else None
        given = next((n for n in (run_name, getattr(owner, "name", None)) if _text(n)), None)
        store = getattr(owner, "vectorstore", None)
        attributes: Attributes = {
            sc.OPERATION_NAME: sc.OPERATION_RETRIEVAL,
            sc.RETRIEVER_TYPE: type(store if store is not None else owner).__name__,
        }
        name = sc.OPERATION_RETRIEVAL
        if isinstance(given, str):
            name = f"{name} {given}"
            attributes[sc.DATA_SOURCE_ID] = given
        top_k = _top_k(owner)
        if top_k is not None:
            attributes[sc.REQUEST_TOP_K] = top_k
        return Start(
            name=name,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            content_input=args[0] if args else kwargs.get("input"),
            configs=(config,),
        )

    def result_attributes(self, result: object) -> Attributes:
        if isinstance(result, list):
            return {sc.RETRIEVAL_DOCUMENT_COUNT: len(result)}
        return {}

    def handled_error(self, result: object) -> str | None:
        return None

    def state_of(self, chunk: object) -> object:
        return None

    def content(self, content_input: object, result: object, max_length: int) -> ChatContent | None:
        content = ChatContent()
        if isinstance(content_input, str):
            content.retrieval_query = truncate(content_input, max_length)
        for document in result if isinstance(result, list) else ():
            entry: dict[str, Any] = {}
            if _text(getattr(document, "id", None)):
                entry["id"] = document.id
            text = getattr(document, "page_content", None)
            if isinstance(text, str):
                entry["content"] = truncate(text, max_length)
            content.retrieval_documents.append(entry)
        return content


def _top_k(retriever: Any) -> float | None:
    """The number of documents asked for: ``search_kwargs["k"]`` (vector stores) or ``k``, as
    ``gen_ai.request.top_k`` takes it (a double)."""
    search_kwargs = getattr(retriever, "search_kwargs", None)
    k = search_kwargs.get("k") if isinstance(search_kwargs, Mapping) else None
    if k is None:
        k = getattr(retriever, "k", None)
    return as_float(k) if as_int(k) is not None else None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)

"""Opt-in message content: LangChain messages to the GenAI JSON shapes, limits, hook, event.

Nothing here runs unless the user turned content capture on
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` or ``instrument(capture_content=...)``),
except :func:`tool_names`, which records bound tools' names and types (no descriptions, no schemas).
Binary data (images, audio, files sent inline) is never recorded: a blob part keeps its mime type
and size with empty content.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span

if TYPE_CHECKING:
    from opentelemetry._logs import LoggerProvider

from langchain_otel import _semconv as sc
from langchain_otel._values import utf8_text, utf8_values
from langchain_otel.config import ContentCapture

_logger = logging.getLogger(__name__)

Part = dict[str, Any]
Message = dict[str, Any]

_ROLES = {
    "human": "user",
    "ai": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "tool",
}
_MEDIA_TYPES = {
    "image_url": "image",
    "image": "image",
    "input_audio": "audio",
    "audio": "audio",
    "video": "video",
    "file": "document",
    "document": "document",
    "media": None,
}
_TOOL_CALL_BLOCKS = frozenset({"tool_use", "tool_call", "function_call", "tool_call_chunk"})
_TRUNCATION_MARK = "…[truncated]"
EVENT_NAME = "gen_ai.client.inference.operation.details"


@dataclass
class ChatContent:
    """The content of one span in the GenAI JSON shapes, as the redaction hook sees it.

    One type for every span, so one hook redacts them all; a span fills only its own fields.

    Chat spans: ``input_messages`` / ``output_messages``: ``[{"role", "parts": [...]}]``;
    ``system_instructions``: a list of parts (only for APIs that take them separately);
    ``tool_definitions``: ``[{"type": "function", "name", "description", "parameters"}]``;
    ``prompt_variables``: the named template's variables (name -> text).
    Agent and workflow spans: ``input_messages`` / ``output_messages``.
    Tool spans: ``tool_call_arguments`` (usually a dict) and ``tool_call_result`` (text or a
    JSON-able value). Retrieval spans: ``retrieval_query`` and ``retrieval_documents``
    (``[{"id"?, "content"}]``).
    """

    input_messages: list[Message] = field(default_factory=list)
    output_messages: list[Message] = field(default_factory=list)
    system_instructions: list[Part] = field(default_factory=list)
    tool_definitions: list[dict[str, Any]] = field(default_factory=list)
    tool_call_arguments: Any = None
    tool_call_result: Any = None
    retrieval_query: str | None = None
    retrieval_documents: list[dict[str, Any]] = field(default_factory=list)
    prompt_variables: dict[str, str] = field(default_factory=dict)

    def attributes(self) -> dict[str, Any]:
        """Non-empty fields under their attribute names (structured values)."""
        variables = {
            f"{sc.PROMPT_VARIABLE_PREFIX}{name}": value
            for name, value in self.prompt_variables.items()
            if isinstance(name, str) and isinstance(value, str)
        }
        values = {
            sc.INPUT_MESSAGES: self.input_messages,
            sc.OUTPUT_MESSAGES: self.output_messages,
            sc.SYSTEM_INSTRUCTIONS: self.system_instructions,
            sc.TOOL_DEFINITIONS: self.tool_definitions,
            sc.TOOL_CALL_ARGUMENTS: self.tool_call_arguments,
            sc.TOOL_CALL_RESULT: self.tool_call_result,
            sc.RETRIEVAL_QUERY_TEXT: self.retrieval_query,
            sc.RETRIEVAL_DOCUMENTS: self.retrieval_documents,
            **variables,
        }
        return {name: value for name, value in values.items() if value not in (None, "", [])}


ContentHook = Callable[[ChatContent], "ChatContent | None"]


class TextMessage:
    """A text read like a message (content capture's input and output): a completion's prompt
    or answer, a chain's string answer."""

    __slots__ = ("content", "type")

    def __init__(self, kind: str, content: str) -> None:
        self.type = kind
        self.content = content


# -- LangChain messages -> GenAI parts ------------------------------------------------------------


def input_messages(
    messages: Iterable[object], separate_system: bool, max_length: int
) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions): system messages move out if the API separates them."""
    converted: list[Message] = []
    system: list[Part] = []
    for message in messages:
        role = message_role(message)
        parts = message_parts(message, max_length)
        if separate_system and role == "system":
            system.extend(part for part in parts if part.get("type") == "text")
            continue
        entry: Message = {"role": role, "parts": parts}
        name = getattr(message, "name", None)
        if isinstance(name, str) and name:
            entry["name"] = name
        converted.append(entry)
    return converted, system


def output_message(message: object, finish_reason: str | None, max_length: int) -> Message:
    entry: Message = {"role": "assistant", "parts": message_parts(message, max_length)}
    if finish_reason:
        entry["finish_reason"] = finish_reason
    return entry


def message_role(message: object) -> str:
    kind = getattr(message, "type", None)
    if kind == "chat":
        role = getattr(message, "role", None)
        return role if isinstance(role, str) and role else "user"
    if isinstance(kind, str):
        return _ROLES.get(kind.removesuffix("Chunk").lower(), kind)
    return "user"


def message_parts(message: object, max_length: int) -> list[Part]:
    parts: list[Part] = []
    content = getattr(message, "content", None)
    blocks = [content] if isinstance(content, str) else content
    if isinstance(blocks, list):
        for block in blocks:
            part = _block_part(block, max_length)
            if part is not None:
                parts.append(part)
    if message_role(message) == "tool":
        response = parts[0]["content"] if len(parts) == 1 and "content" in parts[0] else parts
        parts = [{"type": "tool_call_response", "response": response}]
        tool_call_id = getattr(message, "tool_call_id", None)
        if isinstance(tool_call_id, str):
            parts[0]["id"] = tool_call_id
    for call in getattr(message, "tool_calls", None) or ():
        if isinstance(call, Mapping):
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": call.get("name"),
                    "arguments": truncate_values(call.get("args"), max_length),
                }
            )
    return parts


def _block_part(block: object, max_length: int) -> Part | None:
    if isinstance(block, str):
        return {"type": "text", "content": truncate(block, max_length)} if block else None
    if not isinstance(block, Mapping):
        return None
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return (
            {"type": "text", "content": truncate(text, max_length)}
            if isinstance(text, str)
            else None
        )
    if kind in ("reasoning", "thinking"):
        text = block.get("reasoning") or block.get("thinking") or block.get("text")
        return {"type": "reasoning", "content": truncate(str(text or ""), max_length)}
    if kind in _TOOL_CALL_BLOCKS:
        return None  # reported from message.tool_calls, parsed
    if kind in _MEDIA_TYPES:
        return _media_part(block)
    return {"type": str(kind)} if kind else None


def _media_part(block: Mapping[str, Any]) -> Part:
    """A uri/file part, or a blob placeholder: inline bytes are never recorded."""
    raw_source = block.get("source")
    source: Mapping[str, Any] = raw_source if isinstance(raw_source, Mapping) else {}
    image_url = block.get("image_url")
    url = block.get("url") or source.get("url")
    if isinstance(image_url, Mapping):
        url = image_url.get("url")
    elif isinstance(image_url, str):
        url = image_url
    mime_type = block.get("mime_type") or block.get("media_type") or source.get("media_type")
    data = block.get("data") or block.get("base64") or source.get("data")
    if isinstance(url, str) and url.startswith("data:"):
        header, _, data = url.partition(",")
        mime_type = mime_type or header[5:].split(";")[0] or None
        url = None
    modality = _MEDIA_TYPES.get(str(block.get("type"))) or _modality(mime_type)
    part: Part = {"modality": modality}
    if isinstance(mime_type, str) and mime_type:
        part["mime_type"] = mime_type
    if isinstance(url, str) and url:
        return {"type": "uri", **part, "uri": url}
    file_id = block.get("file_id") or block.get("id")
    if isinstance(file_id, str) and file_id and not data:
        return {"type": "file", **part, "file_id": file_id}
    size = (
        len(data) * 3 // 4 if isinstance(data, str) else len(data) if isinstance(data, bytes) else 0
    )
    return {"type": "blob", **part, "content": "", "size": size}


def _modality(mime_type: object) -> str:
    if isinstance(mime_type, str):
        major = mime_type.split("/")[0]
        if major in ("image", "audio", "video"):
            return major
    return "document"


def truncate(text: str, max_length: int) -> str:
    """The first ``max_length`` characters of ``text``, then the mark if any were cut.

    The limit counts the text kept, not the mark: a cut text is ``max_length`` + 12 characters.
    """
    if len(text) <= max_length:
        return text
    return text[:max_length] + _TRUNCATION_MARK


def truncate_values(value: object, max_length: int) -> object:
    """Tool-call arguments with every string bounded; structure kept."""
    if isinstance(value, str):
        return truncate(value, max_length)
    if isinstance(value, Mapping):
        return {str(k): truncate_values(v, max_length) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [truncate_values(v, max_length) for v in value]
    return value


def variable_texts(variables: Mapping[str, Any], max_length: int) -> dict[str, str]:
    """A template's variables as text: strings bounded, numbers and booleans as JSON; a value of
    any other kind (a list of messages for a placeholder) is in the input messages already."""
    texts: dict[str, str] = {}
    for name, value in variables.items():
        if not isinstance(name, str):
            continue
        if isinstance(value, str):
            texts[name] = truncate(value, max_length)
        elif isinstance(value, (bool, int, float)):
            texts[name] = to_json(value)
    return texts


# -- tool definitions -----------------------------------------------------------------------------


def tool_definitions(tools: object, details: bool) -> list[dict[str, Any]]:
    """Bound tools in the spec's shape; description and parameters only when ``details``.

    ``bind_tools`` leaves provider-formatted tools in the call kwargs: OpenAI's
    ``{"type": "function", "function": {...}}``, Anthropic's ``{"name", "input_schema"}``, ...
    """
    if not isinstance(tools, Sequence) or isinstance(tools, (str, bytes)):
        return []
    definitions = []
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        nested = tool.get("function")
        function: Mapping[str, Any] = nested if isinstance(nested, Mapping) else tool
        name = function.get("name")
        if not isinstance(name, str):
            continue
        kind = tool.get("type") if isinstance(tool.get("type"), str) else "function"
        definition: dict[str, Any] = {"type": kind, "name": name}
        if details:
            description = function.get("description")
            if isinstance(description, str):
                definition["description"] = description
            parameters = function.get("parameters") or function.get("input_schema")
            if isinstance(parameters, Mapping):
                definition["parameters"] = parameters
        definitions.append(definition)
    return definitions


def tool_names(kwargs: Mapping[str, Any]) -> str | None:
    """``gen_ai.tool.definitions`` without content: names and types of the bound tools."""
    definitions = tool_definitions(kwargs.get("tools"), details=False)
    return to_json(definitions) if definitions else None


# -- serialization and limits ---------------------------------------------------------------------


def to_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def fit_json(value: list[Any], limit: int | None) -> str:
    """JSON of ``value`` no longer than ``limit``: oldest entries go first, never mid-string.

    The SDK truncates a too-long attribute string blindly, which would leave invalid JSON.
    Linear: each entry is serialized once, newest first, until the next one would not fit (the
    JSON of a list is its entries' JSON joined by commas, so lengths add up).
    """
    text = to_json(value)
    if limit is None or len(text) <= limit:
        return text
    kept: list[str] = []
    length = 2  # the brackets
    for entry in reversed(value):
        part = to_json(entry)
        length += len(part) + (1 if kept else 0)
        if length > limit:
            break
        kept.append(part)
    kept.reverse()
    return "[" + ",".join(kept) + "]"


def attribute_length_limit(span: Span) -> int | None:
    """The SDK span's attribute value length limit, if it has one (private SDK field, guarded)."""
    limits = getattr(span, "_limits", None)
    limit = getattr(limits, "max_span_attribute_length", None)
    return limit if isinstance(limit, int) and limit > 0 else None


# -- the recorder ---------------------------------------------------------------------------------


class ContentRecorder:
    """Builds one call's content, runs the hook, writes span attributes and/or the event."""

    def __init__(
        self,
        mode: ContentCapture,
        max_length: int,
        hook: ContentHook | None,
        events: EventEmitter | None,
    ) -> None:
        self.mode = mode
        self.max_length = max_length
        self._hook = hook
        self._events = events

    def build(
        self,
        inputs: Sequence[object],
        outputs: Sequence[object],
        finish_reasons: Sequence[str],
        tools: object,
        separate_system: bool,
        prompt_variables: Mapping[str, Any] | None = None,
    ) -> ChatContent | None:
        """The call's content after the hook; None when the hook failed (nothing is recorded).

        ``outputs``: the answer's messages, one per choice, matched with ``finish_reasons``;
        ``prompt_variables``: those of the named template that made the messages.
        """
        messages, system = input_messages(inputs, separate_system, self.max_length)
        content = ChatContent(
            input_messages=messages,
            system_instructions=system,
            tool_definitions=tool_definitions(tools, details=True),
            prompt_variables=variable_texts(prompt_variables or {}, self.max_length),
        )
        content.output_messages = [
            output_message(
                output,
                finish_reasons[index] if index < len(finish_reasons) else None,
                self.max_length,
            )
            for index, output in enumerate(outputs)
            if output is not None
        ]
        return self.redacted(content)

    def redacted(self, content: ChatContent) -> ChatContent | None:
        """``content`` after the hook; None when the hook failed (nothing is recorded)."""
        if self._hook is None:
            return content
        try:
            redacted = self._hook(content)
        except Exception:
            _logger.warning(
                "langchain-otel: content hook failed; no content recorded for this call"
            )
            _logger.debug("langchain-otel: content hook failure", exc_info=True)
            return None
        return content if redacted is None else redacted

    def record_on_span(self, span: Span, content: ChatContent) -> None:
        """Lists as JSON that fits the SDK's length limit, text as it is, the rest as JSON.

        Content is text from users, models and tools: a lone surrogate (``json.loads`` makes one
        of a split escape) would make the OTLP encoder drop the attribute, so each becomes U+FFFD.
        """
        limit = attribute_length_limit(span)
        span.set_attributes(
            {
                name: utf8_text(
                    fit_json(value, limit)
                    if isinstance(value, list)
                    else value
                    if isinstance(value, str)
                    else to_json(value)
                )
                for name, value in content.attributes().items()
            }
        )

    def emit_event(self, span: Span, attributes: Mapping[str, Any], content: ChatContent) -> None:
        """One ``gen_ai.client.inference.operation.details`` log record, correlated to the span;
        its structured content made exportable as on spans."""
        if self._events is not None:
            structured = {name: utf8_values(v) for name, v in content.attributes().items()}
            self._events.emit(span, {**attributes, **structured})


def input_sequence(model: object, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[object]:
    """The messages ``invoke``/``stream`` will send, converted the way LangChain converts them."""
    value = args[0] if args else kwargs.get("input")
    if value is None:
        return []
    converter = getattr(model, "_convert_input", None)
    prompt = converter(value) if converter is not None else value
    to_messages = getattr(prompt, "to_messages", None)
    return list(to_messages()) if to_messages is not None else []


class EventEmitter:
    """Emits the details event through the Logs API of the given (or global) logger provider."""

    def __init__(
        self, logger_provider: LoggerProvider | None, version: str, schema_url: str
    ) -> None:
        from opentelemetry._logs import LogRecord, get_logger  # noqa: PLC0415  # only when used

        self._record = LogRecord
        self._logger = get_logger(__name__, version, logger_provider, schema_url=schema_url)

    def emit(self, span: Span, attributes: Mapping[str, Any]) -> None:
        from opentelemetry import trace  # noqa: PLC0415

        span_context = span.get_span_context()
        values = dict(attributes)
        try:
            record = self._record(
                event_name=EVENT_NAME,
                context=trace.set_span_in_context(span),
                attributes=values,
            )
        except TypeError:  # opentelemetry-api < 1.35: no event_name, the event.name attribute
            values["event.name"] = EVENT_NAME
            record = self._record(
                trace_id=span_context.trace_id,
                span_id=span_context.span_id,
                trace_flags=span_context.trace_flags,
                attributes=values,
            )
        self._logger.emit(record)

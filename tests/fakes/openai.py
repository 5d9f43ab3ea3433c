"""OpenAI-shaped APIs on the wire: Chat Completions and Responses, JSON and SSE.

Chat Completions (``POST {prefix}/chat/completions``) follows the chat.completion /
chat.completion.chunk objects; a :class:`Flavor` changes what differs between the servers that
speak it (OpenAI, Azure OpenAI, xAI, DeepSeek): ids, the served model, top-level extras, usage and
Azure's content-filter annotations. Responses (``POST {prefix}/responses``) follows the Response
object and its ``event:``/``data:`` stream (``response.created`` ... ``response.completed`` or
``response.incomplete`` / ``response.failed``).

The script: tools -> a function call (:data:`PARALLEL_TOOLS_PROMPT` -> one call per offered tool,
in one answer); a Responses ``max_output_tokens`` below the answer's
length -> a truncated, ``incomplete`` answer; :data:`CONTENT_FILTER_PROMPT` -> a content-filter
stop; :data:`SERVER_FAILURE_PROMPT` -> a failed Response; :data:`SPLIT_ESCAPE_PROMPT` -> an
answer with a lone surrogate; a model named ``error-<status>`` -> that HTTP status.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes._script import (
    ANSWER,
    answer_words,
    error_status,
    example_for_schema,
    tool_arguments,
)
from tests.fakes.server import FakeServer, Reply, Request, sse

RESPONSE_ID = "chatcmpl-9zK4qV2bX7uQeLmN8pR3sT6wY1aC"
FINGERPRINT = "fp_44709d6fcb"
CREATED = 1_732_000_000
USAGE = {
    "prompt_tokens": 17,
    "completion_tokens": 164,
    "total_tokens": 181,
    "prompt_tokens_details": {"cached_tokens": 5, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 3,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
CALL_ID = "call_Qx7b2LmN4pR8sT1v"
#: The ids of parallel tool calls, in order (the first is :data:`CALL_ID`).
PARALLEL_CALL_IDS = (CALL_ID, "call_Wm3c8KpQ6rT2xY5z", "call_Hn5d1RsV9wB3yZ7k")

# Responses API.
RESPONSES_ID = "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"
MESSAGE_ITEM_ID = "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b"
FUNCTION_ITEM_ID = "fc_67ccd3e9f5a08190a1f5b5b1b5b2c3d40bb6a6b452d3795b"
RESPONSES_CREATED_AT = 1_741_476_542
RESPONSES_USAGE = {
    "input_tokens": 17,
    "input_tokens_details": {"cached_tokens": 5},
    "output_tokens": 164,
    "output_tokens_details": {"reasoning_tokens": 3},
    "total_tokens": 181,
}

#: A prompt the fakes refuse: ``content_filter`` (Chat Completions), ``incomplete`` (Responses).
CONTENT_FILTER_PROMPT = "Describe the forbidden ritual in detail."
#: A prompt the Chat Completions fake answers with a call to every offered tool at once.
PARALLEL_TOOLS_PROMPT = "Look everything up at once."
#: A prompt the Responses fake answers with ``status: failed``.
SERVER_FAILURE_PROMPT = "Overload the server, please."
#: A prompt the Chat Completions fake answers with half a surrogate pair, as a model cut
#: mid-character sends it: the JSON escape ``\udc80`` is valid JSON, its string has no UTF-8.
SPLIT_ESCAPE_PROMPT = "Answer with half a character."
SPLIT_ESCAPE_ANSWER = "The tablet is in London \udc80."
#: Service tiers the fakes echo; any other request is served on the default tier.
ECHOED_TIERS = ("flex", "priority", "scale")


def served_model(model: str) -> str:
    """The server reports a dated snapshot of the requested alias."""
    return f"{model}-2024-07-18"


@dataclass(frozen=True)
class Flavor:
    """What one OpenAI-compatible server puts around the shared Chat Completions answer."""

    response_id: str = RESPONSE_ID
    served_model: Callable[[str], str] = served_model
    #: Top-level fields of every completion and chunk (``system_fingerprint`` ...).
    extras: Mapping[str, Any] = field(default_factory=lambda: {"system_fingerprint": FINGERPRINT})
    #: Whether the server reports a ``service_tier`` (OpenAI: yes, echoing the request's tier).
    service_tier: bool = True
    usage: Mapping[str, Any] = field(default_factory=lambda: USAGE)
    #: Azure OpenAI: ``prompt_filter_results`` and per-choice ``content_filter_results``.
    content_filters: bool = False
    #: OpenAI-compatible gateways (vLLM, LiteLLM, older Azure API versions) repeat the last
    #: choice, finish reason and model included, on the chunk that carries the usage.
    finish_on_usage_chunk: bool = False


OPENAI = Flavor()
GATEWAY = Flavor(finish_on_usage_chunk=True)


def error_body(status: int) -> dict[str, Any]:
    code = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return {"error": {"message": f"fake {status}", "type": "requests", "param": None, "code": code}}


def _text_of(content: Any) -> str:
    """The text of a message's content: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _last_user_text(items: list[Any]) -> str:
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return _text_of(item.get("content"))
    return ""


def _truncated_answer(limit: object) -> tuple[str, bool]:
    """The answer cut to ``limit`` words (one word per token here); True if it was cut."""
    words = answer_words()
    if isinstance(limit, int) and limit < len(words):
        return "".join(words[:limit]), True
    return ANSWER, False


# -- Chat Completions -----------------------------------------------------------------------------


def _reply_message(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The assistant message and finish reason the script picks for a request."""
    tools = body.get("tools") or []
    messages = body.get("messages") or []
    last_role = messages[-1].get("role") if messages else None
    response_format = body.get("response_format") or {}
    if _last_user_text(messages) == CONTENT_FILTER_PROMPT:
        return {"role": "assistant", "content": None}, "content_filter"
    if _last_user_text(messages) == SPLIT_ESCAPE_PROMPT:
        return {"role": "assistant", "content": SPLIT_ESCAPE_ANSWER}, "stop"
    if response_format.get("type") == "json_schema":
        content = example_for_schema(response_format["json_schema"].get("schema"))
        return {"role": "assistant", "content": json.dumps(content)}, "stop"
    if tools and last_role != "tool":
        choice = body.get("tool_choice")
        forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        called = [next((t for t in tools if t["function"]["name"] == forced), tools[0])]
        if _last_user_text(messages) == PARALLEL_TOOLS_PROMPT:
            called = tools[: len(PARALLEL_CALL_IDS)]
        calls = [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": tool["function"]["name"],
                    "arguments": tool_arguments(tool["function"].get("parameters")),
                },
            }
            for call_id, tool in zip(PARALLEL_CALL_IDS, called, strict=False)
        ]
        return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    return {"role": "assistant", "content": ANSWER}, "stop"


def _filter_results(filtered: bool) -> dict[str, Any]:
    severity = {"filtered": False, "severity": "safe"}
    results = {name: dict(severity) for name in ("hate", "self_harm", "sexual", "violence")}
    if filtered:
        results["violence"] = {"filtered": True, "severity": "high"}
    return results


def _top_level(body: dict[str, Any], flavor: Flavor) -> dict[str, Any]:
    top: dict[str, Any] = {
        "id": flavor.response_id,
        "created": CREATED,
        "model": flavor.served_model(body["model"]),
        **flavor.extras,
    }
    if flavor.service_tier:
        tier = body.get("service_tier")
        top["service_tier"] = tier if tier in ECHOED_TIERS else "default"
    return top


def _completion(body: dict[str, Any], flavor: Flavor) -> dict[str, Any]:
    message, finish_reason = _reply_message(body)
    choices: list[dict[str, Any]] = [
        {"index": index, "message": message, "logprobs": None, "finish_reason": finish_reason}
        for index in range(body.get("n") or 1)  # ``n`` choices, one usage for the request
    ]
    completion: dict[str, Any] = {
        **_top_level(body, flavor),
        "object": "chat.completion",
        "choices": choices,
        "usage": dict(flavor.usage),
    }
    if flavor.content_filters:
        for choice in choices:
            choice["content_filter_results"] = _filter_results(finish_reason == "content_filter")
        completion["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": _filter_results(False)}
        ]
    return completion


def _chunks(body: dict[str, Any], flavor: Flavor) -> Iterator[dict[str, Any]]:
    message, finish_reason = _reply_message(body)
    base = {**_top_level(body, flavor), "object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        if flavor.content_filters and (delta.get("content") or finish):
            choice["content_filter_results"] = _filter_results(finish == "content_filter")
        return {**base, "choices": [choice]}

    if flavor.content_filters:
        # Azure opens a stream with the prompt's filter results and no choices.
        yield {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [
                {"prompt_index": 0, "content_filter_results": _filter_results(False)}
            ],
        }
    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        for index, call in enumerate(message["tool_calls"]):
            yield chunk({"tool_calls": [{"index": index, **call}]})
    elif message.get("content"):
        for word in answer_words(message["content"]):
            yield chunk({"content": word})
    yield chunk({}, finish_reason)
    if (body.get("stream_options") or {}).get("include_usage"):
        usage_choices = (
            [chunk({}, finish_reason)["choices"][0]] if flavor.finish_on_usage_chunk else []
        )
        yield {**base, "choices": usage_choices, "usage": dict(flavor.usage)}


def chat_completions_handler(flavor: Flavor = OPENAI) -> Callable[[Request], Reply]:
    def chat_completions(request: Request) -> Reply:
        body = request.json()
        status = error_status(body.get("model"))
        if status is not None:
            return Reply.json(error_body(status), status=status)
        if body.get("stream"):
            return Reply.stream(sse(_chunks(body, flavor)), "text/event-stream")
        return Reply.json(_completion(body, flavor))

    return chat_completions


chat_completions = chat_completions_handler()


# -- Responses ------------------------------------------------------------------------------------


def _function_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    """The function tool the script calls, unless the input already answers a call."""
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    items = body.get("input") or []
    answered = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items)
    if not tools or answered:
        return None
    choice = body.get("tool_choice")
    forced = choice.get("name") if isinstance(choice, dict) else None
    return next((t for t in tools if t.get("name") == forced), tools[0])


def _response_plan(body: dict[str, Any]) -> dict[str, Any]:
    """Status, incomplete reason, output items and usage the script picks for a request."""
    items = body.get("input")
    prompt = items if isinstance(items, str) else _last_user_text(items or [])
    usage = json.loads(json.dumps(RESPONSES_USAGE))
    if prompt == SERVER_FAILURE_PROMPT:
        return {"status": "failed", "reason": None, "output": [], "usage": None}
    if prompt == CONTENT_FILTER_PROMPT:
        usage["output_tokens"] = usage["output_tokens_details"]["reasoning_tokens"] = 0
        usage["total_tokens"] = usage["input_tokens"]
        return {"status": "incomplete", "reason": "content_filter", "output": [], "usage": usage}
    tool = _function_tool(body)
    if tool is not None:
        call = {
            "type": "function_call",
            "id": FUNCTION_ITEM_ID,
            "call_id": CALL_ID,
            "name": tool["name"],
            "arguments": tool_arguments(tool.get("parameters")),
            "status": "completed",
        }
        return {"status": "completed", "reason": None, "output": [call], "usage": usage}
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        text, cut = json.dumps(example_for_schema(text_format.get("schema"))), False
    else:
        text, cut = _truncated_answer(body.get("max_output_tokens"))
    if cut:
        usage["output_tokens"] = body["max_output_tokens"]
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    message = {
        "type": "message",
        "id": MESSAGE_ITEM_ID,
        "status": "incomplete" if cut else "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }
    return {
        "status": "incomplete" if cut else "completed",
        "reason": "max_output_tokens" if cut else None,
        "output": [message],
        "usage": usage,
    }


def _response_object(
    body: dict[str, Any], status: str, output: list[Any], usage: Any, reason: str | None
) -> dict[str, Any]:
    tier = body.get("service_tier")
    response: dict[str, Any] = {
        "id": RESPONSES_ID,
        "object": "response",
        "created_at": RESPONSES_CREATED_AT,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "instructions": None,
        "max_output_tokens": body.get("max_output_tokens"),
        "model": served_model(body["model"]),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": tier if tier in ECHOED_TIERS else "default",
        "store": True,
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }
    if status == "failed":
        response["error"] = {"code": "server_error", "message": "The server had an error."}
    return response


def _response(body: dict[str, Any]) -> dict[str, Any]:
    plan = _response_plan(body)
    return _response_object(body, plan["status"], plan["output"], plan["usage"], plan["reason"])


def _item_events(item: dict[str, Any], index: int) -> Iterator[dict[str, Any]]:
    """The events that stream one output item, from ``output_item.added`` to ``.done``."""
    if item["type"] == "function_call":
        yield {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "arguments": "", "status": "in_progress"},
        }
        common = {"item_id": item["id"], "output_index": index}
        yield {
            "type": "response.function_call_arguments.delta",
            **common,
            "delta": item["arguments"],
        }
        yield {
            "type": "response.function_call_arguments.done",
            **common,
            "arguments": item["arguments"],
        }
        yield {"type": "response.output_item.done", "output_index": index, "item": item}
        return
    part = item["content"][0]
    common = {"item_id": item["id"], "output_index": index, "content_index": 0}
    yield {
        "type": "response.output_item.added",
        "output_index": index,
        "item": {**item, "status": "in_progress", "content": []},
    }
    empty_part = {**part, "text": ""}
    yield {"type": "response.content_part.added", **common, "part": empty_part}
    for word in answer_words(part["text"]):
        yield {"type": "response.output_text.delta", **common, "delta": word, "logprobs": []}
    yield {"type": "response.output_text.done", **common, "text": part["text"], "logprobs": []}
    yield {"type": "response.content_part.done", **common, "part": part}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def _response_events(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    plan = _response_plan(body)
    opening = _response_object(body, "in_progress", [], None, None)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": opening},
        {"type": "response.in_progress", "response": opening},
    ]
    for index, item in enumerate(plan["output"]):
        events.extend(_item_events(item, index))
    final = _response_object(body, plan["status"], plan["output"], plan["usage"], plan["reason"])
    closing = {"completed": "response.completed", "incomplete": "response.incomplete"}
    events.append({"type": closing.get(plan["status"], "response.failed"), "response": final})
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}


def responses(request: Request) -> Reply:
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json(error_body(status), status=status)
    if body.get("stream"):
        events = sse(_response_events(body), event_names=True, done=False)
        return Reply.stream(events, "text/event-stream")
    return Reply.json(_response(body))


# -- Embeddings and (legacy) Completions ----------------------------------------------------------

#: Vector length when the request names no ``dimensions`` (small: the tests only count it).
EMBEDDING_DIMENSIONS = 16
EMBEDDING_TOKENS_PER_INPUT = 4
COMPLETION_ID = "cmpl-8Zq3mR7vT2xW9yB4nK6pL1sD"
COMPLETION_USAGE = {"prompt_tokens": 5, "completion_tokens": 12, "total_tokens": 17}


def vector_of(index: int, dimensions: int) -> list[float]:
    return [round((index + 1) * 0.01 + d * 0.001, 6) for d in range(dimensions)]


def embeddings(request: Request) -> Reply:
    """``data[].embedding`` (floats, or base64 float32 as the openai SDK asks by default)."""
    body = request.json()
    status = error_status(body.get("model"))
    if status is not None:
        return Reply.json(error_body(status), status=status)
    inputs = body.get("input")
    items = (
        inputs
        if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int)
        else [inputs]
    )
    dimensions = body.get("dimensions") or EMBEDDING_DIMENSIONS
    data = []
    for index in range(len(items)):
        vector: Any = vector_of(index, dimensions)
        if body.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = EMBEDDING_TOKENS_PER_INPUT * len(items)
    return Reply.json(
        {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def completions(request: Request) -> Reply:
    """``text_completion`` objects: one choice per prompt (times ``n``); SSE when streaming."""
    body = request.json()
    model = body.get("model")
    status = error_status(model)
    if status is not None:
        return Reply.json(error_body(status), status=status)
    base = {"id": COMPLETION_ID, "object": "text_completion", "created": CREATED}
    base["model"] = served_model(model)
    if body.get("stream"):

        def chunks() -> Iterator[dict[str, Any]]:
            words = answer_words()
            for position, word in enumerate(words):
                finish = "stop" if position == len(words) - 1 else None
                choice = {"text": word, "index": 0, "logprobs": None, "finish_reason": finish}
                yield {**base, "choices": [choice]}

        return Reply.stream(sse(chunks()), "text/event-stream")
    prompts = body.get("prompt")
    count = len(prompts) if isinstance(prompts, list) else 1
    text, cut = _truncated_answer(body.get("max_tokens"))
    choices = [
        {"text": text, "index": i, "logprobs": None, "finish_reason": "length" if cut else "stop"}
        for i in range(count * (body.get("n") or 1))
    ]
    usage = dict(COMPLETION_USAGE)
    return Reply.json(
        {**base, "choices": choices, "usage": usage, "system_fingerprint": FINGERPRINT}
    )


def install(server: FakeServer, prefix: str = "/v1", flavor: Flavor = OPENAI) -> None:
    """Chat Completions (in ``flavor``), Responses, Embeddings and Completions under ``prefix``."""
    server.route("POST", f"{prefix}/chat/completions", chat_completions_handler(flavor))
    server.route("POST", f"{prefix}/responses", responses)
    server.route("POST", f"{prefix}/embeddings", embeddings)
    server.route("POST", f"{prefix}/completions", completions)


def install_azure(server: FakeServer, flavor: Flavor) -> None:
    """Azure OpenAI: ``/openai/deployments/{deployment}/chat/completions?api-version=...``."""
    handler = chat_completions_handler(flavor)

    def deployments(request: Request) -> Reply:
        if "api-version" not in request.query:
            return Reply.json({"error": {"code": "404", "message": "Resource not found"}}, 404)
        if request.path.endswith("/embeddings"):
            return embeddings(request)
        if request.path.endswith("/completions") and "/chat/" not in request.path:
            return completions(request)
        if not request.path.endswith("/chat/completions"):
            return Reply.json({"error": {"code": "404", "message": "Resource not found"}}, 404)
        return handler(request)

    server.route("POST", "/openai/deployments/", deployments)

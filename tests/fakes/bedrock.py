"""Amazon Bedrock Runtime on the wire (boto3 ``bedrock-runtime``, REST-JSON protocol).

Routes ``POST /model/{modelId}/invoke`` (the model's native body: here Anthropic Messages),
``/invoke-with-response-stream`` (``chunk`` events whose payload is ``{"bytes": b64(event)}``),
``/converse`` and ``/converse-stream`` (``messageStart`` ... ``metadata`` events). Streams use
the AWS event-stream binary framing; InvokeModel reports tokens in the
``x-amzn-bedrock-*-token-count`` headers (and, streaming, in ``amazon-bedrock-invocationMetrics``
on the final ``message_stop``).

The usage a model id gets is in ``USAGES``; a model id whose name part is ``error-<status>``
(``anthropic.error-429``) gets Bedrock's error for that status (429: ``ThrottlingException``).
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from tests.fakes._script import answer_words, error_status, example_for_schema
from tests.fakes.server import FakeServer, Reply, Request

REQUEST_ID = "5f4c2a9e-1b7d-4c3e-9a8f-0d6e2b1c7a40"
# What InvokeModel's Anthropic body carries; LangChain exposes neither of these.
BODY_MESSAGE_ID = "msg_bdrk_01Hx4mZ2pQ7sT9vW3yB5nC8d"
TOOL_USE_ID = "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"

SEED_MODEL = "anthropic.claude-v2"
CACHE_MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0"

# Per model id: (input, output, cache read, cache write, cache write split by TTL or None).
# The seed model carries the brief's numbers and no cache counts at all.
USAGES: dict[str, tuple[int, int, int | None, int | None, dict[str, int] | None]] = {
    SEED_MODEL: (19, 371, None, None, None),
    CACHE_MODEL: (19, 371, 1024, 256, {"5m": 200, "1h": 56}),
}

_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    503: "ServiceUnavailableException",
}


# -- AWS event-stream framing -------------------------------------------------------------------


def event_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (lengths + CRC), string headers, payload, message CRC."""
    encoded = b"".join(
        struct.pack(">B", len(name))
        + name.encode()
        + b"\x07"
        + struct.pack(">H", len(value))
        + value.encode()
        for name, value in headers.items()
    )
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    return event_message(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(payload).encode(),
    )


def _stream_reply(frames: Iterator[bytes]) -> Reply:
    return Reply.stream(
        frames, "application/vnd.amazon.eventstream", {"x-amzn-RequestId": REQUEST_ID}
    )


# -- the answer ---------------------------------------------------------------------------------


def _tool_call(tools: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    return tools[0]["name"], example_for_schema(tools[0].get("input_schema"))


def _error_reply(model_id: str) -> Reply | None:
    status = error_status(model_id.split(".", 1)[-1])
    if status is None:
        return None
    code = _ERRORS.get(status, "InternalServerException")
    return Reply.json(
        {"message": "Too many requests, please wait before trying again."},
        status=status,
        headers={
            "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            "x-amzn-RequestId": REQUEST_ID,
        },
    )


# -- InvokeModel (Anthropic Messages body) ------------------------------------------------------


def _invoke_content(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    tools = body.get("tools") or []
    if tools:
        name, arguments = _tool_call(tools)
        return [{"type": "tool_use", "id": TOOL_USE_ID, "name": name, "input": arguments}], (
            "tool_use"
        )
    return [{"type": "text", "text": "".join(answer_words())}], "end_turn"


def _invocation_metrics(model_id: str) -> dict[str, int]:
    input_tokens, output_tokens, cache_read, cache_write, _ = USAGES[model_id]
    metrics = {
        "inputTokenCount": input_tokens,
        "outputTokenCount": output_tokens,
        "invocationLatency": 2345,
        "firstByteLatency": 312,
    }
    if cache_read is not None:
        metrics["cacheReadInputTokenCount"] = cache_read
    if cache_write is not None:
        metrics["cacheWriteInputTokenCount"] = cache_write
    return metrics


def invoke(model_id: str, body: dict[str, Any]) -> Reply:
    input_tokens, output_tokens, cache_read, cache_write, _ = USAGES[model_id]
    content, stop_reason = _invoke_content(body)
    headers = {
        "x-amzn-RequestId": REQUEST_ID,
        "x-amzn-bedrock-invocation-latency": "2345",
        "x-amzn-bedrock-input-token-count": str(input_tokens),
        "x-amzn-bedrock-output-token-count": str(output_tokens),
    }
    usage: dict[str, int] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read is not None:
        headers["x-amzn-bedrock-cache-read-input-token-count"] = str(cache_read)
        usage["cache_read_input_tokens"] = cache_read
    if cache_write is not None:
        headers["x-amzn-bedrock-cache-write-input-token-count"] = str(cache_write)
        usage["cache_creation_input_tokens"] = cache_write
    message = {
        "id": BODY_MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": model_id.split(".", 1)[-1],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }
    return Reply.json(message, headers=headers)


def _invoke_events(model_id: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    input_tokens, output_tokens, *_ = USAGES[model_id]
    content, stop_reason = _invoke_content(body)
    yield {
        "type": "message_start",
        "message": {
            "id": BODY_MESSAGE_ID,
            "type": "message",
            "role": "assistant",
            "model": model_id.split(".", 1)[-1],
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }
    block = content[0]
    if block["type"] == "tool_use":
        yield {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}}
        yield {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
        }
    else:
        yield {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        for word in answer_words(block["text"]):
            yield {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": word},
            }
    yield {"type": "content_block_stop", "index": 0}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens},
    }
    yield {
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": _invocation_metrics(model_id),
    }


def invoke_stream(model_id: str, body: dict[str, Any]) -> Reply:
    def frames() -> Iterator[bytes]:
        for item in _invoke_events(model_id, body):
            data = base64.b64encode(json.dumps(item).encode()).decode()
            yield event("chunk", {"bytes": data})

    return _stream_reply(frames())


# -- Converse -----------------------------------------------------------------------------------


def _converse_content(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    if tools:
        spec = tools[0]["toolSpec"]
        arguments = example_for_schema(spec.get("inputSchema", {}).get("json"))
        call = {"toolUseId": TOOL_USE_ID, "name": spec["name"], "input": arguments}
        return [{"toolUse": call}], "tool_use"
    return [{"text": "".join(answer_words())}], "end_turn"


def _token_usage(model_id: str) -> dict[str, Any]:
    input_tokens, output_tokens, cache_read, cache_write, ttl = USAGES[model_id]
    usage: dict[str, Any] = {"inputTokens": input_tokens, "outputTokens": output_tokens}
    total = input_tokens + output_tokens
    if cache_read is not None:
        usage["cacheReadInputTokens"] = cache_read
        total += cache_read
    if cache_write is not None:
        usage["cacheWriteInputTokens"] = cache_write
        total += cache_write
    if ttl is not None:
        usage["cacheDetails"] = [{"ttl": k, "inputTokens": v} for k, v in ttl.items()]
    usage["totalTokens"] = total
    return usage


def converse(model_id: str, body: dict[str, Any]) -> Reply:
    content, stop_reason = _converse_content(body)
    response = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": _token_usage(model_id),
        "metrics": {"latencyMs": 2345},
    }
    return Reply.json(response, headers={"x-amzn-RequestId": REQUEST_ID})


def converse_stream(model_id: str, body: dict[str, Any]) -> Reply:
    content, stop_reason = _converse_content(body)

    def frames() -> Iterator[bytes]:
        yield event("messageStart", {"role": "assistant"})
        block = content[0]
        if "toolUse" in block:
            call = block["toolUse"]
            start = {"toolUse": {"toolUseId": call["toolUseId"], "name": call["name"]}}
            yield event("contentBlockStart", {"start": start, "contentBlockIndex": 0})
            delta = {"toolUse": {"input": json.dumps(call["input"])}}
            yield event("contentBlockDelta", {"delta": delta, "contentBlockIndex": 0})
        else:
            for word in answer_words(block["text"]):
                yield event("contentBlockDelta", {"delta": {"text": word}, "contentBlockIndex": 0})
        yield event("contentBlockStop", {"contentBlockIndex": 0})
        yield event("messageStop", {"stopReason": stop_reason})
        yield event("metadata", {"usage": _token_usage(model_id), "metrics": {"latencyMs": 2345}})

    return _stream_reply(frames())


# -- routing ------------------------------------------------------------------------------------

_OPERATIONS = {
    "invoke": invoke,
    "invoke-with-response-stream": invoke_stream,
    "converse": converse,
    "converse-stream": converse_stream,
}


#: Titan text embeddings' default vector length.
TITAN_DIMENSIONS = 1024


def titan_embed(model_id: str, body: dict[str, Any]) -> Reply:
    """Amazon Titan text embeddings: ``{"embedding": [...], "inputTextTokenCount": n}``."""
    dimensions = body.get("dimensions") or TITAN_DIMENSIONS
    vector = [round(0.001 * d, 6) for d in range(dimensions)]
    tokens = len(str(body.get("inputText", "")).split())
    return Reply.json({"embedding": vector, "inputTextTokenCount": tokens})


def model_route(request: Request) -> Reply:
    """``/model/{urlquoted model id}/{operation}``."""
    _, _, rest = request.path.partition("/model/")
    quoted_id, _, operation = rest.rpartition("/")
    model_id = unquote(quoted_id)
    error = _error_reply(model_id)
    if error is not None:
        return error
    handler = _OPERATIONS.get(operation)
    if operation == "invoke" and "titan-embed" in model_id:
        handler = titan_embed
    if handler is None:
        return Reply.json({"message": f"unknown operation {operation}"}, status=404)
    return handler(model_id, request.json())


def install(server: FakeServer) -> None:
    server.route("POST", "/model/", model_route)


# -- test setup helpers -------------------------------------------------------------------------

# Fake credentials (SigV4 is not checked) and no shared config or instance metadata lookups.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def send_to_loopback(client: Any, server: FakeServer) -> None:
    """Send a boto3 client's requests to ``server`` while it keeps its real endpoint.

    The client still resolves (and reports) ``https://bedrock-runtime.<region>.amazonaws.com``;
    only the bytes go over loopback.
    """
    endpoint = client.meta.endpoint_url

    def rewrite(request: Any, **_: Any) -> None:
        request.url = request.url.replace(endpoint, server.url, 1)

    client.meta.events.register("before-send.bedrock-runtime", rewrite)

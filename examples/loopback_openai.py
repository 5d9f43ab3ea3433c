"""A tiny OpenAI-compatible server on 127.0.0.1, so the examples run with no account or network.

It answers ``POST /v1/chat/completions`` the way the real API does (JSON, or server-sent events
when ``stream`` is set), calls the first offered tool once, then answers in text; and
``POST /v1/embeddings`` with a small letter-frequency vector per input (floats, or base64 as the
openai SDK asks by default), so similar texts land near each other. Start it with
``serve()``; it runs in a daemon thread until the program exits.
"""

from __future__ import annotations

import base64
import json
import math
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_SNAPSHOT = "{model}-2024-07-18"
TEXT = "Cuneiform was invented in Sumer, in the city of Uruk, around 3200 BC."


def _answer(request: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(message, finish_reason): a tool call if tools are offered and unused, else text."""
    tools = request.get("tools") or []
    used_tool = any(m.get("role") == "tool" for m in request.get("messages", []))
    if tools and not used_tool:
        function = tools[0]["function"]
        arguments = {name: "Uruk" for name in function.get("parameters", {}).get("properties", {})}
        call = {
            "id": "call_demo_1",
            "type": "function",
            "function": {"name": function["name"], "arguments": json.dumps(arguments)},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    return {"role": "assistant", "content": TEXT}, "stop"


def _envelope(request: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-demo0001",
        "object": kind,
        "created": int(time.time()),
        "model": MODEL_SNAPSHOT.format(model=request.get("model", "gpt-4o-mini")),
        "system_fingerprint": "fp_demo",
    }


def _usage(message: dict[str, Any]) -> dict[str, Any]:
    output = len(json.dumps(message)) // 4
    return {"prompt_tokens": 24, "completion_tokens": output, "total_tokens": 24 + output}


def _embedding(text: str) -> list[float]:
    """26 letter frequencies, normalised: a crude but deterministic semantic stand-in."""
    counts = [text.lower().count(chr(ord("a") + i)) for i in range(26)]
    norm = math.sqrt(sum(c * c for c in counts)) or 1.0
    return [c / norm for c in counts]


def _embeddings(request: dict[str, Any]) -> dict[str, Any]:
    inputs = request.get("input")
    texts = inputs if isinstance(inputs, list) else [inputs]
    data = []
    for index, text in enumerate(texts):
        vector: Any = _embedding(str(text))
        if request.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": vector})
    tokens = sum(len(str(text).split()) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": request.get("model"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        message, finish_reason = _answer(request)
        if self.path.endswith("/embeddings") or not request.get("stream"):
            body = _envelope(request, "chat.completion") | {
                "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                "usage": _usage(message),
            }
            if self.path.endswith("/embeddings"):
                body = _embeddings(request)
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in self._events(request, message, finish_reason):
            data = f"data: {event}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            time.sleep(0.01)  # a visible time to first chunk
        self.wfile.write(b"0\r\n\r\n")

    def _events(self, request: dict[str, Any], message: dict[str, Any], finish: str) -> list[str]:
        base = _envelope(request, "chat.completion.chunk")
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        if message.get("tool_calls"):
            deltas.append({"tool_calls": [{"index": 0, **message["tool_calls"][0]}]})
        else:
            deltas += [{"content": word + " "} for word in message["content"].split(" ")]
        events = [
            base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
        ]
        events.append(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (request.get("stream_options") or {}).get("include_usage"):
            events.append(base | {"choices": [], "usage": _usage(message)})
        return [json.dumps(event) for event in events] + ["[DONE]"]


def serve() -> str:
    """Start the server; returns its base URL (``http://127.0.0.1:<port>/v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/v1"

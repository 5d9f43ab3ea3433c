"""Where our own work on one ``invoke`` goes: instructions per call of each step, in isolation.

``make bench-profile`` runs this under callgrind after the cProfile tables: langchain-otel set
up as in ``langchain-otel-metrics-off``, the inputs of one real request captured (the run manager
LangChain made for it, the ``ChatResult`` it returned), then each step below, many times between
markers, as the hot path runs it. The whole request hook is langchain-otel's part of an invoke
(everything but the wrapper call); the SDK's span work is what the floor does too (the same span,
attributes and context), so the difference is ours, and the steps after it are where it goes.
The steps overlap a little (each is measured alone, with its own call), so they add up to about
that difference, not exactly.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import calls, icount, models, report, setups

CONFIG = "langchain-otel-metrics-off"


def _steps() -> list[tuple[str, str, Callable[[], object]]]:
    """(name, what it does, the step) on one captured request."""
    from langchain_core.language_models.chat_models import BaseChatModel  # noqa: PLC0415
    from opentelemetry import context, trace  # noqa: PLC0415
    from opentelemetry.trace import SpanKind  # noqa: PLC0415

    model = models.BenchChatModel()
    messages = calls.MESSAGES
    managers: list[Any] = []
    generate = models.BenchChatModel._generate

    def capturing(
        self: Any, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        managers.append(run_manager)
        return generate(self, messages, stop, run_manager, **kwargs)

    models.BenchChatModel._generate = capturing  # type: ignore[method-assign]
    model.invoke(messages)  # uninstrumented: the run manager LangChain makes
    models.BenchChatModel._generate = generate  # type: ignore[method-assign]
    run_manager = managers[0]
    result = BaseChatModel._generate_with_cache(model, messages, None, run_manager)

    pipeline = setups.prepare(CONFIG, "invoke")
    from langchain_otel import LangChainInstrumentor  # noqa: PLC0415
    from langchain_otel._manager_watch import unwatch, watch  # noqa: PLC0415
    from langchain_otel._request import ChatRequest  # noqa: PLC0415
    from langchain_otel._response import response_from_result  # noqa: PLC0415
    from langchain_otel._structure import call_attributes  # noqa: PLC0415
    from langchain_otel._values import sanitized  # noqa: PLC0415

    telemetry = LangChainInstrumentor()._telemetry
    request = ChatRequest(model, {}, False)
    mapper, start_attributes = telemetry.registry.mapper_for(type(model)).start(request)
    response = response_from_result(result)
    assert response is not None
    answer = {**mapper.request_attributes(request), **mapper.response_attributes(response)}
    answer["gen_ai.response.model"] = models.SERVED_MODEL
    tracer = pipeline.tracer_provider.get_tracer("benchmarks.steps")

    def whole() -> None:
        started = telemetry.start_request(model, (messages, None, run_manager), {})
        assert started is not None
        invocation = started[0]
        token = context.attach(invocation.context)
        context.detach(token)
        invocation.finish(result)

    def sdk_span() -> None:
        span = tracer.start_span(
            "chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=start_attributes
        )
        token = context.attach(trace.set_span_in_context(span))
        context.detach(token)
        span.set_attributes(answer)
        span.end()

    registry = telemetry.registry
    return [
        ("the whole request hook", "start, current context, end: our part of an invoke", whole),
        (
            "the SDK's span work",
            "what the floor does too: the same span, attributes, context",
            sdk_span,
        ),
        (
            "mapper and start attributes",
            "which mapper, the request model and the endpoint",
            lambda: registry.mapper_for(type(model)).start(ChatRequest(model, {}, False)),
        ),
        (
            "request attributes",
            "sampling parameters from the model and the call, OpenAI's API routing",
            lambda: mapper.request_attributes(request),
        ),
        (
            "response view",
            "the answer's metadata, usage, choices",
            lambda: response_from_result(result),
        ),
        (
            "response attributes",
            "id, finish reasons, token counts and details, OpenAI's fingerprint and tier",
            lambda: mapper.response_attributes(response),
        ),
        (
            "run context",
            "conversation id, mapped metadata, node and agent (none set here)",
            lambda: call_attributes(telemetry.run_context, None, run_manager.metadata, None),
        ),
        (
            "the answer's attributes made exportable",
            f"`sanitized` over the {len(answer)} attributes set at the end",
            lambda: sanitized(answer),
        ),
        (
            "watching the run manager",
            "the request's tokens and answer: its class swapped for the request, and back",
            lambda: unwatch(watch(run_manager, print)),  # type: ignore[arg-type]
        ),
    ]


def worker(out: Path, warmup: int, n1: int, n2: int) -> None:
    steps = _steps()
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True)
    for _name, _what, step in steps:
        for _ in range(warmup):
            step()
        gc.collect()
        gc.freeze()
        icount.marker()
        for n in (n1, n2):
            for _ in range(n):
                step()
            gc.collect()
            icount.marker()
    out.write_text(json.dumps([(name, what) for name, what, _step in steps]))
    os._exit(0)


def measure(warmup: int = 20, n1: int = 50, n2: int = 250) -> None:
    icount.OUT.mkdir(parents=True, exist_ok=True)
    base = icount.OUT / "steps.cg"
    for old in icount.OUT.glob("steps.cg*"):
        old.unlink()
    names = icount.OUT / "steps.json"
    command = icount.callgrind(
        base, "benchmarks.steps", "--worker", str(names), str(warmup), str(n1), str(n2)
    )
    subprocess.run(command, cwd=icount.ROOT, env=icount.env_of(CONFIG), check=True)
    steps = json.loads(names.read_text())
    dumps = sorted(
        (p for p in icount.OUT.glob("steps.cg.*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
    )
    counts = [icount.totals(p) for p in dumps]
    rows = [
        (name, what, (counts[3 * i + 2] - counts[3 * i + 1]) / (n2 - n1))
        for i, (name, what) in enumerate(steps)
    ]
    report.write_steps(CONFIG, rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(Path(sys.argv[2]), *(int(a) for a in sys.argv[3:6]))
    else:
        measure()

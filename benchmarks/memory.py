"""Memory growth of langchain-otel over many calls after warm-up.

``python -m benchmarks.memory --scenario NAME --calls N --out FILE``: one scenario in a fresh
process, instrumented like the ``langchain-otel`` variant (Batch into a dropping exporter,
metrics on). After the warm-up:

1. RSS is read before ``--calls`` calls (100k) and after each quarter of them: a leak grows it
   steadily, while the allocator's arenas settle after a while (so the last half is the tell);
2. tracemalloc then traces ``--traced-calls`` more calls (10k; tracing makes each call ~5x
   slower, too slow for 100k within the bench's time budget): what they allocated and left alive
   after a flush and a full collection, read at half-way and at the end. Objects kept once
   (the last call's leftovers, caches) are the same at both readings; a leak adds per call, so
   the slope between the readings is the measure: one leaked object per call is >= 48 B/call.

Scenarios: ``invoke``; ``streams``: a rotation of a full 20-chunk ``stream``, a ``stream`` broken
after 2 chunks and dropped, a full ``astream``, and an ``astream`` broken after 2 chunks and
dropped (the proxies must end those spans when the stream is collected).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.fake_chat import BenchChatModel
from benchmarks.report import short_path
from benchmarks.variants import BY_NAME
from benchmarks.workloads import MESSAGES

TOP_SITES = 5
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _invoke_scenario() -> Callable[[int], Awaitable[None]]:
    model = BenchChatModel()

    async def call(_index: int) -> None:
        model.invoke(MESSAGES)

    return call


def _streams_scenario() -> Callable[[int], Awaitable[None]]:
    model = BenchChatModel()

    async def call(index: int) -> None:
        kind = index % 4
        if kind == 0:
            for _chunk in model.stream(MESSAGES):
                pass
        elif kind == 1:
            for seen, _chunk in enumerate(model.stream(MESSAGES), 1):
                if seen == 2:
                    break
        elif kind == 2:
            async for _chunk in model.astream(MESSAGES):
                pass
        else:
            seen = 0
            async for _chunk in model.astream(MESSAGES):
                seen += 1
                if seen == 2:
                    break

    return call


SCENARIOS: dict[str, Callable[[], Callable[[int], Awaitable[None]]]] = {
    "invoke": _invoke_scenario,
    "streams": _streams_scenario,
}


async def _run(call: Callable[[int], Awaitable[None]], start: int, count: int) -> None:
    for index in range(start, start + count):
        await call(index)
    await asyncio.sleep(0)  # let the loop finalize the dropped async generators


async def _measure(scenario: str, calls: int, traced_calls: int, warmup: int) -> dict[str, Any]:
    pipeline = BY_NAME["langchain-otel"].make()
    assert pipeline is not None
    call = SCENARIOS[scenario]()
    await _run(call, 0, warmup)
    pipeline.tracer_provider.force_flush()
    gc.collect()
    exported_before = pipeline.spans_exported()
    # Phase 1: RSS over ``calls`` calls, read at each quarter.
    rss = [rss_bytes()]
    started = time.perf_counter()
    quarter = calls // 4
    for part in range(4):
        await _run(call, warmup + part * quarter, quarter)
        gc.collect()
        rss.append(rss_bytes())
    elapsed = time.perf_counter() - started
    pipeline.tracer_provider.force_flush()
    spans = pipeline.spans_exported() - exported_before
    # Phase 2: what ``traced_calls`` more calls allocate and leave alive, read at half-way too:
    # a leak grows in proportion to the calls, so the slope between the two readings shows it.
    gc.collect()
    tracemalloc.start()
    half = traced_calls // 2
    traced = []
    for part in range(2):
        await _run(call, warmup + calls + part * half, half)
        pipeline.tracer_provider.force_flush()
        gc.collect()
        traced.append(tracemalloc.get_traced_memory()[0])
    sites = tracemalloc.take_snapshot().statistics("lineno")[:TOP_SITES]
    tracemalloc.stop()
    pipeline.shutdown()
    return {
        "scenario": scenario,
        "calls": quarter * 4,
        "traced_calls": half * 2,
        "warmup": warmup,
        "seconds": elapsed,
        "spans_per_call": spans / (quarter * 4),
        "rss_quarters": rss,
        "traced_growth": traced[-1],
        "traced_slope": (traced[1] - traced[0]) / half,
        "top_sites": [
            f"{short_path(stat.traceback[0].filename)}:{stat.traceback[0].lineno}: "
            f"{stat.size} B in {stat.count}"
            for stat in sites
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--traced-calls", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    result = asyncio.run(_measure(args.scenario, args.calls, args.traced_calls, args.warmup))
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()

"""Memory growth of langchain-otel over many calls after warm-up.

``python -m benchmarks.memory --scenario NAME --calls N --out FILE``: one scenario in a fresh
process, instrumented like the ``langchain-otel`` configuration (metrics on) but with a
``SimpleSpanProcessor`` into the dropping exporter: a ``BatchSpanProcessor``'s queue (bounded at
2,048 spans) fills as far as its export thread lags, and its high-water mark moves RSS in steps
whoever makes the spans (the same-work floor shows the same steps), which would hide our own
growth; ``make bench`` runs both scenarios after the wall-time runs. After the warm-up:

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
import itertools
import json
import os
import subprocess
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks import setups
from benchmarks.calls import MESSAGES
from benchmarks.models import BenchChatModel

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
    pipeline = setups.prepare("langchain-otel", "invoke", batch=False)
    call = SCENARIOS[scenario]()
    await _run(call, 0, warmup)
    pipeline.tracer_provider.force_flush()
    gc.collect()
    exported_before = pipeline.spans()
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
    spans = pipeline.spans() - exported_before
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
    pipeline.tracer_provider.shutdown()
    pipeline.meter_provider.shutdown()
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
            f"{_short(stat.traceback[0].filename)}:{stat.traceback[0].lineno}: "
            f"{stat.size} B in {stat.count}"
            for stat in sites
        ],
    }


RSS_LIMIT_KB = 256
SLOPE_LIMIT = 2.0  # bytes per call: one leaked object per call is >= 48


def run_all(python: str, work: Path) -> list[str]:
    """Both scenarios, each in a fresh process: the memory part of ``RESULTS.md``."""
    results = []
    for scenario in sorted(SCENARIOS):
        out = work / f"memory-{scenario}.json"
        command = [python, "-m", "benchmarks.memory", "--scenario", scenario, "--out", str(out)]
        subprocess.run(command, check=True)
        results.append(json.loads(out.read_text()))
    rows = []
    sites = []
    for r in results:
        rss = r["rss_quarters"]
        quarters = ", ".join(f"{(b - a) / 1024:+,.0f}" for a, b in itertools.pairwise(rss))
        last_half = (rss[-1] - rss[2]) / 1024
        holds = last_half <= RSS_LIMIT_KB and r["traced_slope"] <= SLOPE_LIMIT
        rows.append(
            f"| {r['scenario']} | **{'PASS' if holds else 'FAIL'}** | {r['calls']:,} | "
            f"{r['seconds'] / r['calls'] * 1e6:,.0f} | {quarters} | {last_half:+,.0f} | "
            f"{r['traced_calls']:,} | {r['traced_growth'] / 1024:,.1f} | "
            f"{r['traced_slope']:.2f} | {r['spans_per_call']:.2f} |"
        )
        sites.append(f"- `{r['scenario']}`: " + "; ".join(f"`{s}`" for s in r["top_sites"]))
    return [
        "## Memory (`make bench`)",
        "",
        "langchain-otel (metrics on, `SimpleSpanProcessor` into a dropping exporter: a batch "
        "queue's high-water mark moves RSS whoever makes the spans) after a "
        f"{results[0]['warmup']:,}-call warm-up; method in `benchmarks/memory.py`. No growth "
        "holds when RSS grows at most "
        f"{RSS_LIMIT_KB} KB over the last half of the calls and tracemalloc's slope is at most "
        f"{SLOPE_LIMIT:g} B per call.",
        "",
        "| scenario | no growth | calls | µs/call | RSS growth per quarter, KB | RSS growth, "
        "last half, KB | traced calls | tracemalloc growth KB | tracemalloc B/call (slope) | "
        "spans/call |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Largest live allocation sites at the end of the traced calls (what stays once, not per "
        "call):",
        "",
        *sites,
    ]


def _short(path: str) -> str:
    return path.rsplit("site-packages/", maxsplit=1)[-1].rsplit("/src/", maxsplit=1)[-1]


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

"""One variant in a fresh process, run under callgrind by ``benchmarks.icount``.

``python -m benchmarks.icount_worker --variant NAME --ops invoke,stream --n1 200 --n2 600 --out F``

Sets the variant up on the ``discard`` pipeline (``SimpleSpanProcessor`` into a dropping exporter:
no background thread, so every instruction of a call is the call's), then per op: ``--warmup``
calls, a marker, ``n1`` calls, a marker, ``n2`` calls, a marker. The marker is a call of
``os.getpgrp()``, which nothing else here makes: callgrind, started with
``--dump-before=getpgrp``, writes its counters to a new file there, so the dumps are, per op,
[before the op and its warm-up, the ``n1`` calls, the ``n2`` calls]. After the warm-up what is
alive is collected and frozen (``gc.freeze()``); each phase ends with a garbage collection (the
calls' garbage is theirs to pay); its fixed part, like the marker's, cancels in
``(I(n2) - I(n1)) / (n2 - n1)``. Outside valgrind the markers cost nothing, so this
also runs plainly (for a check).

With ``--instrument-from-setup`` (the runner starts callgrind with ``--instr-atstart=no``), the
worker asks callgrind to start instrumenting (``callgrind_control -i on PID``) only once the
imports and the setup are done: they are most of the instructions of a run, and valgrind runs them
several times faster uninstrumented. The counts of the calls do not change.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.variants import BY_NAME, DISCARD
from benchmarks.workloads import ALL_OPS, async_call, sync_call

MARKER = "getpgrp"
#: Dumps per op: the prefix (warm-up and anything before it), the n1 phase, the n2 phase.
DUMPS_PER_OP = 3


def marker() -> None:
    os.getpgrp()


def callgrind_command(out_file: object, *module_args: str) -> list[str]:
    """``valgrind --tool=callgrind`` running ``python -m <module_args>``: counters dumped at
    each :func:`marker`, instrumentation switched on by the worker (``start_instrumentation``)."""
    return [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        f"--dump-before={MARKER}",
        "--instr-atstart=no",
        "--dump-instr=no",
        "--collect-systime=no",
        sys.executable,
        "-m",
        *module_args,
    ]


def settle() -> None:
    """Collect, then freeze what survives: the phases' collections then only visit new objects,
    so their cost does not depend on how big the imports left the heap."""
    gc.collect()
    gc.freeze()


def run_sync(call: Callable[[], object], warmup: int, n1: int, n2: int) -> None:
    for _ in range(warmup):
        call()
    settle()
    marker()
    for count in (n1, n2):
        for _ in range(count):
            call()
        gc.collect()
        marker()


def run_async(call: Callable[[], Awaitable[object]], warmup: int, n1: int, n2: int) -> None:
    async def main() -> None:
        for _ in range(warmup):
            await call()
        settle()
        marker()
        for count in (n1, n2):
            for _ in range(count):
                await call()
            gc.collect()
            marker()

    asyncio.run(main())


def start_instrumentation() -> None:
    """Have the callgrind running this process start instrumenting (``--instr-atstart=no``)."""
    done = subprocess.run(
        ["callgrind_control", "-i", "on", str(os.getpid())],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or "OK" not in done.stdout:
        raise RuntimeError(f"callgrind_control failed: {done.stdout} {done.stderr}".strip())


def run(
    variant_name: str, ops: list[str], warmup: int, n1: int, n2: int, instrument: bool = False
) -> dict[str, Any]:
    pipeline = BY_NAME[variant_name].make(DISCARD)
    if instrument:
        start_instrumentation()
    spans: dict[str, float] = {}
    attributes: dict[str, list[str] | None] = {}
    exported = pipeline.spans_exported() if pipeline is not None else 0
    for op in ops:
        call = sync_call(op)
        if call is not None:
            run_sync(call, warmup, n1, n2)
        else:
            run_async(async_call(op), warmup, n1, n2)
        now = pipeline.spans_exported() if pipeline is not None else 0
        spans[op] = (now - exported) / (warmup + n1 + n2)
        # The attribute keys of the op's last span (after its markers: not counted).
        attributes[op] = (
            pipeline.last_span_attribute_keys() if pipeline is not None and now > exported else None
        )
        exported = now
    if pipeline is not None:
        pipeline.shutdown()
    return {
        "variant": variant_name,
        "ops": ops,
        "n1": n1,
        "n2": n2,
        "spans_per_call": spans,
        "attributes": attributes,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", required=True, choices=sorted(BY_NAME))
    parser.add_argument("--ops", default="invoke,stream")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--n1", type=int, default=200)
    parser.add_argument("--n2", type=int, default=600)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--instrument-from-setup", action="store_true")
    args = parser.parse_args()
    ops = [op for op in args.ops.split(",") if op]
    unknown = [op for op in ops if op not in ALL_OPS]
    if unknown:
        parser.error(f"unknown ops: {unknown}")
    result = run(args.variant, ops, args.warmup, args.n1, args.n2, args.instrument_from_setup)
    args.out.write_text(json.dumps(result))
    os._exit(0)  # skip the interpreter's teardown: nothing left to measure


if __name__ == "__main__":
    main()

"""One variant in a fresh process: set it up, time every op, write the timings as JSON.

``python -m benchmarks.worker --variant NAME --out FILE [--budget S] [--batches N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from benchmarks.variants import BY_NAME
from benchmarks.workloads import OPS, time_op


def run(variant_name: str, budget_s: float, batches: int, warmup_s: float) -> dict[str, Any]:
    pipeline = BY_NAME[variant_name].make()
    between = pipeline.clear if pipeline is not None else (lambda: None)
    ops: dict[str, Any] = {}
    exported = pipeline.spans_exported() if pipeline is not None else 0
    for op in OPS:
        timing = time_op(op, budget_s, batches, warmup_s, between)
        now = pipeline.spans_exported() if pipeline is not None else 0
        ops[op] = {
            "us": timing.median_us,
            "batches_us": timing.batches_us,
            "calls_per_batch": timing.calls_per_batch,
            "spans_per_call": (now - exported) / timing.calls_total,
            "attributes": pipeline.last_span_attributes() if pipeline is not None else None,
        }
        exported = now
    if pipeline is not None:
        pipeline.shutdown()
    return {"variant": variant_name, "ops": ops}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", required=True, choices=sorted(BY_NAME))
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--budget", type=float, default=0.4, help="timed seconds per op")
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=0.15, help="warm-up seconds per op")
    args = parser.parse_args()
    try:
        result = run(args.variant, args.budget, args.batches, args.warmup)
    except Exception:
        result = {"variant": args.variant, "error": traceback.format_exc(limit=5)}
        args.out.write_text(json.dumps(result))
        sys.exit(1)
    args.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()

"""``make bench-icount``: CPU instructions per call under callgrind, the targets, ``RESULTS.md``.

Each configuration runs in a fresh process under ``valgrind --tool=callgrind`` (the floors once
per op: each op is its own floor), on the ``SimpleSpanProcessor`` pipeline. The worker makes
``--warmup`` calls of an op, then ``n1`` and ``n2`` calls between markers (a call of
``os.getpgrp()``, at which callgrind dumps its counters): instructions per call are
``(I(n2) - I(n1)) / (n2 - n1)``, so start-up, warm-up and the markers cancel. Overhead = a
configuration's instructions per call minus the uninstrumented ones; a target compares it with
the overhead of the floor doing the same work (``setups``). Load does not move the counts; each
job runs once per hash seed (``--seeds``, three by default) with address-space randomization
off, and the median per op is kept (see :func:`measure_seeds`).

``python -m benchmarks.icount [--ops invoke,stream,...] [--configs a,b] [--seeds 0,1,2]``;
``--profile CONFIG --ops OP``: cProfile's functions of ours and the SDK's in that call, and (for
``invoke``) ``benchmarks/steps.py``'s steps -> ``benchmarks/PROFILE.md``. (``--worker`` is the
process callgrind runs.)
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import calls, report, setups

ROOT = Path(__file__).resolve().parent.parent
OUT = setups.WORK / "callgrind"
MARKER = "getpgrp"
DEFAULT_OPS = (
    "invoke,stream,stream-2,tool,graph,embed_query,completion,"
    "invoke-session,invoke-metadata,chain-prompt,chain-named-prompt,graph-chat"
)
SCRUBBED = ("OTEL_", "LANGCHAIN_", "LANGSMITH_", "TRACELOOP_", "OPENINFERENCE_")


# -- the worker: one configuration, its ops, between markers --------------------------------------


def marker() -> None:
    os.getpgrp()


def work(config: str, ops: Sequence[str], warmup: int, n1: int, n2: int) -> dict[str, Any]:
    pipeline = setups.prepare(config, ops[0])
    started = subprocess.run(
        ["callgrind_control", "-i", "on", str(os.getpid())],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0 and os.environ.get("BENCH_PLAIN") != "1":
        raise RuntimeError(f"callgrind_control: {started.stdout} {started.stderr}")
    spans = {}
    for op in ops:
        run = calls.runner(op)
        before = pipeline.spans()
        run(warmup)
        gc.collect()
        gc.freeze()  # later collections visit only the calls' garbage
        marker()
        for n in (n1, n2):
            run(n)
            gc.collect()
            marker()
        spans[op] = (pipeline.spans() - before) / (warmup + n1 + n2)
    return {"spans_per_call": spans}


# -- the runner -----------------------------------------------------------------------------------


def callgrind(out: Path, *module_args: str) -> list[str]:
    """The command that runs ``python -m module_args`` under callgrind, with address-space
    randomization off where ``setarch`` can (the allocator's path, which can add thousands of
    instructions per chunk, follows the addresses: the same layout every run)."""
    fixed = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    return [
        *fixed,
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        f"--dump-before={MARKER}",
        "--instr-atstart=no",
        "--collect-systime=no",
        sys.executable,
        "-m",
        *module_args,
    ]


def env_of(config: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    env.update(setups.CONFIGS[config].env)
    env["PYTHONHASHSEED"] = "0"
    return env


def totals(path: Path) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise ValueError(f"{path}: no totals")


def measure(
    config: str, ops: Sequence[str], args: argparse.Namespace, seed: int = 0
) -> dict[str, Any]:
    """Instructions per call of ``ops`` in one process of ``config`` (``PYTHONHASHSEED=seed``)."""
    tag = f"{config}-{'-'.join(ops)}-{seed}"[:120]
    base = OUT / f"{tag}.cg"
    for old in OUT.glob(f"{tag}.cg*"):
        old.unlink()
    result = OUT / f"{tag}.json"
    worker = ("benchmarks.icount", "--worker", config, "--ops", ",".join(ops), "--out", str(result))
    counts = (str(args.warmup), str(args.n1), str(args.n2))
    done = subprocess.run(
        [*callgrind(base, *worker), "--warmup", counts[0], "--n1", counts[1], "--n2", counts[2]],
        cwd=ROOT,
        env={**env_of(config), "PYTHONHASHSEED": str(seed)},
        capture_output=True,
        text=True,
        timeout=args.timeout,
        check=False,
    )
    if not result.exists():
        tail = [line for line in done.stderr.splitlines() if not line.startswith("==")][-4:]
        return {"error": f"exit {done.returncode}: {tail}"}
    dumps = sorted(
        (p for p in OUT.glob(f"{tag}.cg.*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
    )
    if len(dumps) != 3 * len(ops):
        return {"error": f"{len(dumps)} dumps for {len(ops)} ops"}
    numbers = [totals(p) for p in dumps]
    per_call = {
        op: (numbers[3 * i + 2] - numbers[3 * i + 1]) / (args.n2 - args.n1)
        for i, op in enumerate(ops)
    }
    data = json.loads(result.read_text())
    return {"instructions": per_call, "spans_per_call": data["spans_per_call"]}


def measure_seeds(
    config: str, ops: Sequence[str], args: argparse.Namespace, seeds: Sequence[int]
) -> dict[str, Any]:
    """The median per op over one process per hash seed. A process's count can sit ~3 % above
    the others' (seen on a few floor cells: CPython's method cache missing on thousands more
    lookups, the colliding names depending on the hashes): the median leaves such a run out."""
    outcomes = [measure(config, ops, args, seed) for seed in seeds]
    failed = [o for o in outcomes if "error" in o]
    if failed:
        return failed[0]
    return {
        "instructions": {
            op: statistics.median(o["instructions"][op] for o in outcomes) for op in ops
        },
        "spans_per_call": outcomes[0]["spans_per_call"],
    }


def plan(configs: Sequence[str], ops: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(config, ops) per process: one per configuration, one per op for the floors."""
    jobs = []
    for name in configs:
        mine = [op for op in ops if setups.measures(name, op)]
        if not mine:
            continue
        if getattr(setups.CONFIGS[name].setup, "per_op", False):
            jobs += [(name, [op]) for op in mine]
        else:
            jobs.append((name, mine))
    return jobs


def installed_peers() -> set[str]:
    status = setups.WORK / "install.json"
    found = json.loads(status.read_text()) if status.exists() else {}
    return {name for name, entry in found.items() if entry.get("installed") == "yes"}


def run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    OUT.mkdir(parents=True, exist_ok=True)
    ops = [op for op in args.ops.split(",") if op]
    peers = installed_peers()
    configs = [
        name
        for name in (args.configs.split(",") if args.configs else setups.CONFIGS)
        if setups.CONFIGS[name].peer is None or setups.CONFIGS[name].peer in peers
    ]
    captured = subprocess.run(
        [sys.executable, "-m", "benchmarks.icount", "--capture", ",".join(ops)],
        cwd=ROOT,
        env=env_of("uninstrumented"),
        check=True,
    )
    assert captured.returncode == 0
    jobs = plan(configs, ops)
    table: dict[str, dict[str, float]] = {}
    spans: dict[str, dict[str, float]] = {}
    seeds = [int(seed) for seed in args.seeds.split(",")]
    with ThreadPoolExecutor(args.jobs) as pool:
        for (name, job_ops), outcome in zip(
            jobs,
            pool.map(lambda job: measure_seeds(job[0], job[1], args, seeds), jobs),
            strict=True,
        ):
            if "error" in outcome:
                print(f"bench-icount: {name} {job_ops}: {outcome['error']}", file=sys.stderr)
                continue
            table.setdefault(name, {}).update(outcome["instructions"])
            spans.setdefault(name, {}).update(outcome["spans_per_call"])
            print(f"bench-icount: {name} {job_ops} done", file=sys.stderr, flush=True)
    (setups.WORK / "icount.json").write_text(json.dumps({"table": table, "spans": spans}))
    return table


# -- the profile ----------------------------------------------------------------------------------


def profile(args: argparse.Namespace) -> None:
    """Where a call's overhead goes: callgrind's instructions per call of the configuration, and
    cProfile's calls and time per call of each function of ours and of the OpenTelemetry SDK
    (callgrind sees C functions only; cProfile sees Python's, deterministically)."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    op = args.ops.split(",")[0]
    outcome = measure(args.profile, [op], args)
    if "error" in outcome:
        raise SystemExit(outcome["error"])
    setups.prepare(args.profile, op)
    run = calls.runner(op)
    run(args.warmup)
    profiler = cProfile.Profile()
    profiler.runcall(run, args.n2)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.items():
        if "langchain_otel" in path or "opentelemetry" in path:
            where = path.split("site-packages/")[-1].split("src/")[-1]
            rows.append(
                (tottime / args.n2, cumtime / args.n2, ncalls / args.n2, f"{where}:{line} {name}")
            )
    rows.sort(reverse=True)
    report.write_profile(args.profile, op, outcome["instructions"][op], rows[:30])
    if op == "invoke":
        from benchmarks import steps  # noqa: PLC0415

        steps.measure()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default=DEFAULT_OPS)
    parser.add_argument("--configs", default="")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--n1", type=int, default=20)
    parser.add_argument("--n2", type=int, default=60)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--profile", default="")
    parser.add_argument("--worker", default="")
    parser.add_argument("--capture", default="")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.worker:
        ops = args.ops.split(",")
        result = work(args.worker, ops, args.warmup, args.n1, args.n2)
        args.out.write_text(json.dumps(result))
        os._exit(0)  # no teardown: nothing left to measure
    if args.capture:
        setups.WORK.mkdir(parents=True, exist_ok=True)
        setups.SAME_WORK.write_text(json.dumps(setups.capture(args.capture.split(","))))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench-icount needs valgrind (apt-get install -y valgrind)")
    if args.profile:
        profile(args)
        return
    started = time.perf_counter()
    table = run(args)
    report.write_icount(
        table,
        machine=_machine(),
        seconds=time.perf_counter() - started,
        n=(args.warmup, args.n1, args.n2),
    )


def _machine() -> Mapping[str, str]:
    from importlib.metadata import version  # noqa: PLC0415

    valgrind = subprocess.run(
        ["valgrind", "--version"], capture_output=True, text=True, check=False
    ).stdout
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return {
        "when": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "valgrind": valgrind.strip(),
        "python": platform.python_version(),
        "revision": revision,
        "langchain-core": version("langchain-core"),
        "opentelemetry-sdk": version("opentelemetry-sdk"),
    }


if __name__ == "__main__":
    main()

"""``make bench``: time every variant in fresh processes, check memory, write the wall-time part
of ``RESULTS.md`` (``make bench-icount`` writes the instruction counts and the targets).

Each round runs every variant once, in a new worker process, in a shuffled order (a different
one per round), so slow phases of a noisy machine spread over all variants instead of hitting
one. A cell's value is the median over the rounds of each worker's median batch. Then the
memory scenarios run, each in its own process. Nothing here pins CPUs or tunes the machine.

``python -m benchmarks.run [--rounds 5] [--budget 0.25] [--no-memory] [--variants a,b]``
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import machine, report, results
from benchmarks.analysis import (
    MemoryResult,
    Table,
    Verdict,
    build_table,
    memory_verdict,
    timing_verdicts,
)
from benchmarks.variants import BASELINE, BY_NAME, MODELS, PEERS, VARIANTS, Variant
from benchmarks.workloads import MODEL_OPS

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
RESULTS = results.RESULTS
INSTALL_STATUS = WORK / "install.json"
# Variables that change what an instrumentation does; each worker gets only its variant's own.
SCRUBBED_PREFIXES = ("OTEL_", "LANGCHAIN_", "LANGSMITH_", "TRACELOOP_", "OPENINFERENCE_")
MEMORY_SCENARIOS = ("invoke", "streams")
MIN_ROUNDS = 3
MEMORY_ESTIMATE_S = 120  # both memory scenarios at their default sizes, on a 2-core machine


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def worker_env(variant_env: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env.update(variant_env)
    return env


def wanted(names: Sequence[str], mode: str) -> set[str]:
    """``names`` (or every variant of ``mode``: "wall" or "icount"), their floors (and their
    same-work floors marked for ``mode``), the baseline."""
    chosen = set(names) or {v.name for v in VARIANTS if getattr(v, mode)}
    unknown = chosen - set(BY_NAME)
    if unknown:
        raise SystemExit(f"unknown variants: {', '.join(sorted(unknown))}")
    floors = {BY_NAME[name].floor for name in chosen}
    same_work = {BY_NAME[name].same_work for name in chosen}
    floors |= {name for name in same_work if name is not None and getattr(BY_NAME[name], mode)}
    return chosen | {floor for floor in floors if floor is not None} | {BASELINE}


def select_variants(
    names: Sequence[str], mode: str = "wall"
) -> tuple[list[Variant], dict[str, str]]:
    """The variants to run, and why the others (peers not installed) are skipped."""
    try:
        install = json.loads(INSTALL_STATUS.read_text())
    except (OSError, ValueError):
        install = {}
    chosen, skipped = [], {}
    names_wanted = wanted(names, mode)
    for variant in VARIANTS:
        if variant.name not in names_wanted:
            continue
        if variant.peer is not None and machine.version(PEERS[variant.peer]) is None:
            reason = install.get(variant.peer, {}).get("reason") or "not installed"
            skipped[variant.name] = f"{PEERS[variant.peer]} not installed: {reason}"
            continue
        chosen.append(variant)
    return chosen, skipped


def run_process(
    module: str, arguments: Sequence[str], env: Mapping[str, str], out: Path, timeout: float
) -> dict[str, Any]:
    """Run ``python -m module``; its JSON result, or ``{"error": ...}``."""
    out.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *arguments, "--out", str(out)],
            cwd=ROOT,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    try:
        result: dict[str, Any] = json.loads(out.read_text())
    except (OSError, ValueError):
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: {' | '.join(tail)}"}
    return result


def run_rounds(
    variants: Sequence[Variant], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], dict[str, str], int]:
    """The workers' results, the variants that failed (why), and how many rounds ran."""
    results: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    began, rounds_done = time.perf_counter(), 0
    for round_index in range(args.rounds):
        spent = time.perf_counter() - began
        reserve = 0 if args.no_memory else MEMORY_ESTIMATE_S
        if round_index >= MIN_ROUNDS and spent * (round_index + 1) / round_index + reserve > (
            args.time_limit
        ):
            log(f"stopping after {round_index} rounds: the next would pass --time-limit")
            break
        rounds_done = round_index + 1
        order = [v for v in variants if v.name not in errors]
        random.Random(round_index).shuffle(order)
        started = time.perf_counter()
        for variant in order:
            out = WORK / f"worker-{variant.name}.json"
            timing_args = ["--variant", variant.name, "--budget", str(args.budget)]
            timing_args += ["--batches", str(args.batches), "--warmup", str(args.warmup)]
            result = run_process(
                "benchmarks.worker", timing_args, worker_env(variant.env), out, timeout=180
            )
            if "error" in result:
                errors[variant.name] = str(result["error"]).strip().splitlines()[-1]
                log(f"{variant.name} failed: {errors[variant.name]}")
                continue
            results.append(result)
        log(
            f"round {round_index + 1}/{args.rounds}: {len(order)} variants in "
            f"{time.perf_counter() - started:.0f} s (load {machine.load_average()})"
        )
    return results, errors, rounds_done


def run_memory(args: argparse.Namespace) -> list[MemoryResult]:
    results = []
    for scenario in MEMORY_SCENARIOS:
        started = time.perf_counter()
        arguments = ["--scenario", scenario, "--calls", str(args.memory_calls)]
        arguments += ["--traced-calls", str(args.traced_calls)]
        data = run_process(
            "benchmarks.memory", arguments, worker_env({}), WORK / f"memory-{scenario}.json", 600
        )
        data.setdefault("scenario", scenario)
        results.append(MemoryResult.from_json(data))
        log(f"memory {scenario}: {time.perf_counter() - started:.0f} s")
    return results


def command_line(argv: Sequence[str]) -> str:
    return " ".join([".venv-bench/bin/python -m benchmarks.run", *argv])


def structure_table(table: Table, variants: Sequence[Variant], models: bool = False) -> list[str]:
    """The tool and graph rows (``models``: the embed_query and completion rows), in µs."""
    return report.structure_table(
        table,
        variants,
        lambda value: f"{value:.1f} µs/call",
        lambda value: "-" if value is None else f"{value:+.1f}",
        **({"ops": MODEL_OPS, "group": MODELS} if models else {}),
    )


def render(
    table: Table,
    variants: Sequence[Variant],
    verdicts: Sequence[Verdict],
    memory: Sequence[MemoryResult],
    skipped: Mapping[str, str],
    info: Mapping[str, str],
    meta: Mapping[str, str],
) -> list[str]:
    """The wall-time section of ``RESULTS.md``."""
    lines = [
        "## Wall time (`make bench`)",
        "",
        f"Written by `make bench` (`{meta['command']}`) on {meta['date']}; the run took "
        f"{meta['duration']}, rounds: {meta['rounds']}. "
        f"Load average (1/5/15 min) before | after: {meta['load_before']} | "
        f"{meta['load_after']}.",
        "",
        "### Machine",
        "",
        *report._rows(["", ""], [[key, f"`{value}`"] for key, value in info.items()]),
        "",
        "### Overhead per call",
        "",
        "Overhead = the variant's median minus the uninstrumented median (µs per call; first "
        "row: the uninstrumented times themselves). `(x floor)` = overhead / the overhead of the "
        "floor named in `compared with`, which does the same work on the same span pipeline. "
        "`µs/chunk` = marginal overhead per chunk: (overhead of a 20-chunk stream - overhead of "
        "a 2-chunk stream) / 18. `spans/call`: spans exported per invoke (a sanity check); "
        "`attributes`: how many the span of an invoke / a stream carried.",
        "",
        *report.summary_table(table, variants),
        "",
    ]
    structure = structure_table(table, variants)
    if structure:
        lines += [
            "### Structure spans (tool call, graph run)",
            "",
            "Their own rows (own worker processes), so the chat rows above measure what they "
            "always did: `tool` = a `@tool` function called with `tool.invoke({...})`, `graph` = "
            "`graph.invoke(state)` of a two-node LangGraph `StateGraph` with plain Python nodes. "
            "Overhead in µs per call (first row: the uninstrumented times); `(x floor)` = "
            "overhead / the overhead of `floor-structure` (one INTERNAL span, as many constant "
            "attributes, around `BaseTool.run` and `Pregel.invoke`; Batch pipeline).",
            "",
            *structure,
            "",
        ]
    models = structure_table(table, variants, models=True)
    if models:
        lines += [
            "### Embedding and completion spans (embed_query, completion invoke)",
            "",
            "Their own rows (own worker processes), like the structure rows: `embed_query` = "
            "`BenchEmbeddings().embed_query(text)` (an in-process `Embeddings`, fixed vector), "
            "`completion` = `BenchLLM().invoke(prompt)` (an in-process `BaseLLM`, token usage in "
            "`llm_output`). Overhead in µs per call (first row: the uninstrumented times); "
            "`(x floor)` = overhead / the overhead of `floor-embed-completion` (one CLIENT span, "
            "as many constant attributes, around `BenchEmbeddings.embed_query` and "
            "`BaseLLM._generate_helper`, plus the same duration and token metric points; Batch "
            "pipeline).",
            "",
            *models,
            "",
        ]
    if table.errors or skipped:
        lines += ["Not measured:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in {**skipped, **table.errors}.items()]
        lines.append("")
    lines += [
        "### Checks on wall time and memory",
        "",
        "The targets are checked on instruction counts (above); these need a clock or RSS.",
        "",
        *report.verdict_lines(verdicts),
        "",
        "### Memory",
        "",
    ]
    if memory:
        lines += [
            "langchain-otel (Batch, metrics on) after a 2,000-call warm-up; method in "
            "`benchmarks/memory.py`. `streams` rotates full `stream`, `stream` broken after 2 "
            "chunks and dropped, full `astream`, `astream` broken after 2 chunks and dropped.",
            "",
            *report.memory_table(memory),
            "",
            "Largest live allocation sites at the end of the traced calls (what stays once, "
            "not per call):",
            "",
            *report.sites_lines(memory),
            "",
        ]
    else:
        lines += ["Not run (`--no-memory`).", ""]
    lines += ["### Every cell", "", *report.detail_table(table, variants), ""]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=0.25, help="timed seconds per op")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--warmup", type=float, default=0.1, help="warm-up seconds per op")
    parser.add_argument("--memory-calls", type=int, default=100_000)
    parser.add_argument("--traced-calls", type=int, default=8_000)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=480,
        help="seconds for the whole run: rounds after the third are skipped if they would pass it",
    )
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated; their floors and the baseline are added (default: every variant "
        "marked for make bench)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    WORK.mkdir(parents=True, exist_ok=True)
    started, load_before = time.perf_counter(), machine.load_average()
    variants, skipped = select_variants([n for n in args.variants.split(",") if n])
    for name, reason in skipped.items():
        log(f"skipping {name}: {reason}")
    worker_results, errors, rounds_done = run_rounds(variants, args)
    table = build_table(worker_results, errors)
    verdicts = timing_verdicts(table)
    memory = [] if args.no_memory else run_memory(args)
    verdicts += [memory_verdict(result) for result in memory]
    meta = {
        "command": command_line(raw),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{time.perf_counter() - started:.0f} s",
        "rounds": f"{rounds_done} of {args.rounds}",
        "load_before": load_before,
        "load_after": machine.load_average(),
    }
    lines = render(table, variants, verdicts, memory, skipped, machine.describe(), meta)
    results.write_section("wall", lines, args.out)
    console = [*report.summary_table(table, variants), ""]
    if structure := structure_table(table, variants):
        console += [*structure, ""]
    if models := structure_table(table, variants, models=True):
        console += [*models, ""]
    console += report.verdict_lines(verdicts)
    if memory:
        console += ["", *report.memory_table(memory)]
    print("\n".join(console))
    log(
        f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
        f"in {meta['duration']}"
    )


if __name__ == "__main__":
    main()

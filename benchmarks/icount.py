"""``make bench-icount``: CPU instructions per call under callgrind; the targets; ``RESULTS.md``.

Each variant runs once, in a fresh process under ``valgrind --tool=callgrind`` (``--jobs`` at a
time: the counts do not depend on load), on the ``discard`` pipeline; ``benchmarks.icount_worker``
runs ``n1`` then ``n2`` calls of each op between markers that make callgrind dump its counters, and
instructions per call are ``(I(n2) - I(n1)) / (n2 - n1)``: start-up, warm-up and the markers'
own costs cancel. Overhead = a variant's instructions per call minus the uninstrumented ones;
each overhead is compared with the overhead of the floor doing the same work (``Variant.floor``:
the issue's targets) and, informationally, with the floor doing exactly our work
(``Variant.same_work``: langchain-otel's span attributes; a non-recording span under the
sampled-out sampler), with the lower bounds that follow; a warning if our span's attribute keys
drift from that floor's.
Writes the ``icount`` part of ``RESULTS.md`` (the targets are checked here) and the raw numbers
to ``benchmarks/.work/icount.json``.

``python -m benchmarks.icount [--n1 20] [--n2 60]
[--ops invoke,stream,stream-2,tool,graph,embed_query,completion]
[--jobs 2] [--variants a,b] [--keep]`` (``stream-2`` gives the per-chunk cost; ``ainvoke`` and
``astream`` are measured the same way when named). The chat variants measure the chat ops, the
structure variants (``floor-structure``, ``langchain-otel-structure``) only ``tool`` and ``graph``,
the embedding/completion variants (``floor-embed-completion``, ``langchain-otel-embed-completion``)
only ``embed_query`` and ``completion``, the baseline all; a variant with none of ``--ops`` is not
run (``--ops invoke,stream,stream-2``: the chat rows alone, as before the structure rows).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import floor as floors
from benchmarks import machine, report, results
from benchmarks.analysis import (
    WHAT,
    Cell,
    Table,
    Verdict,
    fair_verdicts,
    lower_bounds,
    same_work_verdicts,
)
from benchmarks.icount_worker import DUMPS_PER_OP, callgrind_command
from benchmarks.run import WORK, log, select_variants, worker_env
from benchmarks.variants import (
    BASELINE,
    BY_NAME,
    FLOOR,
    FLOOR_METRICS_SAME,
    FLOOR_METRICS_SAMPLED_OUT,
    FLOOR_SAME,
    METRICS_ONLY,
    MODELS,
    STRUCTURE,
    Variant,
)
from benchmarks.workloads import LONG_CHUNKS, MODEL_OPS, OWN_ROW_OPS, SHORT_CHUNKS, SHORT_OF

CALLGRIND_DIR = WORK / "icount"
RAW = WORK / "icount.json"
DEFAULT_OPS = "invoke,stream,stream-2,tool,graph,embed_query,completion"
# How far a ratio moves between runs of other configurations (see Method in RESULTS.md).
RATIO_NOISE = 0.05
EXEMPLAR_PAIRS = (
    ("langchain-otel", "langchain-otel-exemplars-off"),
    ("floor-metrics", "floor-metrics-exemplars-off"),
)


def valgrind_version() -> str | None:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        return None
    done = subprocess.run(["valgrind", "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def totals(path: Path) -> int:
    """The instruction total of one callgrind dump (its ``totals:`` or ``summary:`` line)."""
    summary = None
    with path.open() as dump:
        for line in dump:
            if line.startswith("totals:"):
                return int(line.split()[1])
            if line.startswith("summary:"):
                summary = int(line.split()[1])
    if summary is None:
        raise ValueError(f"{path}: no totals line")
    return summary


def dumps(base: Path) -> list[Path]:
    """The numbered dumps of one run (``base.1``, ``base.2``, …), in order."""
    numbered = [path for path in base.parent.glob(base.name + ".*") if path.suffix[1:].isdigit()]
    return sorted(numbered, key=lambda path: int(path.suffix[1:]))


def run_variant(variant: Variant, args: argparse.Namespace) -> dict[str, Any]:
    """Instructions per call of each op it measures, or ``{"error": ...}``."""
    ops = variant_ops(variant, args.ops)
    base = CALLGRIND_DIR / f"{variant.name}.cg"
    for old in [base, *base.parent.glob(base.name + ".*")]:
        old.unlink(missing_ok=True)
    out = CALLGRIND_DIR / f"{variant.name}.json"
    out.unlink(missing_ok=True)
    command = callgrind_command(
        base,
        "benchmarks.icount_worker",
        "--variant",
        variant.name,
        "--ops",
        ",".join(ops),
        "--warmup",
        str(args.warmup),
        "--n1",
        str(args.n1),
        "--n2",
        str(args.n2),
        "--out",
        str(out),
        "--instrument-from-setup",
    )
    env = worker_env(variant.env)
    env["PYTHONHASHSEED"] = "0"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=results.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"variant": variant.name, "error": f"timed out after {args.timeout:.0f} s"}
    seconds = time.perf_counter() - started
    try:
        data: dict[str, Any] = json.loads(out.read_text())
    except (OSError, ValueError):
        tail = [line for line in done.stderr.strip().splitlines() if not line.startswith("==")]
        return {"variant": variant.name, "error": f"exit {done.returncode}: {tail[-3:]}"}
    parts = dumps(base)
    expected = DUMPS_PER_OP * len(ops)
    if len(parts) != expected:
        return {"variant": variant.name, "error": f"{len(parts)} dumps, expected {expected}"}
    counts = [totals(path) for path in parts]
    per_call = {}
    for index, op in enumerate(ops):
        _prefix, first, second = counts[index * DUMPS_PER_OP : (index + 1) * DUMPS_PER_OP]
        per_call[op] = (second - first) / (args.n2 - args.n1)
    if not args.keep:
        for path in [base, *parts]:
            path.unlink(missing_ok=True)
    return {
        "variant": variant.name,
        "instructions": per_call,
        "spans_per_call": data["spans_per_call"],
        "attributes": data.get("attributes", {}),
        "seconds": seconds,
    }


def variant_ops(variant: Variant, ops: Sequence[str]) -> list[str]:
    """The ops of ``ops`` that ``variant`` measures (the chat, structure or model ones)."""
    return [op for op in ops if variant.measures(op)]


def build_table(raw: Sequence[Mapping[str, Any]]) -> Table:
    """The instruction counts as a ``Table`` (one "round" per cell; the unit is instructions)."""
    cells: dict[str, dict[str, Cell]] = {}
    errors = {}
    for result in raw:
        name = str(result["variant"])
        if "error" in result:
            errors[name] = str(result["error"])
            continue
        cells[name] = {
            op: Cell([float(count)], float(result["spans_per_call"].get(op, 0.0)), 0)
            for op, count in result["instructions"].items()
        }
    return Table(cells, errors)


def kilo(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:+,.1f}k" if sign else f"{value / 1000:,.1f}k"


def _fmt_kilo(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1000:,.1f}k instructions"


def summary_table(table: Table, variants: Sequence[Variant], ops: Sequence[str]) -> list[str]:
    main_ops = [op for op in ops if op in ("invoke", "ainvoke", "stream", "astream")]
    if not main_ops:
        return []
    slopes = [op for op in main_ops if SHORT_OF.get(op) in ops]
    header = [
        "variant",
        "compared with",
        *(f"{op}: overhead (x floor)" for op in main_ops),
        *(f"{op}: per chunk" for op in slopes),
        "spans/call",
    ]
    rows = []
    for variant in variants:
        name = variant.name
        if name not in table.cells or variant.ops in (STRUCTURE, MODELS):
            continue
        if name == BASELINE:
            cells = [f"**{kilo(table.median(name, op))}/call**" for op in main_ops]
            rows.append([f"{name} (absolute)", "-", *cells, *(["-"] * len(slopes)), "0"])
            continue
        cells = []
        for op in main_ops:
            ratio = table.floor_ratio(name, op)
            cells.append(
                kilo(table.overhead(name, op), sign=True)
                + (f" (**{ratio:.2f}x**)" if ratio is not None else "")
            )
        chunks = [kilo(table.per_chunk(name, op), sign=True) for op in slopes]
        spans = table.cells[name][main_ops[0]].spans_per_call
        floor = variant.floor or "(a floor)"
        rows.append([name, floor, *cells, *chunks, f"{spans:.2f}"])
    return report._rows(header, rows)


def floors_table(table: Table, ops: Sequence[str]) -> list[str]:
    """What the floors' work costs, the metric points' share, and the extra work of the floors
    doing the same work as ours (more attributes; a non-recording span made current)."""
    main_ops = [op for op in ops if op not in SHORT_OF.values() and op not in OWN_ROW_OPS]
    rows = []
    for label, value in (
        ("bare floor (span)", lambda op: table.overhead("floor", op)),
        ("floor+metrics (span + points)", lambda op: table.overhead("floor-metrics", op)),
        ("metrics-only (points)", lambda op: table.overhead("metrics-only", op)),
        (
            "floor+metrics - bare floor (points in a span's context)",
            lambda op: _difference(table, "floor-metrics", "floor", op),
        ),
        (
            "floor-same-attributes (span with our attributes)",
            lambda op: table.overhead(FLOOR_SAME, op),
        ),
        (
            "floor-metrics-same-attributes (the same + points)",
            lambda op: table.overhead(FLOOR_METRICS_SAME, op),
        ),
        (
            "floor-metrics-sampled-out (non-recording span + points)",
            lambda op: table.overhead(FLOOR_METRICS_SAMPLED_OUT, op),
        ),
        (
            "floor-same-attributes - bare floor (our extra attributes)",
            lambda op: _difference(table, FLOOR_SAME, FLOOR, op),
        ),
        (
            "floor-metrics-sampled-out - metrics-only (non-recording span, made current)",
            lambda op: _difference(table, FLOOR_METRICS_SAMPLED_OUT, METRICS_ONLY, op),
        ),
    ):
        if any(value(op) is not None for op in main_ops):
            rows.append([label, *(kilo(value(op), sign=True) for op in main_ops)])
    return report._rows(["floor", *main_ops], rows)


def _same_attributes(op: str) -> dict[str, Any]:
    """The attributes ``floor-same-attributes`` puts on the span of ``op``."""
    streaming = op in SHORT_OF or op in SHORT_OF.values()
    return floors.SAME_STREAM_ATTRIBUTES if streaming else floors.SAME_ATTRIBUTES


def attribute_warnings(raw: Sequence[Mapping[str, Any]]) -> list[str]:
    """Where one of our configurations' last span of an op has other attribute keys than its
    same-work floor's: ``floor.SAME_ATTRIBUTES``/``SAME_STREAM_ATTRIBUTES`` need refreshing."""
    keys = {str(result["variant"]): result.get("attributes") or {} for result in raw}
    warnings = []
    for variant, by_op in keys.items():
        same = BY_NAME[variant].same_work
        if same is None or same not in keys:
            continue
        for op, ours in by_op.items():
            theirs = keys[same].get(op)
            if ours is None or theirs is None:
                continue
            drift = floors.attribute_drift(dict.fromkeys(theirs), dict.fromkeys(ours), False)
            if drift:
                warnings.append(
                    f"{op}: `{variant}`'s span has {len(ours)} attributes, `{same}`'s "
                    f"{len(theirs)} ({'; '.join(drift)}): refresh `floor.SAME_ATTRIBUTES` / "
                    "`SAME_STREAM_ATTRIBUTES` (`python -m benchmarks.floor` prints them)"
                )
    return warnings


def lower_bound_lines(table: Table, ops: Sequence[str]) -> list[str]:
    """Why the issue's targets cannot hold while doing our work: the measured costs of the extra
    attributes and of propagating a sampled-out decision, and the best ratio each target can
    reach (the same-work floor against the target's floor)."""
    main_ops = [op for op in ops if op not in SHORT_OF.values() and op not in OWN_ROW_OPS]
    bounds = [bound for bound in lower_bounds(table, main_ops) if bound.best is not None]
    if not bounds:
        return []
    lines = [
        "Lower bounds: what any instrumentation doing our work costs at best, measured by the "
        "floors above.",
        "",
    ]
    attribute_costs = []
    for op in main_ops:
        extra = _difference(table, FLOOR_SAME, FLOOR, op)
        count = len(_same_attributes(op)) - len(floors.ATTRIBUTES)
        if extra is not None and count > 0:
            ours = _same_attributes(op)
            keys = ", ".join(f"`{key}`" for key in ours if key not in floors.ATTRIBUTES)
            attribute_costs.append(
                f"{op}: {len(ours)} attributes (the floor's and {keys}); "
                f"`{FLOOR_SAME}` - `{FLOOR}` = {kilo(extra, sign=True)}, "
                f"**{kilo(extra / count)} per attribute** (/ {count})"
            )
    if attribute_costs:
        lines.append(
            "- **Attributes.** langchain-otel's span of this call carries more attributes than "
            f"the bare floor's {len(floors.ATTRIBUTES)}. "
            + "; ".join(attribute_costs)
            + ". The SDK checks, cleans and stores each attribute (`BoundedAttributes`), so "
            "these instructions are spent by anything that emits them, however it gathers them."
        )
    propagation = []
    for op in main_ops:
        cost = _difference(table, FLOOR_METRICS_SAMPLED_OUT, METRICS_ONLY, op)
        if cost is None:
            continue
        text = f"{op} {kilo(cost, sign=True)}"
        slope, base = (
            table.per_chunk(FLOOR_METRICS_SAMPLED_OUT, op),
            table.per_chunk(METRICS_ONLY, op),
        )
        if slope is not None and base is not None:
            text += f" ({kilo(slope - base, sign=True)} per chunk)"
        propagation.append(text)
    if propagation:
        lines.append(
            "- **Sampled out.** A sampled-out call that propagates its sampling decision (W3C "
            "`traceparent` on outgoing requests, `ParentBased` children sampled out too) must "
            "still create a non-recording span (the sampler, a trace and a span id) and make it "
            "current around the provider call and each stream step; `metrics-only` does "
            f"neither. `{FLOOR_METRICS_SAMPLED_OUT}` - `{METRICS_ONLY}` = "
            + ", ".join(propagation)
            + "."
        )
    lines.append(
        "- So each target of the first table can be met at best at the ratio of the floor "
        "doing the same work to the target's floor:"
    )
    lines += [""]
    rows = [
        [
            f"{bound.op}: {WHAT[bound.variant]} ≤ {bound.limit} x {WHAT[bound.floor]}",
            f"`{bound.same}` / `{bound.floor}`",
            f"**{bound.best:.2f}x**",
            {True: "yes", False: "**no**", None: "-"}[bound.reachable]
            + (
                f" (borderline: within the ±{RATIO_NOISE} a ratio moves between runs)"
                if bound.best is not None and abs(bound.best - bound.limit) <= RATIO_NOISE
                else ""
            ),
        ]
        for bound in bounds
    ]
    lines += report._rows(["issue target", "best possible", "ratio", "reachable"], rows)
    return lines


def same_work_lines(
    table: Table, verdicts: Sequence[Verdict], ops: Sequence[str], warnings: Sequence[str]
) -> list[str]:
    """The informational second table: the issue's limits against the floors doing the same
    work, the lower-bound reasoning, and any attribute drift."""
    if not verdicts:
        return []
    passed = sum(1 for verdict in verdicts if verdict.passed)
    lines = [
        "### Against floors doing the same work (informational)",
        "",
        "Not the issue's targets (those are the table above, unchanged): the same ratio limits "
        f"applied against floors that do exactly our work. `{FLOOR_SAME}` is the bare floor "
        "with the very attributes langchain-otel sets on the span of this call "
        f"({len(floors.SAME_ATTRIBUTES)} on an invoke, {len(floors.SAME_STREAM_ATTRIBUTES)} "
        "on a stream, `floor.SAME_ATTRIBUTES`/`SAME_STREAM_ATTRIBUTES`) instead of 10; "
        f"`{FLOOR_METRICS_SAME}` adds the floor's metric points; "
        f"`{FLOOR_METRICS_SAMPLED_OUT}` is `floor-metrics` under the `ALWAYS_OFF` sampler (a "
        "non-recording span, made current around the call and each stream step, plus the "
        "metric points).",
        "",
        f"{passed} of {len(verdicts)} pass.",
        "",
        *report.verdict_lines(verdicts),
        "",
    ]
    if warnings:
        lines += ["**Attribute drift** (the same-attribute floors no longer match):", ""]
        lines += [f"- {warning}" for warning in warnings]
        lines.append("")
    bounds = lower_bound_lines(table, ops)
    if bounds:
        lines += [*bounds, ""]
    return lines


def _difference(table: Table, one: str, other: str, op: str) -> float | None:
    if not (table.has(one, op) and table.has(other, op)):
        return None
    return table.median(one, op) - table.median(other, op)


def exemplar_table(table: Table, ops: Sequence[str]) -> list[str]:
    main_ops = [op for op in ops if op not in SHORT_OF.values() and op not in OWN_ROW_OPS]
    rows = []
    for with_exemplars, without in EXEMPLAR_PAIRS:
        cells = []
        for op in main_ops:
            difference = _difference(table, with_exemplars, without, op)
            cells.append(kilo(difference, sign=True))
        rows.append([f"`{with_exemplars}`: trace_based - always_off", *cells])
    return report._rows(["exemplars per call", *main_ops], rows)


def exemplar_notes(table: Table, ops: Sequence[str]) -> list[str]:
    """Where our points pay far less for exemplars than the floor's, they were recorded outside
    the span's context (no exemplar): say what the ratio is with exemplars off on both sides."""
    (ours, ours_off), (floor, floor_off) = EXEMPLAR_PAIRS
    notes = []
    for op in ops:
        if op in SHORT_OF.values() or op in OWN_ROW_OPS:
            continue
        mine, theirs = (
            _difference(table, ours, ours_off, op),
            _difference(table, floor, floor_off, op),
        )
        ratio = table.floor_ratio(ours_off, op)
        if mine is None or theirs is None or ratio is None or mine >= theirs / 2:
            continue
        notes.append(
            f"- {op}: `{ours}` pays {kilo(mine)} for exemplars, the floor {kilo(theirs)}: its "
            "points are recorded outside the span's context, so they carry no exemplar. With "
            f"exemplars off on both sides (the same work) its ratio is **{ratio:.2f}x**."
        )
    return [*notes, ""] if notes else []


def render(
    table: Table,
    variants: Sequence[Variant],
    verdicts: Sequence[Verdict],
    skipped: Mapping[str, str],
    ops: Sequence[str],
    meta: Mapping[str, str],
    same_verdicts: Sequence[Verdict] = (),
    warnings: Sequence[str] = (),
) -> list[str]:
    passed = sum(1 for verdict in verdicts if verdict.passed)
    lines = [
        "## Targets (instruction counts, `make bench-icount`)",
        "",
        f"Written by `make bench-icount` (`{meta['command']}`) on {meta['date']} in "
        f"{meta['duration']}; {meta['valgrind']}, CPython {meta['python']}, revision "
        f"`{meta['revision']}`, langchain-core {meta['langchain-core']}, opentelemetry-sdk "
        f"{meta['opentelemetry-sdk']}. Instructions per call from {meta['n1']} and "
        f"{meta['n2']} calls after {meta['warmup']} warm-up calls, `discard` pipeline "
        "(`SimpleSpanProcessor` into a dropping exporter); overhead = minus the uninstrumented "
        "count. Each target compares the overheads of one of our configurations and of the "
        "floor that does the same work.",
        "",
        f"**{passed} of {len(verdicts)} targets pass.**",
        "",
        *report.verdict_lines(verdicts),
        "",
        *same_work_lines(table, same_verdicts, ops, warnings),
        "### Instructions per call",
        "",
        "Overhead in instructions per call (k = thousand; first row: the uninstrumented "
        "counts themselves); `(x floor)` = overhead / the overhead of the floor named in "
        "`compared with`."
        + (
            " `per chunk`: (overhead of a 20-chunk stream - overhead of a 2-chunk stream) / "
            f"{LONG_CHUNKS - SHORT_CHUNKS}."
            if any(short in ops for short in SHORT_OF.values())
            else ""
        ),
        "",
        *summary_table(table, variants, ops),
        "",
    ]
    structure = report.structure_table(
        table,
        variants,
        lambda value: f"{kilo(value)}/call",
        lambda value: kilo(value, sign=True),
        with_attributes=False,
    )
    if structure:
        lines += [
            "### Structure spans (tool call, graph run)",
            "",
            "Their own rows, so the chat rows above measure what they always did. `tool`: a "
            "`@tool` function called with `tool.invoke({...})` (one `execute_tool` span); "
            "`graph`: `graph.invoke(state)` of a compiled two-node LangGraph `StateGraph` with "
            "plain Python nodes (one `invoke_workflow` span). `langchain-otel-structure` is "
            "`langchain-otel` as instrumented above (structure spans on, their default); "
            "`floor-structure` puts one INTERNAL span with as many constant attributes around "
            "`BaseTool.run` and `Pregel.invoke`. Overhead in instructions per call (first row: "
            "the uninstrumented counts); `(x floor)` = overhead / the floor's overhead.",
            "",
            *structure,
            "",
        ]
    models = report.structure_table(
        table,
        variants,
        lambda value: f"{kilo(value)}/call",
        lambda value: kilo(value, sign=True),
        ops=MODEL_OPS,
        with_attributes=False,
        group=MODELS,
    )
    if models:
        lines += [
            "### Embedding and completion spans (embed_query, completion invoke)",
            "",
            "Their own rows, like the structure rows. `embed_query`: "
            "`BenchEmbeddings().embed_query(text)`, an in-process `Embeddings` returning a fixed "
            "8-float vector, registered like `OpenAIEmbeddings` (one `embeddings` CLIENT span, 6 "
            "attributes, 1 duration point); `completion`: `BenchLLM().invoke(prompt)`, an "
            "in-process `BaseLLM` answering at once with token usage in `llm_output`, registered "
            "like `langchain_openai.OpenAI` (one `text_completion` CLIENT span, 10 attributes, a "
            "duration and 2 token-usage points). `langchain-otel-embed-completion` is "
            "`langchain-otel` with those two classes registered; `floor-embed-completion` puts "
            "one CLIENT span with as many constant attributes around `BenchEmbeddings.embed_query` "
            "and `BaseLLM._generate_helper` and records the same metric points (constant "
            "attributes and token counts, in the span's context). Overhead in instructions per "
            "call (first row: the uninstrumented counts); `(x floor)` = overhead / the floor's "
            "overhead.",
            "",
            *models,
            "",
        ]
    if table.errors or skipped:
        lines += ["Not measured:", ""]
        lines += [f"- `{name}`: {reason}" for name, reason in {**skipped, **table.errors}.items()]
        lines.append("")
    lines += [
        "### The floors",
        "",
        "What the reference work costs (overhead, instructions per call).",
        "",
        *floors_table(table, ops),
        "",
        "### Exemplars",
        "",
        "The cost of exemplars per call: the same variant with the SDK's exemplar filter "
        "`trace_based` (the default) minus with `always_off` (`OTEL_METRICS_EXEMPLAR_FILTER`). "
        "Exemplars attach only to points recorded in a sampled span's context: the floor "
        "records its points in the span's context.",
        "",
        *exemplar_table(table, ops),
        "",
        *exemplar_notes(table, ops),
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n1", type=int, default=20)
    parser.add_argument("--n2", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--ops", default=DEFAULT_OPS, help="comma-separated, of workloads.ALL_OPS")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=900, help="seconds per variant")
    parser.add_argument("--variants", default="", help="comma-separated; floors are added")
    parser.add_argument("--keep", action="store_true", help="keep the callgrind dumps")
    parser.add_argument("--out", type=Path, default=results.RESULTS)
    raw_argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw_argv)
    args.ops = [op for op in args.ops.split(",") if op]
    if args.n2 <= args.n1:
        parser.error("--n2 must be larger than --n1")
    version = valgrind_version()
    if version is None:
        raise SystemExit("bench-icount needs valgrind (apt-get install -y valgrind)")
    CALLGRIND_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    variants, skipped = select_variants([n for n in args.variants.split(",") if n], "icount")
    variants = [variant for variant in variants if variant_ops(variant, args.ops)]
    for name, reason in skipped.items():
        log(f"skipping {name}: {reason}")
    raw: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(run_variant, variant, args): variant for variant in variants}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            raw.append(result)
            if "error" in result:
                log(f"{result['variant']} failed: {result['error']}")
            else:
                counts = ", ".join(
                    f"{op} {kilo(value)}" for op, value in result["instructions"].items()
                )
                log(f"{result['variant']}: {counts} ({result['seconds']:.0f} s)")
    order = {variant.name: index for index, variant in enumerate(variants)}
    raw.sort(key=lambda result: order[result["variant"]])
    table = build_table(raw)
    verdict_ops = [op for op in args.ops if op not in SHORT_OF.values() and op not in OWN_ROW_OPS]
    verdicts = fair_verdicts(table, verdict_ops, _fmt_kilo)
    same_verdicts = same_work_verdicts(table, verdict_ops, _fmt_kilo)
    warnings = attribute_warnings(raw)
    for warning in warnings:
        log(f"warning: {warning}")
    info = machine.describe()
    meta = {
        "command": " ".join([".venv-bench/bin/python -m benchmarks.icount", *raw_argv]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{time.perf_counter() - started:.0f} s",
        "valgrind": version,
        "python": info["Python"].split()[-1],
        "revision": info["revision"],
        "langchain-core": info["langchain-core"],
        "opentelemetry-sdk": info["opentelemetry-sdk"],
        "n1": str(args.n1),
        "n2": str(args.n2),
        "warmup": str(args.warmup),
    }
    RAW.write_text(json.dumps({"meta": meta, "results": raw}, indent=2))
    lines = render(table, variants, verdicts, skipped, args.ops, meta, same_verdicts, warnings)
    results.write_section("icount", lines, args.out)
    print("\n".join(lines))
    log(f"wrote {args.out} in {meta['duration']}")


if __name__ == "__main__":
    main()

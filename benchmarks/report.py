"""Markdown for ``RESULTS.md`` and the console: the tables, the targets, the memory check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

from benchmarks.analysis import MemoryResult, Table, Verdict
from benchmarks.variants import BASELINE, BY_NAME, MODELS, STRUCTURE, VARIANTS, Variant
from benchmarks.workloads import ALL_OPS, MAIN_OPS, SHORT_OF, STRUCTURE_OPS

ROOT = Path(__file__).resolve().parent.parent


def short_path(filename: str) -> str:
    """A source path without the venv or checkout prefix (``stdlib/`` for the standard library)."""
    for marker in ("site-packages/", f"{ROOT}/src/", f"{ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    if "/lib/python3" in filename:
        return "stdlib/" + filename.rsplit("/", 1)[-1]
    return filename


def _num(value: float | None, digits: int = 1, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _rows(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _floor_label(name: str) -> str:
    floor = BY_NAME[name].floor
    return "(a floor)" if floor is None else floor


def summary_table(table: Table, variants: Sequence[Variant] = VARIANTS) -> list[str]:
    """Overhead per call (µs) and its ratio to the fair floor's, per variant and op."""
    header = [
        "variant",
        "compared with",
        *(f"{op} overhead µs (x floor)" for op in MAIN_OPS),
        *(f"{op} µs/chunk" for op in SHORT_OF),
        "spans/call",
        "attributes (invoke/stream)",
    ]
    rows = []
    for variant in variants:
        name = variant.name
        if name not in table.cells or variant.ops in (STRUCTURE, MODELS):
            continue
        if name == BASELINE:
            cells = [f"**{_num(table.median(name, op))} µs/call**" for op in MAIN_OPS]
            rows.append([f"{name} (absolute)", "-", *cells, "-", "-", "0", "-"])
            continue
        cells = []
        for op in MAIN_OPS:
            ratio = table.floor_ratio(name, op)
            cells.append(
                f"{_num(table.overhead(name, op), sign=True)}"
                + (f" ({ratio:.2f}x)" if ratio is not None else "")
            )
        chunks = [_num(table.per_chunk(name, op), 2, sign=True) for op in SHORT_OF]
        spans = table.cells[name]["invoke"].spans_per_call
        attributes = "/".join(
            str(table.cells[name][op].attributes) if table.has(name, op) else "-"
            for op in ("invoke", "stream")
        )
        rows.append(
            [
                name,
                _floor_label(name),
                *cells,
                *chunks,
                f"{spans:.2f}",
                attributes.replace("None", "-"),
            ]
        )
    return _rows(header, rows)


def detail_table(table: Table, variants: Sequence[Variant] = VARIANTS) -> list[str]:
    header = [
        "variant",
        "op",
        "median µs/call",
        "overhead µs",
        "x fair floor",
        "spread %",
        "calls/batch",
        "spans/call",
    ]
    rows = []
    for variant in variants:
        name = variant.name
        for op in ALL_OPS:
            if not table.has(name, op):
                continue
            cell = table.cells[name][op]
            ratio = table.floor_ratio(name, op) if name != BASELINE else None
            rows.append(
                [
                    name,
                    op,
                    _num(cell.median_us),
                    "-" if name == BASELINE else _num(table.overhead(name, op), sign=True),
                    "-" if ratio is None else f"{ratio:.2f}",
                    f"{cell.spread_pct:.0f}",
                    str(cell.calls_per_batch),
                    f"{cell.spans_per_call:.2f}",
                ]
            )
    return _rows(header, rows)


def structure_table(
    table: Table,
    variants: Sequence[Variant],
    absolute: Callable[[float], str],
    overhead: Callable[[float | None], str],
    ops: Sequence[str] = STRUCTURE_OPS,
    with_attributes: bool = True,
    group: str = STRUCTURE,
) -> list[str]:
    """The tool and graph rows: the baseline's absolute cost, then overhead (x floor) of the
    structure floor and of langchain-otel (``Variant.ops == STRUCTURE``); ``with_attributes``:
    the attributes column (the wall-time workers count them). ``group=MODELS``, ``ops=MODEL_OPS``:
    the embed_query and completion rows, the same way."""
    ops = [op for op in ops if table.has(BASELINE, op)]
    if not ops:
        return []
    header = [
        "variant",
        "compared with",
        *(f"{op}: overhead (x floor)" for op in ops),
        "spans/call (" + "/".join(ops) + ")",
        *(["attributes (" + "/".join(ops) + ")"] if with_attributes else []),
    ]
    rows = [
        [
            f"{BASELINE} (absolute)",
            "-",
            *(f"**{absolute(table.median(BASELINE, op))}**" for op in ops),
            "0",
            *(["-"] if with_attributes else []),
        ]
    ]
    for variant in variants:
        name = variant.name
        if variant.ops != group or name not in table.cells:
            continue
        cells = []
        for op in ops:
            ratio = table.floor_ratio(name, op)
            cells.append(
                overhead(table.overhead(name, op))
                + (f" (**{ratio:.2f}x**)" if ratio is not None else "")
            )
        spans = "/".join(
            f"{table.cells[name][op].spans_per_call:.2f}" if table.has(name, op) else "-"
            for op in ops
        )
        attributes = "/".join(
            str(table.cells[name][op].attributes)
            if table.has(name, op) and table.cells[name][op].attributes is not None
            else "-"
            for op in ops
        )
        row = [name, _floor_label(name), *cells, spans]
        rows.append([*row, attributes] if with_attributes else row)
    return _rows(header, rows)


def verdict_lines(verdicts: Sequence[Verdict]) -> list[str]:
    return _rows(
        ["target", "result", "numbers"], [[v.target, f"**{v.label}**", v.detail] for v in verdicts]
    )


def memory_table(results: Sequence[MemoryResult]) -> list[str]:
    header = [
        "scenario",
        "calls",
        "µs/call",
        "RSS growth per quarter, KB",
        "RSS growth, last half, KB",
        "traced calls",
        "tracemalloc growth KB",
        "tracemalloc B/call (slope)",
        "spans/call",
    ]
    rows = []
    for result in results:
        if result.error:
            rows.append([result.scenario, "error", result.error, *[""] * 6])
            continue
        rss = result.rss_quarters
        rows.append(
            [
                result.scenario,
                f"{result.calls:,}",
                f"{result.seconds / result.calls * 1e6:.0f}",
                ", ".join(f"{(after - before) / 1024:+.0f}" for before, after in pairwise(rss)),
                f"{result.rss_last_half / 1024:+.0f}",
                f"{result.traced_calls:,}",
                f"{result.traced_growth / 1024:.1f}",
                f"{result.traced_slope:.2f}",
                f"{result.spans_per_call:.2f}",
            ]
        )
    return _rows(header, rows)


def sites_lines(results: Sequence[MemoryResult]) -> list[str]:
    return [
        f"- `{result.scenario}`: " + "; ".join(f"`{site}`" for site in result.top_sites)
        for result in results
        if result.top_sites
    ]

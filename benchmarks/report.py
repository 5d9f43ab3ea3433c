"""``RESULTS.md`` and ``PROFILE.md``: each command rewrites its own marked section.

The targets (instruction counts): each compares the overhead of one of our configurations with
the overhead of the floor doing the same work (``setups``), per op; per chunk, the slope
``(overhead at 20 chunks - overhead at 2) / 18`` of each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks import setups

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PROFILE = HERE / "PROFILE.md"
Table = Mapping[str, Mapping[str, float]]

#: (op, our configuration, limit): overhead <= limit x the overhead of its floor.
TARGETS = (
    ("invoke", "langchain-otel", 1.10),
    ("invoke", "langchain-otel-metrics-off", 1.25),
    ("invoke", "langchain-otel-sampled-out", 1.10),
    ("stream", "langchain-otel", 1.20),
    ("stream", "langchain-otel-metrics-off", 1.30),
    ("stream", "langchain-otel-sampled-out", 1.20),
    ("per chunk", "langchain-otel", 1.30),
    ("per chunk", "langchain-otel-metrics-off", 1.30),
    ("per chunk", "langchain-otel-sampled-out", 1.30),
)
#: The run-context sources (``calls``): what each costs, as a difference of two overheads.
SOURCES = (
    ("conversation id from metadata (`session_id`)", "invoke-session", ("invoke",)),
    ("two mapped metadata attributes", "invoke-metadata", ("invoke",)),
    ("a named prompt (`gen_ai.prompt.name`)", "chain-named-prompt", ("chain-prompt",)),
    (
        "a chat call inside an agent's graph node (node, agent, thread, the run's totals)",
        "graph-chat",
        ("graph", "invoke"),
    ),
)


def overhead(table: Table, config: str, op: str) -> float | None:
    if op == "per chunk":
        long, short = overhead(table, config, "stream"), overhead(table, config, "stream-2")
        if long is None or short is None:
            return None
        return (long - short) / 18
    mine = table.get(config, {}).get(op)
    base = table.get("uninstrumented", {}).get(op)
    return None if mine is None or base is None else mine - base


def kilo(value: float | None, sign: bool = True) -> str:
    if value is None:
        return "-"
    return f"{'+' if sign and value >= 0 else ''}{value / 1000:,.1f}k"


def target_rows(table: Table) -> tuple[list[str], int, int]:
    rows, held, known = [], 0, 0
    for op, config, limit in TARGETS:
        floor = setups.CONFIGS[config].floor
        assert floor is not None
        mine, base = overhead(table, config, op), overhead(table, floor, op)
        if mine is None or not base:
            rows.append(f"| {op}: `{config}` ≤ {limit} x `{floor}` | not measured | |")
            continue
        ratio = mine / base
        known += 1
        held += ratio <= limit
        verdict = "holds" if ratio <= limit else "**does not hold**"
        rows.append(
            f"| {op}: `{config}` ≤ {limit} x `{floor}` | {verdict} | {kilo(mine)} vs "
            f"{kilo(base)}: **{ratio:.2f}x** |"
        )
    return rows, held, known


def overhead_rows(table: Table, ops: Sequence[str]) -> list[str]:
    header = "| configuration | compared with | " + " | ".join(ops) + " |"
    rows = [header, "|---|---|" + "---|" * len(ops)]
    base = table.get("uninstrumented", {})
    rows.append(
        "| uninstrumented (absolute) | - | "
        + " | ".join(f"**{kilo(base.get(op), False)}**" for op in ops)
        + " |"
    )
    for name, config in setups.CONFIGS.items():
        if name == "uninstrumented" or name not in table:
            continue
        cells = []
        for op in ops:
            mine = overhead(table, name, op)
            floor = overhead(table, config.floor, op) if config.floor else None
            ratio = f" ({mine / floor:.2f}x)" if mine is not None and floor else ""
            cells.append(kilo(mine) + ratio)
        compared = f"`{config.floor}`" if config.floor else "(a floor)"
        rows.append(f"| `{name}` | {compared} | " + " | ".join(cells) + " |")
    return rows


def source_rows(table: Table) -> list[str]:
    rows = ["| source | op | overhead | minus | cost per call |", "|---|---|---|---|---|"]
    config = "langchain-otel-context"
    for label, op, minus in SOURCES:
        mine = overhead(table, config, op)
        others = [overhead(table, config, other) for other in minus]
        if mine is None or None in others:
            rows.append(f"| {label} | `{op}` | not measured | | |")
            continue
        cost = mine - sum(o for o in others if o is not None)
        names = " + ".join(f"`{o}` {kilo(v)}" for o, v in zip(minus, others, strict=True))
        rows.append(f"| {label} | `{op}` | {kilo(mine)} | {names} | **{kilo(cost)}** |")
    return rows


def write_icount(
    table: Table, machine: Mapping[str, str], seconds: float, n: tuple[int, int, int]
) -> None:
    rows, held, known = target_rows(table)
    chat_ops = [
        op
        for op in ("invoke", "ainvoke", "stream", "astream", "stream-2")
        if op in table.get("uninstrumented", {})
    ]
    lines = [
        "## Instruction counts (`make bench-icount`)",
        "",
        f"Written on {machine['when']} in {seconds:.0f} s: {machine['valgrind']}, CPython "
        f"{machine['python']}, revision `{machine['revision']}`, langchain-core "
        f"{machine['langchain-core']}, opentelemetry-sdk {machine['opentelemetry-sdk']}. "
        f"Instructions per call from {n[1]} and {n[2]} calls after {n[0]} warm-up calls; "
        "overhead = minus the uninstrumented count (k = thousand instructions).",
        "",
        f"**{held} of {known} targets hold.**",
        "",
        "| target | result | overhead vs the floor's |",
        "|---|---|---|",
        *rows,
        "",
        "### Chat calls",
        "",
        "`(x)`: overhead / the overhead of the floor in `compared with`.",
        "",
        *overhead_rows(table, chat_ops),
        "",
        "### Tool, graph, embedding and completion calls",
        "",
        *overhead_rows(
            table,
            [
                op
                for op in ("tool", "graph", "embed_query", "completion")
                if op in table.get("uninstrumented", {})
            ],
        ),
        "",
        "### What each run-context source costs",
        "",
        "`langchain-otel-context` (spans + metrics, two metadata keys mapped): the overhead of a "
        "call with the source minus the overhead of the same call without it.",
        "",
        *source_rows(table),
    ]
    _rewrite(RESULTS, "icount", lines)


def write_wall(lines: Sequence[str]) -> None:
    _rewrite(RESULTS, "wall", lines)


def write_memory(lines: Sequence[str]) -> None:
    _rewrite(RESULTS, "memory", lines)


def write_profile(
    config: str, op: str, per_call: float, rows: Sequence[tuple[float, float, float, str]]
) -> None:
    lines = [
        f"## `{config}`, `{op}`",
        "",
        f"{per_call / 1000:,.1f}k instructions per call in all (callgrind). The functions of "
        "ours and of the OpenTelemetry SDK by own time per call (cProfile, which slows the "
        "calls down: compare the functions with each other, not with the total):",
        "",
        "| own µs per call | cumulative µs per call | calls per call | function |",
        "|---|---|---|---|",
        *(
            f"| {own * 1e6:,.2f} | {cumulative * 1e6:,.2f} | {count:g} | `{name}` |"
            for own, cumulative, count, name in rows
        ),
    ]
    _rewrite(PROFILE, f"{config}-{op}", lines)


def write_steps(config: str, rows: Sequence[tuple[str, str, float]]) -> None:
    """``benchmarks/steps.py``'s table: the whole hook, the SDK's part, then ours by step."""
    whole, sdk = rows[0][2], rows[1][2]
    lines = [
        f"## Our steps on one `invoke` (`{config}`, callgrind)",
        "",
        "Instructions per call of each step alone, on one captured request (`benchmarks/steps.py`)."
        f" Ours = the whole hook minus the SDK's span work: **{(whole - sdk) / 1000:,.1f}k**.",
        "",
        "| step | instructions per call | what it does |",
        "|---|---|---|",
        *(f"| {name} | {count / 1000:,.1f}k | {what} |" for name, what, count in rows),
    ]
    _rewrite(PROFILE, "steps-invoke", lines)


_SECTION = re.compile(r"<!-- begin ([\w.-]+) -->\n.*?<!-- end \1 -->\n", re.DOTALL)


def _rewrite(path: Path, name: str, lines: Sequence[str]) -> None:
    text = path.read_text() if path.exists() else f"# {path.stem}\n\n"
    block = f"<!-- begin {name} -->\n" + "\n".join(lines) + f"\n<!-- end {name} -->\n"
    found = [m for m in _SECTION.finditer(text) if m.group(1) == name]
    if found:
        text = text[: found[0].start()] + block + text[found[0].end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)

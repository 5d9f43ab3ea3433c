"""``make bench-profile``: where langchain-otel's time goes, for whoever optimises the hot path.

Times ``invoke`` and a 20-chunk ``stream`` uninstrumented and then instrumented like the
``langchain-otel`` bench variant (Batch, metrics on, OpenAI mapper registered), in this one
process, and profiles 20k instrumented calls of each with cProfile; then ``invoke`` with metrics
off, and ``invoke`` and ``stream`` with every span sampled out (metrics still on). Writes the
``cprofile`` section of ``PROFILE.md`` (``make bench-icount-profile`` writes the other): own
time per package, then the top functions by cumulative and by own time, then the top functions of
the instrumentation stack only (langchain_otel, opentelemetry, wrapt).

cProfile charges a fixed cost to every Python call, so code made of many small calls looks
costlier than it is: read it for where the time goes, and the unprofiled µs for how much.

``python -m benchmarks.profiling [--calls 20000] [--top 25] [--out benchmarks/PROFILE.md]``
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import machine, report, results
from benchmarks.report import short_path
from benchmarks.variants import BY_NAME
from benchmarks.workloads import sync_call
from langchain_otel import LangChainInstrumentor

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "benchmarks" / "PROFILE.md"
# (op, variant) profiled, in this order; the sampled-out case shows the non-recording path.
CASES = (
    ("invoke", "langchain-otel"),
    ("stream", "langchain-otel"),
    ("invoke", "langchain-otel-metrics-off"),
    ("invoke", "langchain-otel-sampled-out"),
    ("stream", "langchain-otel-sampled-out"),
)
INSTRUMENTATION = ("langchain_otel", "opentelemetry", "wrapt")
UNOWNED = frozenset({"builtins (C)", "stdlib"})
MAX_CHARGE_DEPTH = 8

FunctionKey = tuple[str, int, str]  # (file, line, function), as pstats keys them


@dataclass(frozen=True)
class Row:
    key: FunctionKey
    calls: int
    own_s: float
    cumulative_s: float
    #: This function's own time per direct caller.
    callers: dict[FunctionKey, float]

    @property
    def package(self) -> str:
        return package_of(self.key[0])


def package_of(filename: str) -> str:
    if filename == "~":
        return "builtins (C)"
    path = short_path(filename)
    if path.startswith(("stdlib/", "<")):
        return "stdlib"
    parts = path.split("/")
    if parts[0] == "opentelemetry" and len(parts) > 2:
        depth = 3 if parts[1] == "sdk" and len(parts) > 3 else 2
        return "/".join(parts[:depth])
    return parts[0].removesuffix(".py")


def label(key: FunctionKey) -> str:
    filename, line, function = key
    if filename == "~":
        return f"`{function}`"
    return f"`{short_path(filename)}:{line}` {function}"


def rows_of(profile: cProfile.Profile) -> list[Row]:
    raw = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return [
        Row(key, calls, own, cumulative, {caller: data[2] for caller, data in callers.items()})
        for key, (_primitive, calls, own, cumulative, callers) in raw.items()
    ]


def per_call(seconds: float, calls: int) -> str:
    return f"{seconds / calls * 1e6:.2f}"


def function_table(rows: Sequence[Row], calls: int) -> list[str]:
    return report._rows(
        ["function", "calls per op", "own µs per op", "cumulative µs per op"],
        [
            [
                label(row.key),
                f"{row.calls / calls:g}",
                per_call(row.own_s, calls),
                per_call(row.cumulative_s, calls),
            ]
            for row in rows
        ],
    )


def charge(
    by_key: dict[FunctionKey, Row],
    key: FunctionKey,
    seconds: float,
    totals: dict[str, float],
    depth: int = 0,
) -> None:
    """Add ``seconds`` of ``key``'s own time to its package; builtins and the standard library
    are charged to their callers instead (split by each caller's share, up the call chain)."""
    row = by_key.get(key)
    package = row.package if row is not None else "stdlib"
    callers = row.callers if row is not None else {}
    spread = sum(callers.values())
    if package not in UNOWNED or depth >= MAX_CHARGE_DEPTH or spread <= 0:
        totals[package] = totals.get(package, 0.0) + seconds
        return
    for caller, share in callers.items():
        charge(by_key, caller, seconds * share / spread, totals, depth + 1)


def package_table(rows: Sequence[Row], calls: int) -> list[str]:
    by_key = {row.key: row for row in rows}
    totals: dict[str, float] = {}
    for row in rows:
        charge(by_key, row.key, row.own_s, totals)
    grand = sum(totals.values())
    stack = sum(own for name, own in totals.items() if name.startswith(INSTRUMENTATION))
    ordered = sorted(
        ((name, own) for name, own in totals.items() if own >= grand * 1e-4),
        key=lambda item: item[1],
        reverse=True,
    )
    return report._rows(
        ["package", "own µs per op (profiled)", "share"],
        [
            *([name, per_call(own, calls), f"{100 * own / grand:.1f} %"] for name, own in ordered),
            [
                f"**instrumentation stack** ({', '.join(INSTRUMENTATION)})",
                f"**{per_call(stack, calls)}**",
                f"**{100 * stack / grand:.1f} %**",
            ],
        ],
    )


def time_calls(call: Callable[[], object], calls: int) -> float:
    """Best of 5 batches, µs per call."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - started) / calls * 1e6)
    return best


def op_section(title: str, rows: Sequence[Row], calls: int, top: int) -> list[str]:
    ours = [row for row in rows if row.package.startswith(INSTRUMENTATION)]

    def by_cumulative(row: Row) -> float:
        return row.cumulative_s

    def by_own(row: Row) -> float:
        return row.own_s

    return [
        f"### {title}",
        "",
        f"{calls:,} profiled calls; figures are per call.",
        "",
        "#### Own time by package",
        "",
        "Builtins and standard-library functions are charged to the package that called them "
        "(split by caller, up the call chain).",
        "",
        *package_table(rows, calls),
        "",
        f"#### Top {top} by cumulative time",
        "",
        *function_table(sorted(rows, key=by_cumulative, reverse=True)[:top], calls),
        "",
        f"#### Top {top} by own time",
        "",
        *function_table(sorted(rows, key=by_own, reverse=True)[:top], calls),
        "",
        f"#### Instrumentation stack only ({', '.join(INSTRUMENTATION)}): top {top} by "
        "cumulative time",
        "",
        *function_table(sorted(ours, key=by_cumulative, reverse=True)[:top], calls),
        "",
        f"#### Instrumentation stack only: top {top} by own time",
        "",
        *function_table(sorted(ours, key=by_own, reverse=True)[:top], calls),
        "",
    ]


def header(summary: Sequence[Sequence[str]]) -> list[str]:
    info = machine.describe()
    now = datetime.datetime.now(datetime.timezone.utc)
    return [
        "## cProfile (`make bench-profile`)",
        "",
        f"Written by `make bench-profile` (`.venv-bench/bin/python -m benchmarks.profiling`) on "
        f"{now:%Y-%m-%d %H:%M UTC}; CPU `{info['CPU']}` x{info['cores']}, {info['Python']}, "
        f"langchain-core {info['langchain-core']}, opentelemetry-sdk "
        f"{info['opentelemetry-sdk']}, revision `{info['revision']}`.",
        "",
        "Instrumented like the bench's `langchain-otel` variant: `BatchSpanProcessor` into a "
        "dropping exporter, metrics on, `BenchOpenAIMapper` registered for the fake model "
        "(`benchmarks/fake_chat.py`); each section names its variant (`-metrics-off`: "
        "`metrics_enabled=False`; `-sampled-out`: `ALWAYS_OFF` sampler, metrics on). "
        "Unprofiled times below are the best of 5 batches of 500 calls in this process, so "
        "they differ a little from `RESULTS.md` (medians over fresh processes). cProfile "
        "adds a fixed cost to every Python call: use the tables for where the time goes, the "
        "unprofiled µs for how much.",
        "",
        *report._rows(
            ["op", "variant", "uninstrumented µs", "instrumented µs", "overhead µs"], summary
        ),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=PROFILE)
    args = parser.parse_args()
    calls_of: dict[str, Callable[[], object]] = {}
    for op, _variant in CASES:
        call = sync_call(op)
        assert call is not None
        calls_of[op] = call
    baseline = {op: time_calls(call, 500) for op, call in calls_of.items()}
    sections: list[str] = []
    summary: list[list[str]] = []
    instrumented_as = None
    for op, variant in CASES:
        if variant != instrumented_as:
            if instrumented_as is not None:
                LangChainInstrumentor().uninstrument()
            BY_NAME[variant].make()
            instrumented_as = variant
        call = calls_of[op]
        instrumented = time_calls(call, 500)
        overhead = instrumented - baseline[op]
        summary.append(
            [op, variant, f"{baseline[op]:.1f}", f"{instrumented:.1f}", f"{overhead:+.1f}"]
        )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.calls):
            call()
        profile.disable()
        sections += op_section(f"{op}, {variant}", rows_of(profile), args.calls, args.top)
    lines = header(summary)
    results.splice(args.out, "cprofile", [*lines, *sections], "# langchain-otel profile")
    print("\n".join(lines))
    print(f"bench-profile: wrote {args.out}")


if __name__ == "__main__":
    main()

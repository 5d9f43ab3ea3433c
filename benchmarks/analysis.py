"""From per-round timings to overheads, ratios, per-chunk costs and the target verdicts."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.variants import (
    BASELINE,
    BY_NAME,
    FLOOR,
    FLOOR_METRICS,
    FLOOR_METRICS_SAME,
    FLOOR_METRICS_SAMPLED_OUT,
    FLOOR_SAME,
    METRICS_OFF,
    METRICS_ONLY,
    SAMPLED_OUT,
    SUBJECT,
)
from benchmarks.workloads import LONG_CHUNKS, SHORT_CHUNKS, SHORT_OF

TRACELOOP = "traceloop"

TRACELOOP_FACTOR = 0.4
PER_CHUNK_LIMIT_US = 1.0
# Each of our configurations against the floor that does the same work: (variant, its floor,
# limit on the ratio of overheads for invoke-style calls, limit for streams).
FAIR_TARGETS: tuple[tuple[str, str, float, float], ...] = (
    (SUBJECT, FLOOR_METRICS, 1.05, 1.15),
    (METRICS_OFF, FLOOR, 1.2, 1.2),
    (SAMPLED_OUT, METRICS_ONLY, 1.1, 1.2),
)
WHAT = {
    SUBJECT: "spans+metrics",
    METRICS_OFF: "metrics off",
    SAMPLED_OUT: "sampled out (metrics on)",
    FLOOR: "the bare floor",
    FLOOR_METRICS: "floor+metrics",
    METRICS_ONLY: "metrics-only",
    FLOOR_SAME: "floor-same-attributes",
    FLOOR_METRICS_SAME: "floor-metrics-same-attributes",
    FLOOR_METRICS_SAMPLED_OUT: "floor-metrics-sampled-out",
}
RSS_LIMIT_BYTES = 256 * 1024  # over the second half of the calls: one pymalloc arena
TRACED_LIMIT_BYTES_PER_CALL = 2.0


@dataclass
class Cell:
    """One variant x op over the rounds."""

    rounds_us: list[float]
    spans_per_call: float
    calls_per_batch: int
    #: Attributes on the last span exported (None: no span).
    attributes: int | None = None

    @property
    def median_us(self) -> float:
        return statistics.median(self.rounds_us)

    @property
    def spread_pct(self) -> float:
        """(max - min) / median over the rounds, in percent: how noisy this cell was."""
        return 100 * (max(self.rounds_us) - min(self.rounds_us)) / self.median_us


@dataclass
class Table:
    """Every measured cell, and what is derived from them."""

    cells: dict[str, dict[str, Cell]]
    errors: dict[str, str] = field(default_factory=dict)

    def has(self, variant: str, op: str) -> bool:
        return op in self.cells.get(variant, {})

    def median(self, variant: str, op: str) -> float:
        return self.cells[variant][op].median_us

    def overhead(self, variant: str, op: str) -> float | None:
        if not (self.has(variant, op) and self.has(BASELINE, op)):
            return None
        return self.median(variant, op) - self.median(BASELINE, op)

    def floor_ratio(self, variant: str, op: str) -> float | None:
        """Overhead over the overhead of the floor that does the same work (``Variant.floor``)."""
        floor = BY_NAME[variant].floor
        if floor is None:
            return None
        mine, theirs = self.overhead(variant, op), self.overhead(floor, op)
        if mine is None or theirs is None or theirs <= 0:
            return None
        return mine / theirs

    def per_chunk(self, variant: str, op: str) -> float | None:
        """Marginal overhead per chunk: the overhead's slope between 2- and 20-chunk streams."""
        short = SHORT_OF.get(op)
        if short is None:
            return None
        long_overhead, short_overhead = self.overhead(variant, op), self.overhead(variant, short)
        if long_overhead is None or short_overhead is None:
            return None
        return (long_overhead - short_overhead) / (LONG_CHUNKS - SHORT_CHUNKS)


def build_table(rounds: Sequence[Mapping[str, object]], errors: Mapping[str, str]) -> Table:
    """``rounds``: the workers' JSON results (any order, any round)."""
    values: dict[str, dict[str, list[float]]] = {}
    spans: dict[str, dict[str, list[float]]] = {}
    calls: dict[str, dict[str, list[int]]] = {}
    attributes: dict[str, dict[str, int | None]] = {}
    for result in rounds:
        variant = str(result["variant"])
        ops = result.get("ops")
        if not isinstance(ops, dict):
            continue
        for op, data in ops.items():
            values.setdefault(variant, {}).setdefault(op, []).append(float(data["us"]))
            spans.setdefault(variant, {}).setdefault(op, []).append(float(data["spans_per_call"]))
            calls.setdefault(variant, {}).setdefault(op, []).append(int(data["calls_per_batch"]))
            attributes.setdefault(variant, {})[op] = data.get("attributes")
    cells = {
        variant: {
            op: Cell(
                rounds_us,
                statistics.median(spans[variant][op]),
                int(statistics.median(calls[variant][op])),
                attributes[variant][op],
            )
            for op, rounds_us in by_op.items()
        }
        for variant, by_op in values.items()
    }
    return Table(cells, dict(errors))


@dataclass(frozen=True)
class Verdict:
    target: str
    passed: bool | None  # None: could not be evaluated
    detail: str

    @property
    def label(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]


def _fmt(value: float | None, unit: str = " µs") -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def _ratio_check(
    table: Table,
    target: str,
    variant: str,
    op: str,
    other: str,
    factor: float,
    fmt: Callable[[float | None], str] = _fmt,
) -> Verdict:
    mine, theirs = table.overhead(variant, op), table.overhead(other, op)
    if mine is None or theirs is None:
        return Verdict(target, None, f"{other} or {variant} not measured")
    limit = factor * theirs
    return Verdict(
        target,
        mine <= limit,
        f"overhead {fmt(mine)} vs limit {factor} x {fmt(theirs)} = {fmt(limit)}"
        + (f" (**{mine / theirs:.2f}x**)" if theirs > 0 else ""),
    )


def fair_verdicts(
    table: Table, ops: Sequence[str], fmt: Callable[[float | None], str]
) -> list[Verdict]:
    """Each of our configurations against the floor doing the same work, then vs Traceloop."""
    verdicts = []
    for op in ops:
        streaming = op in SHORT_OF
        for variant, floor, invoke_factor, stream_factor in FAIR_TARGETS:
            factor = stream_factor if streaming else invoke_factor
            target = f"{op}: {WHAT[variant]} ≤ {factor} x {WHAT[floor]}"
            verdicts.append(_ratio_check(table, target, variant, op, floor, factor, fmt))
    for op in ops:
        if op not in SHORT_OF and table.has(TRACELOOP, op):
            target = f"{op}: spans+metrics ≤ {TRACELOOP_FACTOR} x Traceloop"
            verdicts.append(
                _ratio_check(table, target, SUBJECT, op, TRACELOOP, TRACELOOP_FACTOR, fmt)
            )
    return verdicts


def same_work_verdicts(
    table: Table, ops: Sequence[str], fmt: Callable[[float | None], str]
) -> list[Verdict]:
    """Informational: the ``FAIR_TARGETS`` limits applied against each configuration's floor
    doing exactly the same work (``Variant.same_work``: the same span attributes; a
    non-recording span made current when sampled out). Not the issue's targets."""
    verdicts = []
    for op in ops:
        streaming = op in SHORT_OF
        for variant, _floor, invoke_factor, stream_factor in FAIR_TARGETS:
            same = BY_NAME[variant].same_work
            if same is None:
                continue
            factor = stream_factor if streaming else invoke_factor
            target = f"{op}: {WHAT[variant]} ≤ {factor} x {WHAT[same]}"
            verdicts.append(_ratio_check(table, target, variant, op, same, factor, fmt))
    return verdicts


@dataclass(frozen=True)
class LowerBound:
    """What the issue's target of ``variant`` against ``floor`` can reach at best on ``op``:
    the floor doing the same work (``same``) over ``floor`` (None: not measured)."""

    op: str
    variant: str
    floor: str
    same: str
    limit: float
    best: float | None

    @property
    def reachable(self) -> bool | None:
        return None if self.best is None else self.best <= self.limit


def lower_bounds(table: Table, ops: Sequence[str]) -> list[LowerBound]:
    """Per op and issue target: the ratio the floor doing the same work itself gets against the
    target's floor, i.e. the best any instrumentation doing that work can reach."""
    bounds = []
    for op in ops:
        streaming = op in SHORT_OF
        for variant, floor, invoke_factor, stream_factor in FAIR_TARGETS:
            same = BY_NAME[variant].same_work
            if same is None:
                continue
            mine, theirs = table.overhead(same, op), table.overhead(floor, op)
            best = None if mine is None or theirs is None or theirs <= 0 else mine / theirs
            limit = stream_factor if streaming else invoke_factor
            bounds.append(LowerBound(op, variant, floor, same, limit, best))
    return bounds


def timing_verdicts(table: Table) -> list[Verdict]:
    """The wall-time-only checks: the marginal cost of a stream chunk."""
    verdicts = []
    for op in SHORT_OF:
        slope, floor_slope = table.per_chunk(SUBJECT, op), table.per_chunk(FLOOR_METRICS, op)
        verdicts.append(
            Verdict(
                f"{op}: overhead per chunk ≤ {PER_CHUNK_LIMIT_US:g} µs",
                None if slope is None else slope <= PER_CHUNK_LIMIT_US,
                f"{_fmt(slope)} per chunk (floor+metrics: {_fmt(floor_slope)})",
            )
        )
    return verdicts


@dataclass(frozen=True)
class MemoryResult:
    """One ``benchmarks.memory`` scenario (see that module for the method)."""

    scenario: str
    calls: int = 0
    traced_calls: int = 0
    seconds: float = 0.0
    spans_per_call: float = 0.0
    rss_quarters: tuple[int, ...] = ()
    traced_growth: int = 0
    traced_slope: float = 0.0
    top_sites: tuple[str, ...] = ()
    error: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MemoryResult:
        if "error" in data:
            return cls(str(data["scenario"]), error=str(data["error"]))
        return cls(
            scenario=str(data["scenario"]),
            calls=int(data["calls"]),
            traced_calls=int(data["traced_calls"]),
            seconds=float(data["seconds"]),
            spans_per_call=float(data["spans_per_call"]),
            rss_quarters=tuple(int(value) for value in data["rss_quarters"]),
            traced_growth=int(data["traced_growth"]),
            traced_slope=float(data["traced_slope"]),
            top_sites=tuple(str(site) for site in data["top_sites"]),
        )

    @property
    def rss_last_half(self) -> int:
        return self.rss_quarters[-1] - self.rss_quarters[2]


def memory_verdict(result: MemoryResult) -> Verdict:
    target = f"memory ({result.scenario}): no growth after warm-up"
    if result.error:
        return Verdict(target, None, result.error)
    passed = (
        result.rss_last_half <= RSS_LIMIT_BYTES
        and result.traced_slope <= TRACED_LIMIT_BYTES_PER_CALL
    )
    return Verdict(
        target,
        passed,
        f"RSS {result.rss_last_half / 1024:+.0f} KB over the last {result.calls // 2:,} calls "
        f"(limit {RSS_LIMIT_BYTES // 1024} KB); tracemalloc {result.traced_slope:.2f} B/call "
        f"(limit {TRACED_LIMIT_BYTES_PER_CALL:g})",
    )

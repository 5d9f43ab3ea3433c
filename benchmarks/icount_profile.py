"""``make bench-icount-profile``: CPU instructions per call of each Python function on a hot path.

callgrind counts instructions per *C* function; CPython runs every Python function inside the
same few C functions, so a plain callgrind profile cannot tell ``Tracer.start_span`` from
``bounded``. This module makes it able to, in three steps per scenario (a variant and an op):

1. **discover** (a fresh process, no valgrind): cProfile picks the candidates, the functions of
   ``langchain_otel`` and ``opentelemetry`` with the largest cumulative time, and counts how often
   each runs per call of the op;
2. **measure** (fresh processes under callgrind): each candidate is replaced, wherever a module or
   a class holds it, by a trampoline that calls it through a C function nothing else on the path
   uses (``itertools.starmap``'s ``starmap_next``, ``iter(callable, sentinel)``'s
   ``calliter_iternext``, …; one per candidate per run, at most ``len(DRIVERS)`` candidates a
   run, and never two of which one runs inside the other). callgrind's inclusive cost of that C
   function is then the candidate's own, callees included. Calls of the op run between markers
   as in ``benchmarks.icount_worker``, and per call = (I(n2) - I(n1)) / (n2 - n1); a calibration
   phase measures what a trampoline itself costs inside its C function, which is subtracted
   (so a function called many times for little work, below its trampolines' cost, is left out);
3. **report**: per function, calls per op and inclusive instructions per op, next to the
   variant's whole overhead.

Not measurable this way, and left out: generator and coroutine functions (calling one only makes
the generator), recursive functions (their trampolines would nest in themselves), closures and
anything else no module or class attribute holds (the wrapt wrappers, the floor's closures).
The trampolined calls are counted too (callgrind's call counts), next to cProfile's.

``python -m benchmarks.icount_profile [--scenarios variant:op,...] [--candidates 24]``
writes the ``icount`` section of ``benchmarks/PROFILE.md``.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import cProfile
import datetime
import functools
import gc
import inspect
import itertools
import json
import os
import pstats
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks import machine, report
from benchmarks import results as results_file
from benchmarks.icount import valgrind_version
from benchmarks.icount_worker import (
    callgrind_command,
    marker,
    run_sync,
    start_instrumentation,
)
from benchmarks.report import short_path
from benchmarks.run import WORK, log, worker_env
from benchmarks.variants import BY_NAME, DISCARD
from benchmarks.workloads import sync_call

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "benchmarks" / "PROFILE.md"
PROFILE_TITLE = "# langchain-otel profile"
OUT_DIR = WORK / "icount-profile"
PACKAGES = ("langchain_otel/", "opentelemetry/")
DEFAULT_SCENARIOS = (
    "langchain-otel-metrics-off:invoke",
    "floor:invoke",
    "langchain-otel-sampled-out:stream",
    "metrics-only:stream",
)
CALIBRATION_CALLS = 500

FunctionKey = tuple[str, int, str]  # (file, first line, name), as pstats and code objects say


# -- trampolines: each calls ``func`` from inside one C function of CPython ---------------------


def _call(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return func(*args, **kwargs)


_SENTINEL = object()


def _starmap(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return next(itertools.starmap(_call, ((func, args, kwargs),)))


def _calliter(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return next(iter(lambda: func(*args, **kwargs), _SENTINEL))


def _takewhile(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    box: list[Any] = []
    next(itertools.takewhile(lambda _: box.append(func(*args, **kwargs)) or True, (None,)))
    return box[0]


def _dropwhile(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    box: list[Any] = []
    next(itertools.dropwhile(lambda _: box.append(func(*args, **kwargs)), (None,)))
    return box[0]


def _filterfalse(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    box: list[Any] = []
    next(itertools.filterfalse(lambda _: box.append(func(*args, **kwargs)), (None,)))
    return box[0]


def _accumulate(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    steps = itertools.accumulate((None, None), lambda _total, _item: func(*args, **kwargs))
    next(steps)
    return next(steps)


def _reduce(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return functools.reduce(lambda _total, _item: func(*args, **kwargs), (None, None))


def _defaultdict(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return collections.defaultdict(lambda: func(*args, **kwargs))[None]


#: C function (as callgrind names it) -> the trampoline that runs a call inside it.
DRIVERS: dict[str, Callable[[Callable[..., Any], Any, Any], Any]] = {
    "starmap_next": _starmap,
    "calliter_iternext": _calliter,
    "takewhile_next": _takewhile,
    "dropwhile_next": _dropwhile,
    "filterfalse_next": _filterfalse,
    "accumulate_next": _accumulate,
    "functools_reduce": _reduce,
    "defdict_missing": _defaultdict,
}


def trampoline(func: Callable[..., Any], driver: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def tramp(*args: Any, **kwargs: Any) -> Any:
        return driver(func, args, kwargs)

    return tramp


# -- finding and replacing a function wherever a module or a class holds it ---------------------


def key_of(func: types.FunctionType) -> FunctionKey:
    code = func.__code__
    return (code.co_filename, code.co_firstlineno, code.co_name)


def label(key: FunctionKey) -> str:
    filename, line, name = key
    return f"`{short_path(filename)}:{line}` {name}"


def _holders() -> Iterator[tuple[object, str, object]]:
    """(owner, attribute name, value) of every module and class attribute."""
    for module in list(sys.modules.values()):
        if isinstance(module, types.ModuleType):
            for name, value in list(vars(module).items()):
                yield module, name, value
    for obj in gc.get_objects():
        if isinstance(obj, type):
            for name, value in list(vars(obj).items()):
                yield obj, name, value


def _unwrap(value: object) -> types.FunctionType | None:
    if isinstance(value, types.FunctionType):
        return value
    if isinstance(value, (staticmethod, classmethod)):
        inner = value.__func__
        return inner if isinstance(inner, types.FunctionType) else None
    if isinstance(value, property) and isinstance(value.fget, types.FunctionType):
        return value.fget
    return None


def _rewrap(value: object, replacement: Callable[..., Any]) -> object:
    if isinstance(value, staticmethod):
        return staticmethod(replacement)
    if isinstance(value, classmethod):
        return classmethod(replacement)
    if isinstance(value, property):
        return property(replacement, value.fset, value.fdel, value.__doc__)
    return replacement


def patchable(func: types.FunctionType) -> str | None:
    """Why ``func`` cannot be measured with a trampoline, or None."""
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        return "generator function"
    if inspect.iscoroutinefunction(func):
        return "coroutine function"
    return None


def patch(keys: dict[FunctionKey, str]) -> dict[FunctionKey, int]:
    """Replace each function of ``keys`` by a trampoline through its driver; how many
    attributes were replaced per function."""
    replaced: dict[FunctionKey, int] = dict.fromkeys(keys, 0)
    tramps: dict[FunctionKey, Callable[..., Any]] = {}
    for owner, name, value in list(_holders()):
        func = _unwrap(value)
        if func is None:
            continue
        key = key_of(func)
        if key not in keys:
            continue
        if key not in tramps:
            tramps[key] = trampoline(func, DRIVERS[keys[key]])
        try:
            setattr(owner, name, _rewrap(value, tramps[key]))
        except (AttributeError, TypeError):
            continue
        replaced[key] += 1
    return replaced


# -- step 1: discover the candidates (no valgrind) ----------------------------------------------


def discover(variant: str, op: str, calls: int, limit: int) -> dict[str, Any]:
    BY_NAME[variant].make(DISCARD)
    call = sync_call(op)
    assert call is not None, "only synchronous ops"
    for _ in range(100):
        call()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        call()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    functions = {
        key_of(value): value
        for _owner, _name, holder in _holders()
        if (value := _unwrap(holder)) is not None
    }
    rows = sorted(stats.items(), key=lambda item: item[1][3], reverse=True)
    children: dict[FunctionKey, set[FunctionKey]] = collections.defaultdict(set)
    for key, (*_numbers, callers) in stats.items():
        for caller in callers:
            children[caller].add(key)
    chosen: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for key, (primitive, total, _own, cumulative, _callers) in rows:
        filename = key[0]
        if not any(package in filename for package in PACKAGES):
            continue
        func = functions.get(key)
        reason = None
        if func is None:
            reason = "no module or class attribute holds it"
        elif primitive != total:
            reason = "recursive"
        else:
            reason = patchable(func)
        entry = {"key": list(key), "calls_per_op": total / calls, "cumulative_s": cumulative}
        if reason is None:
            reason = _same_as_caller(key, total, cumulative, chosen, stats, children)
        if reason is not None:
            skipped.append({**entry, "reason": reason})
            continue
        chosen.append(entry)
        if len(chosen) >= limit:
            break
    # Which candidates run inside which (cProfile's call graph): measured in separate runs.
    keys = [tuple(entry["key"]) for entry in chosen]
    for entry, key in zip(chosen, keys, strict=True):
        below = _reachable(key, children)
        entry["contains"] = [index for index, other in enumerate(keys) if other in below]
    return {"variant": variant, "op": op, "candidates": chosen, "skipped": skipped[:12]}


def _same_as_caller(
    key: FunctionKey,
    total: int,
    cumulative: float,
    chosen: list[dict[str, Any]],
    stats: dict[FunctionKey, Any],
    children: dict[FunctionKey, set[FunctionKey]],
) -> str | None:
    """A reason to leave ``key`` out if a chosen function that calls it as often takes hardly
    more time (``finish`` inside ``finish_message``): measuring both says nothing new."""
    for entry in chosen:
        outer = tuple(entry["key"])
        outer_total, outer_cumulative = stats[outer][1], stats[outer][3]
        if (
            outer_total == total
            and cumulative >= 0.9 * outer_cumulative
            and key in _reachable(outer, children)  # type: ignore[arg-type]
        ):
            return f"≥ 90 % of {label(outer)}, which is measured"
    return None


def _reachable(start: FunctionKey, children: dict[FunctionKey, set[FunctionKey]]) -> set[Any]:
    seen: set[FunctionKey] = set()
    stack = list(children.get(start, ()))
    while stack:
        key = stack.pop()
        if key in seen or key == start:
            continue
        seen.add(key)
        stack.extend(children.get(key, ()))
    return seen


def groups(candidates: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Candidates in runs of at most one per driver, none inside another of its run: a
    trampoline inside a measured function would add its own cost to that function's."""
    nested = {
        (outer, inner)
        for outer, candidate in enumerate(candidates)
        for inner in candidate["contains"]
    }
    runs: list[list[int]] = []
    for index in range(len(candidates)):
        for run in runs:
            if len(run) < len(DRIVERS) and not any(
                (index, other) in nested or (other, index) in nested for other in run
            ):
                run.append(index)
                break
        else:
            runs.append([index])
    return [[candidates[index] for index in run] for run in runs]


# -- step 2: measure under callgrind ------------------------------------------------------------


def measure(
    variant: str, op: str, targets: dict[FunctionKey, str], warmup: int, n1: int, n2: int
) -> dict[str, Any]:
    BY_NAME[variant].make(DISCARD)
    replaced = patch(targets)
    call = sync_call(op)
    assert call is not None
    start_instrumentation()
    run_sync(call, warmup, n1, n2)

    # Calibration: each trampoline around a function that does nothing with two arguments.
    def nothing(_first: object, _second: object) -> None:
        return None

    for name in sorted(set(targets.values())):
        driver = DRIVERS[name]
        tramp = trampoline(nothing, driver)
        for _ in range(CALIBRATION_CALLS):
            tramp(None, None)
    marker()
    return {"replaced": [[list(key), count] for key, count in replaced.items()]}


def inclusive(path: Path, names: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Inclusive instructions of the C functions ``names`` in one callgrind dump (their own cost
    plus the cost of every call they make, a call of themselves excepted), and how many times
    each was called."""
    wanted = set(names)
    ids: dict[str, str] = {}
    totals = dict.fromkeys(names, 0)
    called = dict.fromkeys(names, 0)
    current = callee = None
    after_call = False

    def resolve(text: str) -> str:
        text = text.strip()
        if text.startswith("("):
            ident, _, name = text.partition(")")
            name = name.strip()
            if name:
                ids[ident] = name
                return name
            return ids.get(ident, ident)
        return text

    with path.open() as dump:
        for line in dump:
            if line.startswith("fn="):
                current, after_call = resolve(line[3:]), False
            elif line.startswith("cfn="):
                callee = resolve(line[4:])
            elif line.startswith("calls="):
                after_call = True
                if callee in wanted and callee != current:
                    called[callee] += int(line[6:].split()[0])
            elif line[:1].isdigit() or line[:1] in "+-*":
                if current in wanted:
                    fields = line.split()
                    cost = int(fields[1]) if len(fields) > 1 else 0
                    if not (after_call and callee == current):
                        totals[current] += cost
                after_call = False
    return totals, called


def run_measure(
    scenario: dict[str, Any], group: list[dict[str, Any]], index: int, args: argparse.Namespace
) -> dict[str, Any]:
    """One callgrind run for ``group`` (at most one candidate per driver)."""
    name = f"{scenario['variant']}-{scenario['op']}-{index}"
    base = OUT_DIR / f"{name}.cg"
    for old in [base, *base.parent.glob(base.name + ".*")]:
        old.unlink(missing_ok=True)
    drivers = list(DRIVERS)
    targets = {
        json.dumps(candidate["key"]): drivers[position] for position, candidate in enumerate(group)
    }
    spec = OUT_DIR / f"{name}.json"
    spec.write_text(
        json.dumps(
            {
                "variant": scenario["variant"],
                "op": scenario["op"],
                "targets": targets,
                "warmup": args.warmup,
                "n1": args.n1,
                "n2": args.n2,
            }
        )
    )
    out = OUT_DIR / f"{name}.out.json"
    out.unlink(missing_ok=True)
    command = callgrind_command(base, "benchmarks.icount_profile", "measure", str(spec), str(out))
    env = worker_env(BY_NAME[scenario["variant"]].env)
    env["PYTHONHASHSEED"] = "0"
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if not out.exists():
        tail = [line for line in done.stderr.splitlines() if not line.startswith("==")][-3:]
        raise RuntimeError(f"{name}: exit {done.returncode}: {tail}")
    replaced = {json.dumps(key): count for key, count in json.loads(out.read_text())["replaced"]}
    parts = sorted(
        (path for path in base.parent.glob(base.name + ".*") if path.suffix[1:].isdigit()),
        key=lambda path: int(path.suffix[1:]),
    )
    if len(parts) != 4:
        raise RuntimeError(f"{name}: {len(parts)} dumps, expected 4")
    used = sorted(set(targets.values()))
    (first, first_calls), (second, second_calls), (calibration, calibration_calls) = (
        inclusive(path, used) for path in parts[1:]
    )
    # Entries into the driver's C function per trampolined call (accumulate_next: 2).
    entries = {driver: calibration_calls[driver] / CALIBRATION_CALLS for driver in used}
    measured = []
    for candidate in group:
        key = json.dumps(candidate["key"])
        driver = targets[key]
        per_op = (second[driver] - first[driver]) / (args.n2 - args.n1)
        calls_per_op = (second_calls[driver] - first_calls[driver]) / (args.n2 - args.n1)
        calls_per_op /= entries[driver] or 1
        own_cost = calibration[driver] / CALIBRATION_CALLS
        measured.append(
            {
                **candidate,
                "driver": driver,
                "replaced": replaced.get(key, 0),
                "trampoline": own_cost,
                "trampolined_calls_per_op": calls_per_op,
                "instructions_per_op": per_op - own_cost * calls_per_op,
            }
        )
    if not args.keep:
        for path in [base, *parts]:
            path.unlink(missing_ok=True)
    return {"measured": measured}


def run_discover(variant: str, op: str, args: argparse.Namespace) -> dict[str, Any]:
    out = OUT_DIR / f"{variant}-{op}.candidates.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.icount_profile", "discover", variant, op]
    command += [str(out), str(args.profile_calls), str(args.candidates)]
    env = worker_env(BY_NAME[variant].env)
    env["PYTHONHASHSEED"] = "0"
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if not out.exists():
        raise RuntimeError(f"discover {variant} {op}: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def overheads() -> dict[str, dict[str, float]]:
    """Overheads per variant and op from the last ``make bench-icount`` (if any)."""
    try:
        raw = json.loads((WORK / "icount.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return {}
    counts = {r["variant"]: r["instructions"] for r in raw if "instructions" in r}
    base = counts.get("uninstrumented", {})
    return {
        variant: {op: value - base[op] for op, value in ops.items() if op in base}
        for variant, ops in counts.items()
    }


# -- step 3: report -----------------------------------------------------------------------------


def section(
    scenario: dict[str, Any], measured: list[dict[str, Any]], overhead: float | None
) -> list[str]:
    rows = []
    skipped = [(item["key"], item["reason"]) for item in scenario["skipped"]]
    for entry in sorted(measured, key=lambda item: item["instructions_per_op"], reverse=True):
        if not entry["replaced"] or not entry["trampolined_calls_per_op"]:
            skipped.append((entry["key"], "not reached through a module or class attribute"))
            continue
        value = entry["instructions_per_op"]
        if value < entry["trampoline"] * entry["trampolined_calls_per_op"]:
            skipped.append((entry["key"], "smaller than its trampolines: too small to tell"))
            continue
        share = f"{100 * value / overhead:.0f} %" if overhead else "-"
        seen, expected = entry["trampolined_calls_per_op"], entry["calls_per_op"]
        calls = f"{expected:g}" if abs(seen - expected) < 0.01 else f"{seen:g} of {expected:g}"
        rows.append([label(tuple(entry["key"])), calls, f"{value / 1000:,.1f}k", share])
    lines = [f"### {scenario['op']}, `{scenario['variant']}`", ""]
    if overhead:
        lines.append(
            "Whole overhead of this variant and op (`make bench-icount`): "
            f"**{overhead / 1000:,.1f}k instructions per call**; `share` = a function's "
            "inclusive instructions / that."
        )
    else:
        lines.append("(No `make bench-icount` result for this variant: run it for the shares.)")
    header = ["function", "calls per op", "inclusive instructions per op", "share"]
    lines += ["", *report._rows(header, rows), ""]
    if skipped:
        described = "; ".join(f"{label(tuple(key))} ({reason})" for key, reason in skipped)
        lines += [f"Not measured this way: {described}.", ""]
    return lines


def render(
    scenarios: list[dict[str, Any]], results: dict[int, list[dict[str, Any]]], meta: dict[str, str]
) -> list[str]:
    known = overheads()
    lines = [
        "## Instructions per function (`make bench-icount-profile`)",
        "",
        f"Written on {meta['date']} in {meta['duration']} (`{meta['command']}`); "
        f"{meta['valgrind']}, revision `{meta['revision']}`. Per scenario the "
        f"{meta['candidates']} functions of `langchain_otel` and `opentelemetry` with the most "
        "cumulative time under cProfile, each measured in instructions under callgrind through "
        "a trampoline (method: `benchmarks/icount_profile.py`), inclusive of its callees, per "
        f"call of the op ({meta['n1']} and {meta['n2']} calls, `discard` pipeline). Nested rows "
        "overlap: a caller's figure includes its callees'.",
        "",
    ]
    for index, scenario in enumerate(scenarios):
        overhead = known.get(scenario["variant"], {}).get(scenario["op"])
        lines += section(scenario, results.get(index, []), overhead)
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["discover"]:
        variant, op, out, calls, limit = raw[1:6]
        result = discover(variant, op, int(calls), int(limit))
        Path(out).write_text(json.dumps(result))
        return
    if raw[:1] == ["measure"]:
        spec = json.loads(Path(raw[1]).read_text())
        targets = {tuple(json.loads(key)): driver for key, driver in spec["targets"].items()}
        result = measure(
            spec["variant"], spec["op"], targets, spec["warmup"], spec["n1"], spec["n2"]
        )
        Path(raw[2]).write_text(json.dumps(result))
        os._exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--profile-calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--n1", type=int, default=10)
    parser.add_argument("--n2", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", type=Path, default=PROFILE)
    args = parser.parse_args(raw)
    version = valgrind_version()
    if version is None:
        raise SystemExit("bench-icount-profile needs valgrind (apt-get install -y valgrind)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    scenarios = []
    for item in args.scenarios.split(","):
        variant, _, op = item.partition(":")
        scenarios.append(run_discover(variant, op, args))
        log(f"{variant} {op}: {len(scenarios[-1]['candidates'])} candidates")
    jobs = []
    for index, scenario in enumerate(scenarios):
        for part, group in enumerate(groups(scenario["candidates"])):
            jobs.append((index, group, part))
    results: dict[int, list[dict[str, Any]]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            pool.submit(run_measure, scenarios[index], group, part, args): index
            for index, group, part in jobs
        }
        for future in concurrent.futures.as_completed(futures):
            index = futures[future]
            results.setdefault(index, []).extend(future.result()["measured"])
            log(f"measured a group of {scenarios[index]['variant']} {scenarios[index]['op']}")
    info = machine.describe()
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": f"{time.perf_counter() - started:.0f} s",
        "command": " ".join([".venv-bench/bin/python -m benchmarks.icount_profile", *raw]),
        "valgrind": version,
        "revision": info["revision"],
        "candidates": str(args.candidates),
        "n1": str(args.n1),
        "n2": str(args.n2),
    }
    (WORK / "icount-profile.json").write_text(
        json.dumps({"meta": meta, "scenarios": scenarios, "results": results}, indent=2)
    )
    lines = render(scenarios, results, meta)
    results_file.splice(args.out, "icount", lines, PROFILE_TITLE)
    print("\n".join(lines))
    log(f"wrote {args.out} in {meta['duration']}")


if __name__ == "__main__":
    main()

"""``make bench``: wall time per call of every configuration, with pyperf -> ``RESULTS.md``.

Each configuration is one pyperf run (``python -m benchmarks.wall --config NAME``): pyperf
spawns its worker processes, calibrates the loops, warms up and takes its values; each worker
sets the configuration up once (``BatchSpanProcessor`` into a dropping exporter, as in production
minus the network) before it times. The orchestrator (no ``--config``) runs them one after the
other and writes the wall-time part of ``RESULTS.md`` (then, on a whole run, the memory part:
``benchmarks/memory.py``): µs per call (pyperf's mean ± standard
deviation), the overhead over the uninstrumented call and its ratio to the same-work floor's.
Wall time moves with the machine's load; the targets use instruction counts (``icount``).

``python -m benchmarks.wall [--configs a,b] [--ops invoke,stream] [--rigorous]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyperf

from benchmarks import calls, icount, memory, report, setups

OPS = "invoke,ainvoke,stream,astream"
ROOT = Path(__file__).resolve().parent.parent


def timer(op: str) -> Callable[[int], float]:
    run = calls.runner(op)

    def time_func(loops: int) -> float:
        started = time.perf_counter()
        run(loops)
        return time.perf_counter() - started

    return time_func


def worker(config: str, ops: Sequence[str]) -> None:
    def pass_on(command: list[str], args: argparse.Namespace) -> None:  # to pyperf's workers
        command.extend(["--config", args.config, "--ops", args.ops])

    runner = pyperf.Runner(add_cmdline_args=pass_on)
    runner.argparser.add_argument("--config")
    runner.argparser.add_argument("--ops")
    args = runner.parse_args()
    if args.worker:  # set up for the one op this process times (the floors are per op)
        setups.prepare(config, ops[args.worker_task], batch=True)
    for op in ops:
        runner.bench_time_func(op, timer(op) if args.worker else lambda loops: 0.0)


def orchestrate(args: argparse.Namespace) -> None:
    ops = [op for op in args.ops.split(",") if op]
    peers = icount.installed_peers()
    configs = args.configs.split(",") if args.configs else list(setups.CONFIGS)
    setups.WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "benchmarks.icount", "--capture", ",".join(ops)], check=True
    )
    means: dict[str, dict[str, tuple[float, float]]] = {}
    started = time.perf_counter()
    for name in configs:
        config = setups.CONFIGS[name]
        mine = [op for op in ops if setups.measures(name, op)]
        if not mine or (config.peer is not None and config.peer not in peers):
            continue
        out = setups.WORK / f"wall-{name}.json"
        out.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "benchmarks.wall",
            "--config",
            name,
            "--ops",
            ",".join(mine),
        ]
        env = icount.env_of(name)
        env["PYTHONPATH"] = str(ROOT)  # pyperf runs its workers as a script
        inherited = ",".join(["PYTHONPATH", *config.env])  # pyperf drops the rest
        command += ["--rigorous" if args.rigorous else "--fast", "--quiet", "-o", str(out)]
        command += [f"--inherit-environ={inherited}"]
        subprocess.run(command, env=env, check=True)
        suite = pyperf.BenchmarkSuite.load(str(out))
        means[name] = {b.get_name(): (b.mean(), b.stdev()) for b in suite.get_benchmarks()}
        print(f"bench: {name} done", file=sys.stderr, flush=True)
    (setups.WORK / "wall.json").write_text(json.dumps(means))
    report.write_wall(lines(means, ops, time.perf_counter() - started, args.rigorous))
    if not args.configs:  # the whole run: memory too
        report.write_memory(memory.run_all(sys.executable, setups.WORK))


def lines(
    means: dict[str, dict[str, tuple[float, float]]],
    ops: Sequence[str],
    seconds: float,
    rigorous: bool,
) -> list[str]:
    base = means.get("uninstrumented", {})
    header = (
        "| configuration | compared with | "
        + " | ".join(f"{op}: µs (overhead, x floor)" for op in ops)
        + " |"
    )
    rows = [header, "|---|---|" + "---|" * len(ops)]
    for name, values in means.items():
        floor = setups.CONFIGS[name].floor
        cells = []
        for op in ops:
            if op not in values:
                cells.append("-")
                continue
            mean, stdev = values[op]
            cell = f"{mean * 1e6:,.1f} ± {stdev * 1e6:,.1f}"
            if name != "uninstrumented" and op in base:
                extra = mean - base[op][0]
                cell += f" (+{extra * 1e6:,.1f}"
                if floor and op in means.get(floor, {}):
                    floor_extra = means[floor][op][0] - base[op][0]
                    cell += f", {extra / floor_extra:.2f}x" if floor_extra > 0 else ""
                cell += ")"
            cells.append(cell)
        rows.append(f"| `{name}` | {f'`{floor}`' if floor else '-'} | " + " | ".join(cells) + " |")
    return [
        "## Wall time (`make bench`)",
        "",
        f"pyperf {pyperf.__version__}, {'--rigorous' if rigorous else '--fast'}, "
        f"in {seconds:.0f} s: "
        "mean ± standard deviation of µs per call over pyperf's values (its worker processes, "
        "calibrated loops, warm-ups), `BatchSpanProcessor` into a dropping exporter. Wall time "
        "moves with the machine's load (this is a shared 2-core VM); the targets use the "
        "instruction counts above.",
        "",
        *rows,
    ]


def main() -> None:
    if "--config" in sys.argv:  # a pyperf run of one configuration (and its workers)
        config = sys.argv[sys.argv.index("--config") + 1]
        ops = sys.argv[sys.argv.index("--ops") + 1].split(",")
        worker(config, ops)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="")
    parser.add_argument("--ops", default=OPS)
    parser.add_argument("--rigorous", action="store_true")
    orchestrate(parser.parse_args())


if __name__ == "__main__":
    main()

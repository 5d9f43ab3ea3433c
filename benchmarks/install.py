"""Install each peer instrumentation into the bench venv, each on its own, none required.

``python -m benchmarks.install`` (run by ``make bench`` once per venv). Each peer is installed
with the already-installed packages pinned (a constraints file from ``pip freeze``), so a peer
that needs other OpenTelemetry or LangChain versions fails to install instead of changing what
langchain-otel is measured with. The outcome per peer goes to ``benchmarks/.work/install.json``;
the bench skips the rows of a peer that is missing and says why. (langgraph, for the structure
rows' graph op, is installed with langchain-core by the Makefile, before the peers.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.setups import PEERS

WORK = Path(__file__).parent / ".work"
STATUS = WORK / "install.json"


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )


def main() -> None:
    WORK.mkdir(exist_ok=True)
    frozen = _pip("freeze", "--exclude-editable").stdout
    constraints = WORK / "constraints.txt"
    constraints.write_text(frozen)
    status: dict[str, dict[str, str]] = {}
    for short, dist in PEERS.items():
        done = _pip("install", "-q", dist, "-c", str(constraints))
        if done.returncode == 0:
            status[short] = {"dist": dist, "installed": "yes"}
            print(f"bench: installed {dist}")
        else:
            tail = [line for line in done.stderr.splitlines() if "is ignored" not in line][-6:]
            status[short] = {"dist": dist, "installed": "no", "reason": " | ".join(tail)}
            print(f"bench: could not install {dist} (its rows will be skipped)", file=sys.stderr)
    STATUS.write_text(json.dumps(status, indent=2))


if __name__ == "__main__":
    main()

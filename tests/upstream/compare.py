"""Compare two JUnit XML reports of one suite (run without and with langchain-otel): every test
whose outcome differs, and the totals. Exit status 1 when any outcome differs."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def outcomes(path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[name] = kinds[0] if kinds else "passed"
    return found


def main(off: str, on: str) -> int:
    bare, instrumented = outcomes(off), outcomes(on)
    differ = sorted(
        (name, bare.get(name, "missing"), instrumented.get(name, "missing"))
        for name in bare.keys() | instrumented.keys()
        if bare.get(name) != instrumented.get(name)
    )
    for name, before, after in differ:
        print(f"{before} -> {after}: {name}")
    totals = {kind: sum(v == kind for v in instrumented.values()) for kind in set(bare.values())}
    print(f"{len(instrumented)} tests, {totals}, {len(differ)} outcomes differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

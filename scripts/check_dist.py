"""``make dist``'s check of what it built: ``python scripts/check_dist.py dist``.

- The sdist holds the source, the tests, the README and the license (``python -m build`` built
  the wheel from it, so it is complete enough to build).
- The wheel holds every module of ``src/langchain_otel``, ``py.typed`` and the license, and
  declares the ``opentelemetry_instrumentor`` entry point and the ``instruments``/``otlp`` extras.
- Installed with ``[otlp,instruments]`` in a fresh venv, it traces a chat call under
  ``opentelemetry-instrument`` with no code of ours in the script: the console exporter prints a
  ``chat`` span.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "langchain_otel"
ENTRY_POINT = "langchain_otel = langchain_otel:LangChainInstrumentor"
SMOKE = """
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

GenericFakeChatModel(messages=iter([AIMessage("hi")])).invoke("hello")
"""


def fail(message: str) -> None:
    raise SystemExit(f"check_dist: {message}")


def only(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        fail(f"expected one {pattern} in {dist}, found {[p.name for p in found]}")
    return found[0]


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "src/langchain_otel/__init__.py"):
        if needed not in names:
            fail(f"{sdist.name} lacks {needed}")
    if not any(name.startswith("tests/") for name in names):
        fail(f"{sdist.name} has no tests/")


def check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    modules = {f"langchain_otel/{p.relative_to(PACKAGE)}" for p in PACKAGE.rglob("*.py")}
    missing = sorted(modules - names)
    if missing:
        fail(f"{wheel.name} lacks {missing}")
    if "langchain_otel/py.typed" not in names:
        fail(f"{wheel.name} lacks py.typed")
    if not any(n.startswith(f"{dist_info}/licenses/LICENSE") for n in names):
        fail(f"{wheel.name} lacks the license")
    if "[opentelemetry_instrumentor]" not in entry_points or ENTRY_POINT not in entry_points:
        fail(f"{wheel.name} does not declare the instrumentor entry point")
    for extra in ("instruments", "otlp"):
        if f"Provides-Extra: {extra}" not in metadata:
            fail(f"{wheel.name} lacks the {extra} extra")


def check_install(wheel: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, f"{wheel}[otlp,instruments]"], check=True)
        script = Path(scratch) / "app.py"
        script.write_text(SMOKE)
        run = subprocess.run(
            [
                str(venv / "bin" / "opentelemetry-instrument"),
                "--traces_exporter",
                "console",
                "--metrics_exporter",
                "none",
                "--logs_exporter",
                "none",
                str(venv / "bin" / "python"),
                str(script),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=scratch,
        )
        if '"name": "chat' not in run.stdout:
            fail(f"no chat span from the installed wheel:\n{run.stdout}\n{run.stderr}")


def main() -> None:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
    sdist, wheel = only(dist, "*.tar.gz"), only(dist, "*.whl")
    check_sdist(sdist)
    check_wheel(wheel)
    check_install(wheel)
    print(f"check_dist: {sdist.name} and {wheel.name} are complete; the wheel traces a chat call")


if __name__ == "__main__":
    main()

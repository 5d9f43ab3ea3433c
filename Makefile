# The two commands of the contract: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := OTEL_SERVICE_NAME=langchain-otel-quickstart OTEL_TRACES_EXPORTER=console \
	OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none

COMPAT_VENV := .venv-openai-v2
# The test matrix: oldest supported (on the oldest Python) and newest releases; it runs the tests
# marked `matrix` (`pytestmark = pytest.mark.matrix` in their module).
OLDEST_PYTHON ?= $(or $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3)),$(PYTHON))

.PHONY: demo test lint typecheck pytest pytest-compat test-matrix dist bench bench-icount \
	bench-profile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[otlp,examples]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test,otlp,examples,dev]"
	touch $@ $(VENV)/.demo-installed

## demo: the quickstart under opentelemetry-instrument, spans printed to the console
demo: $(VENV)/.demo-installed
	$(DEMO_ENV) $(BIN)/opentelemetry-instrument $(BIN)/python examples/quickstart.py

## test: lint, type-check and the whole test suite (plus the suite that needs its own venv)
test: lint typecheck pytest pytest-compat test-matrix

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests examples benchmarks scripts
	$(BIN)/ruff format --check src tests examples benchmarks scripts

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

$(COMPAT_VENV)/.installed: pyproject.toml tests/compat/requirements-openai-v2.txt
	test -x $(COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install -q -e . -r tests/compat/requirements-openai-v2.txt
	touch $@

PEERS_VENV := .venv-langchain-peers

$(PEERS_VENV)/.installed: pyproject.toml tests/compat/requirements-langchain-peers.txt
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q -e . -r tests/compat/requirements-langchain-peers.txt
	touch $@

## pytest-compat: contrib openai-v2 (needs util-genai <= 1.1, unlike the main venv) and the other
## LangChain instrumentations (their `langchain` entry point would load in the main venv's
## zero-code tests)
pytest-compat: $(COMPAT_VENV)/.installed $(PEERS_VENV)/.installed
	COMPAT_SUITE=openai-v2 $(COMPAT_VENV)/bin/python -m pytest tests/compat/test_openai_v2.py
	COMPAT_SUITE=langchain-peers $(PEERS_VENV)/bin/python -m pytest tests/compat/test_langchain_peers.py

.venv-oldest/.installed: pyproject.toml tests/compat/requirements-oldest.txt
	test -x .venv-oldest/bin/python || $(OLDEST_PYTHON) -m venv .venv-oldest
	.venv-oldest/bin/pip install -q -r tests/compat/requirements-oldest.txt
	.venv-oldest/bin/pip install -q --no-deps -e .
	touch $@

.venv-latest/.installed: pyproject.toml tests/compat/requirements-latest.txt
	test -x .venv-latest/bin/python || $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install -q --upgrade -r tests/compat/requirements-latest.txt
	.venv-latest/bin/pip install -q --no-deps -e .
	touch $@

## test-matrix: the version-independent tests on the oldest and the newest supported stack
test-matrix: .venv-oldest/.installed .venv-latest/.installed
	SOAK_CALLS=2000 .venv-oldest/bin/python -m pytest -q -p no:warnings -m matrix
	SOAK_CALLS=2000 .venv-latest/bin/python -m pytest -q -m matrix

$(VENV)/.dist-installed: | $(BIN)/python
	$(BIN)/pip install -q "build >= 1.2" "twine >= 5"
	touch $@

## dist: the sdist and the wheel in dist/ (the wheel built from the sdist), checked: twine check,
## their contents, and the wheel installed in a fresh venv tracing a chat call under
## opentelemetry-instrument (scripts/check_dist.py)
dist: $(VENV)/.dist-installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python scripts/check_dist.py dist

# The benchmarks' own venv: this package, langchain-core, langgraph (the graph ops), pyperf, and
# the peer instrumentations (each optional: one that fails to install is left out of the tables).
BENCH_VENV := .venv-bench
BENCH_ARGS ?=
ICOUNT_ARGS ?=
PROFILE_ARGS ?= --profile langchain-otel-metrics-off --ops invoke

$(BENCH_VENV)/.installed: pyproject.toml benchmarks/install.py
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -e ".[otlp]" "langchain-core >= 0.3" langgraph "pyperf >= 2.6"
	$(BENCH_VENV)/bin/python -m benchmarks.install
	touch $@

## bench: wall time per call of every configuration with pyperf, and memory growth over 100k
## calls -> benchmarks/RESULTS.md, those parts (not part of `make test`;
## BENCH_ARGS="--ops invoke,stream --rigorous" etc.; --configs a,b times those alone, no memory)
bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.wall $(BENCH_ARGS)

## bench-icount: CPU instructions per call under valgrind's callgrind (deterministic, unmoved by
## load), against the floors doing the same work, and the targets -> benchmarks/RESULTS.md, its
## instruction-count part (needs valgrind; ICOUNT_ARGS="--ops invoke,stream,stream-2" etc.)
bench-icount: $(BENCH_VENV)/.installed
	@command -v valgrind >/dev/null || { echo "bench-icount needs valgrind (apt-get install -y valgrind)"; exit 1; }
	$(BENCH_VENV)/bin/python -m benchmarks.icount $(ICOUNT_ARGS)

## bench-profile: one call's instructions (callgrind) and our and the SDK's functions by own time
## (cProfile) -> benchmarks/PROFILE.md
## (needs valgrind; PROFILE_ARGS="--profile langchain-otel --ops stream")
bench-profile: $(BENCH_VENV)/.installed
	@command -v valgrind >/dev/null || { echo "bench-profile needs valgrind (apt-get install -y valgrind)"; exit 1; }
	$(BENCH_VENV)/bin/python -m benchmarks.icount $(PROFILE_ARGS)

## clean: every venv and work directory the targets above create (the benchmarks' included), dist/
## and the tools' caches
clean:
	rm -rf $(VENV) $(COMPAT_VENV) $(PEERS_VENV) .venv-oldest .venv-latest $(BENCH_VENV) \
		benchmarks/.work dist .mypy_cache .ruff_cache .pytest_cache .hypothesis

# The two commands of the contract: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := OTEL_SERVICE_NAME=langchain-otel-quickstart OTEL_TRACES_EXPORTER=console \
	OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none

.PHONY: demo test lint typecheck pytest bench clean

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

## test: lint, type-check and the whole test suite
test: lint typecheck pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

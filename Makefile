# The two commands of the contract: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := OTEL_SERVICE_NAME=langchain-otel-quickstart OTEL_TRACES_EXPORTER=console \
	OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none

COMPAT_VENV := .venv-openai-v2

.PHONY: demo test lint typecheck pytest pytest-compat bench clean

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
test: lint typecheck pytest pytest-compat

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	$(BIN)/python -m pytest

$(COMPAT_VENV)/.installed: pyproject.toml tests/compat/requirements-openai-v2.txt
	test -x $(COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install -q -e . -r tests/compat/requirements-openai-v2.txt
	touch $@

## pytest-compat: contrib openai-v2 (needs util-genai <= 1.1, unlike the main venv)
pytest-compat: $(COMPAT_VENV)/.installed
	COMPAT_SUITE=openai-v2 $(COMPAT_VENV)/bin/python -m pytest tests/compat

clean:
	rm -rf $(VENV) $(COMPAT_VENV) .mypy_cache .ruff_cache

# Two commands set up a fresh machine with only python3 (3.11+): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint ui sandbox bench-install benchmarks clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## run the whole pipeline once against the local sandbox on SQLite and print a summary
	$(BIN)/customer-hub demo

test: $(STAMP)  ## lint, load the Dagster definitions as `dg check defs` does, then every test (SQLite and, where reachable, PostgreSQL)
	$(BIN)/ruff check customer_hub customer_hub_tests benchmarks
	DAGSTER_DISABLE_TELEMETRY=1 $(BIN)/dg check defs
	$(BIN)/pytest -n 2

ui: $(STAMP)  ## the Dagster UI on the demo's instance and data, with the sandbox serving the vendor APIs
	$(BIN)/customer-hub ui

sandbox: $(STAMP)  ## only the vendor-API sandbox, in the foreground
	$(BIN)/customer-hub sandbox

bench-install: $(STAMP)  ## the benchmark-only extra (Splink and DuckDB) the resolution benchmark compares against
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev,bench]"

benchmarks: bench-install  ## every benchmark in turn; each prints its figures (run on a quiet machine)
	$(BIN)/python benchmarks/sync_benchmark.py
	$(BIN)/python benchmarks/resolution_benchmark.py
	$(BIN)/python benchmarks/sandbox_resolution_quality.py
	$(BIN)/python benchmarks/lookup_benchmark.py
	$(BIN)/python benchmarks/quality_metrics.py
	$(BIN)/python benchmarks/onboarding_latency.py
	$(BIN)/python benchmarks/fault_injection.py

clean:
	rm -rf var .pytest_cache .ruff_cache

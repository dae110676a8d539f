# Entry points for a fresh machine with Python 3.11: `make demo`, `make ui`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo ui demo-stop test dictionary benchmark benchmark-scale clean lock

# setuptools 70.1 and later build wheels by themselves: the installed-package test builds one offline.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=70.1'
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## Simulated AWS organisation -> Dagster -> Parquet lake, with a summary
	$(BIN)/aws-assets demo

ui: $(STAMP)  ## The Dagster UI on the demo's materializations (restarts the simulated organisation if needed)
	$(BIN)/aws-assets demo --org-only
	. data/demo/env.sh && $(BIN)/dagster dev -w workspace.yaml

demo-stop: $(STAMP)
	$(BIN)/aws-assets demo --stop

test: $(STAMP)  ## Lint, type check, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest --hypothesis-profile=thorough

dictionary: $(STAMP)  ## Regenerate docs/data-dictionary.md
	$(BIN)/aws-assets dictionary

benchmark: $(STAMP)  ## API calls of a full sync; the graph over a million entities; trust and IAM policy analysis; 30 days of history
	$(BIN)/python benchmarks/sync_api_calls.py
	$(BIN)/python benchmarks/relationships.py
	$(BIN)/python benchmarks/trust.py
	$(BIN)/python benchmarks/policy_analysis.py
	$(BIN)/python benchmarks/history.py

benchmark-scale: $(STAMP)  ## Issue 10: 20 accounts x 3 regions at 50 ms a request, the parallel sync against a run per partition
	$(BIN)/python benchmarks/sync_scale.py --accounts 20 --regions 3

lock:  ## Re-pin every dependency (run after changing pyproject.toml)
	rm -rf /tmp/aws-assets-lock && $(PYTHON) -m venv /tmp/aws-assets-lock
	/tmp/aws-assets-lock/bin/pip install --quiet ".[demo,dev]"
	/tmp/aws-assets-lock/bin/pip freeze --exclude aws-assets > requirements.lock

clean:
	rm -rf $(VENV) data

# Prilavok — the two commands are `make run` and `make test`; both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: help install protos check-protos lint run test test-unit test-integration test-e2e chaos bench eval-moderation clean

help:
	@echo "make run    - set up and start the whole suite on embedded NATS + MongoDB (Ctrl-C stops)"
	@echo "make test   - set up, lint, type-check and run every test (unit, integration, end-to-end)"
	@echo "make lint   - ruff and mypy only"
	@echo "make protos - regenerate gen/ from protos/"
	@echo "make chaos  - crash test: 600 refund/fine flows while services are SIGKILLed (minutes; CHAOS_ARGS=\"--flows 800 --json r.json\")"
	@echo "make bench  - benchmarks (not part of the tests)"
	@echo "make eval-moderation - precision/recall of the moderation engine on the labelled sets"

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, found " + sys.version.split()[0])'
	@echo ">> creating $(VENV) and installing dependencies (first time: about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -q -e .
	@touch $@

install: $(INSTALLED)

protos: $(INSTALLED)
	$(BIN)/python tools/gen_protos.py

check-protos: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/unit/test_generated_code.py

run: $(INSTALLED)
	$(BIN)/python -m devstack.run

lint: $(INSTALLED)
	@echo ">> ruff (style, imports, bugs, complexity) and mypy (types)"
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -p no:cacheprovider

test-unit: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(INSTALLED)
	$(BIN)/python -m pytest -q tests/e2e

chaos: $(INSTALLED)
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

bench: $(INSTALLED)
	$(BIN)/python -m bench.moderation_engine
	$(BIN)/python -m bench.suite

eval-moderation: $(INSTALLED)
	@for set in services/moderation/evaluation/dataset.jsonl services/moderation/evaluation/holdout*.jsonl; do \
		echo "== $$set"; $(BIN)/python -m services.moderation.evaluation $$set || exit 1; echo; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Every target creates (once) and uses the local virtual environment in .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: drill gate test lint clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

## The main job: the rollback drill on the embedded default (moto + embedded PostgreSQL).
drill: $(VENV)/.installed
	$(VENV)/bin/harness drill $(ARGS)

gate: $(VENV)/.installed
	$(VENV)/bin/harness gate $(ARGS)

## The whole test suite: lint, types, unit tests and every feature.
test: lint
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) reports

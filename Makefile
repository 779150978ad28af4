# Every target creates (once) and uses the local virtual environment in .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: drill gate test lint bench clean

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

## The whole test suite: lint, types, unit tests and every feature, on two pytest-xdist
## workers (each with its own sim, PostgreSQL and warm CLI worker). A test file is the unit
## a worker takes whole: a feature's scenarios can depend on each other through the session
## (the drill's acceptance reads the times the others recorded) and a module's fixtures
## (a moto server, a built wheel) serve all of its tests. (Not --dist loadgroup: on pytest 9.2
## it silently stops grouping, pytest-xdist issue 1386.)
test: lint
	$(PY) -m pytest -n 2 --dist loadfile $(ARGS)

## Every benchmark in one go: each prints its figures beside baselines measured in the same
## run, the ratios and the machine's load (run it on a quiet machine).
bench: $(VENV)/.bench-installed
	$(PY) bench/bench_migrations_lint.py
	$(PY) bench/report_render.py
	$(PY) bench/fingerprint.py
	$(PY) bench/bench_schema_parity.py
	$(PY) bench/rto_accuracy.py
	$(PY) bench/drill_wall.py

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) reports

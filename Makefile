# Entry points. `make` regenerates the reports from data/raw; `make test` runs the tests.
# Both create the virtualenv (.venv, Python 3.12) from pyproject.toml on first use.
VENV   ?= .venv
PY     := $(VENV)/bin/python
RAW    ?= data/raw
OUT    ?= data/processed

.PHONY: all setup reports clean-data test lint sample bench-clean

all: reports

$(VENV)/.installed: pyproject.toml
	@python=$$(scripts/find-python.sh) && "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

setup: $(VENV)/.installed

clean-data: setup
	$(PY) -m analysis clean --raw $(RAW) --out $(OUT)

reports: setup
	$(PY) -m analysis build

test: setup
	$(PY) -m ruff check src tests scripts
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check src tests scripts
	$(PY) -m ruff format --check src tests scripts

sample: setup
	$(PY) -m analysis sample --out $(RAW) --overwrite

bench-clean: setup
	$(PY) scripts/bench_clean.py

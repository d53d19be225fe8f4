# fieldapp — one Makefile for everything. `make run` and `make test` set up .venv on their own.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck format bench bundle venv clean

$(STAMP): pyproject.toml
	$(PYTHON) tools/make_venv.py $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/exchange.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/privacy.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/bundle.py

# the desktop bundle for laptops without Python: dist/fieldapp/ (docs/build.md)
bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm pyinstaller.spec
	QT_QPA_PLATFORM=offscreen dist/fieldapp/fieldapp --self-test

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

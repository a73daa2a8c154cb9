# One command to run the app with demo data, one to pass the whole test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run test bench translations extract-messages chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,redis]'
	touch $@ $(VENV)/.installed

translations: | $(BIN)/python
	$(BIN)/python scripts/compile_translations.py

run: $(VENV)/.installed translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	SCHEDULER_IN_PROCESS=$${SCHEDULER_IN_PROCESS:-1} $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

chromium:
	@scripts/ensure-chromium

test: $(VENV)/.installed-dev translations chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev translations
	$(BIN)/python -m bench $(BENCH_ARGS)

# Developers: refresh the catalogues after adding user-visible strings, then translate ja.
extract-messages: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o participation/translations/messages.pot .
	$(BIN)/pybabel update -i participation/translations/messages.pot -d participation/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance

# AccountLink: `make run` serves the app on http://localhost:8000,
# `make test` runs lint and the whole test suite. Both install what they need.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8000
PYTEST_ARGS ?=
# Every recipe line that needs the project's tools starts with this.
ENV := source scripts/env.sh &&

.PHONY: help bootstrap run serve test lint format bench clean distclean

help:
	@echo "make run      serve AccountLink on http://localhost:$(PORT) (PORT=... to change)"
	@echo "make serve    production: PostgreSQL, Redis, several workers (README \"Production\")"
	@echo "make test     lint, then the whole test suite (PYTEST_ARGS=... to narrow)"
	@echo "make lint     ruff check, ruff format --check, the import-cycle check and mypy"
	@echo "make format   apply ruff fixes and formatting"
	@echo "make bench    run every bench/*.py"
	@echo "make clean    remove build output and caches (keeps .venv, .tools and app data)"
	@echo "make distclean  clean, and also remove .venv and .tools"

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	@bash scripts/run.sh $(PORT)

serve: bootstrap
	@bash scripts/serve.sh $(PORT)

test: bootstrap
	@bash scripts/ensure_chromium.sh
	@bash scripts/ensure_axe.sh
	$(ENV) ruff check .
	$(ENV) ruff format --check .
	$(ENV) python scripts/check_import_cycles.py accountlink_ui
	$(ENV) mypy
	$(ENV) pytest $(PYTEST_ARGS)

lint: bootstrap
	$(ENV) ruff check .
	$(ENV) ruff format --check .
	$(ENV) python scripts/check_import_cycles.py accountlink_ui
	$(ENV) mypy

format: bootstrap
	$(ENV) ruff check --fix .
	$(ENV) ruff format .

bench: bootstrap
	@$(ENV) shopt -s nullglob; \
	files=(bench/*.py); \
	[ $${#files[@]} -gt 0 ] || { echo "bench: no bench/*.py yet"; exit 0; }; \
	for f in "$${files[@]}"; do echo "== $$f"; python "$$f"; done

# .accountlink/ (the default data dir with the SQLite file and the master key
# file) is deliberately left alone: deleting the key makes stored credentials
# unreadable.
clean:
	rm -rf .web .states test-results .pytest_cache .ruff_cache
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf .venv .tools

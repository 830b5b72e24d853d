# Two commands matter (see README.md): `make serve` shows the docs site, `make test` runs every test.
# Both install what they need on first run: a pinned uv in .tools/, then the locked
# environment in .venv/ from uv.lock. Nothing but git, Python 3.11+ and make is assumed.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test build dist mock bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

install: $(SYNCED)

# The site, then the build step that writes what the site publishes besides its pages (llms.txt,
# Markdown copies, openapi.json, the Postman collection, catalog.json) and the docs bundle that
# the flowlix-mock package ships for `flowlix-mock mcp` (see docs_macros/publish.py).
BUNDLE := src/flowlix_mock/docs_bundle.json

serve: $(SYNCED)
	$(VENV)/bin/python -m docs_macros.serve --dev-addr $(HOST):$(PORT)

build: $(SYNCED)
	$(VENV)/bin/mkdocs build --strict
	$(VENV)/bin/python -m docs_macros.publish --site-dir site --bundle $(BUNDLE)

# The flowlix-mock wheel and sdist in dist/, with the docs bundle the MCP server answers from.
dist: build
	$(UV) build

test: $(SYNCED)
	RUFF_OUTPUT_FORMAT=concise $(VENV)/bin/pytest -n auto --dist loadfile

bench: $(SYNCED)
	$(VENV)/bin/python bench/run.py

mock: $(SYNCED)
	$(VENV)/bin/flowlix-mock

clean:
	rm -rf $(VENV) $(TOOLS) site dist $(BUNDLE) .pytest_cache

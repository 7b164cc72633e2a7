# Two commands for a newcomer:  `make run`  and  `make test`  (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi
# make run PORT=5123 serves there; BASE_URL (the address in emailed links) follows unless set.
PORT ?= 5000
# The PostgreSQL server the tests use (a database is created per test run).
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export TEST_DATABASE_URL

.PHONY: run test test-fast lint format setup bench lock sbom audit hooks clean translations fonts

## run: set everything up and serve the app with demo data on http://127.0.0.1:5000
##      (`make run PORT=5123` for another port; emailed links follow)
run: export BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	@echo "Emails are written to instance/mail/ as .eml files (open them in any mail program)."
	@echo "Serving on $(BASE_URL)"
	@# Ctrl+C reaches both (each stops on INT); TERM stops both; the server ending stops the
	@# worker. `stop` clears the traps first (`kill 0` used to signal this shell and re-run them).
	@stop() { trap - INT TERM EXIT; kill $$server $$worker 2>/dev/null; wait; echo "Stopped."; }; \
	trap 'stop; exit 0' INT TERM; trap stop EXIT; \
	$(BIN)/flask outbox worker & worker=$$!; \
	GUNICORN_BIND=127.0.0.1:$(PORT) GUNICORN_WORKERS=3 \
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py & server=$$!; \
	wait $$server

## test: set everything up, then lint and run the whole test suite: one pytest-xdist worker
##       per core (at most 4: each worker counts rate limits in a Redis database of its own),
##       then the tests that compare timings (marked serial) in one process, alone
test: setup lint
	$(BIN)/pytest -n auto --maxprocesses=4 -m "not serial"
	$(BIN)/pytest -m serial

## test-fast: the suite without the browser, slow and timing (serial) tests, one
##            pytest-xdist worker per core
test-fast: setup
	$(BIN)/pytest -m "not browser and not slow and not serial" -n auto

## lint: ruff, the layers of docs/architecture.md (import-linter) and the types (mypy)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every hot path through gunicorn against its reference, one table (README.md)
##        `make bench BENCH=--quick` is the seconds-long smoke run; wrk is installed if missing
##        `make bench BENCH="--partnerships 40 --schools 20000"`: England's size (docs/scaling.md)
bench: setup
	$(BIN)/python -m bench.run $(BENCH)

## lock: compile requirements.in and requirements-dev.in into the hashed lock files
##       (`make lock UPGRADE=1` moves every package to its newest release,
##       `make lock UPGRADE="flask jinja2"` only those)
LOCK_FLAGS := --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links --quiet \
	$(if $(filter 1,$(UPGRADE)),--upgrade,$(addprefix --upgrade-package ,$(UPGRADE)))
lock: $(VENV)/.installed
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) \
	  -o requirements.txt requirements.in
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile $(LOCK_FLAGS) \
	  -o requirements-dev.txt requirements-dev.in

## sbom: a CycloneDX bill of materials of what the service runs (requirements.txt)
sbom: $(VENV)/.installed
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/cyclonedx-py requirements \
	  --pyproject pyproject.toml --output-reproducible -o sbom.cdx.json requirements.txt
	@echo "Wrote sbom.cdx.json"

## audit: known vulnerabilities in every locked package; asks PyPI's vulnerability feed, so it
##        needs the network and is not part of `make test` (--strict: a package it could not
##        look up is a failure, not a pass)
audit: $(VENV)/.installed
	$(BIN)/pip-audit --strict --require-hashes --disable-pip \
	  -r requirements.txt -r requirements-dev.txt

## hooks: run ruff and mypy before each commit (.pre-commit-config.yaml)
hooks: $(VENV)/.installed
	$(BIN)/pre-commit install

# The compiled catalogues (.mo) are built from the .po files by the set-up, not committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

setup: $(VENV)/.installed node_modules/.installed clinic/static/dist/app.css clinic/static/dist/app.rtl.css \
	$(MO_FILES) fonts

## translations: after marking text for translation, extract it to translations/messages.pot,
##               bring every catalogue up to date with it, and compile them (README "Languages")
##               `make translations NEW=fr` starts a catalogue for a new language first
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 --sort-by-file \
	  --no-wrap --project "Parental controls clinics" -o translations/messages.pot .
	$(if $(NEW),$(BIN)/pybabel init --no-wrap -i translations/messages.pot -d translations -l $(NEW))
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i translations/messages.pot -d translations
	$(BIN)/pybabel compile --statistics -d translations


## fonts: the fonts the PDF sign-in sheet needs to print any name a parent types (Arabic and
##        Urdu, Polish and Welsh letters, Chinese, Japanese, Korean, Indian scripts...), from
##        Debian's packages; installed with apt-get when missing and run as root or with
##        sudo, otherwise the command to run is printed (the sheet prints boxes until then)
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk
# One family from each package, the ones clinic/static/css/sheet-print.css names.
FONT_FAMILIES := Noto Sans:Noto Naskh Arabic:Noto Nastaliq Urdu:Noto Sans CJK SC
fonts:
	@missing=; families="$(FONT_FAMILIES)"; IFS=:; for family in $$families; do \
	  fc-list "$$family" family 2>/dev/null | grep -q . || missing="$$missing, $$family"; \
	done; unset IFS; \
	if [ -n "$$missing" ]; then \
	  echo "The PDF sign-in sheet needs fonts that are missing ($${missing#, })."; \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else \
	    echo "Install them with: sudo apt-get install $(FONT_PACKAGES)"; exit 0; \
	  fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    --no-install-recommends fontconfig $(FONT_PACKAGES) >/dev/null \
	    || echo "Could not install them: run  sudo apt-get install $(FONT_PACKAGES)"; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# One build makes both stylesheets: app.css and app.rtl.css (the same, mirrored by rtlcss for
# Arabic and Urdu pages).
clinic/static/dist/app.css clinic/static/dist/app.rtl.css &: node_modules/.installed \
		clinic/assets/app.scss package.json
	npm run --silent build

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d translations -l $*

clean:
	rm -rf $(VENV) node_modules clinic/static/dist clinic/static/govuk

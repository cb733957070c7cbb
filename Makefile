# The two commands: `make run` and `make test`. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint schemas clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

# serve applies the migrations itself before it listens.
run: $(STAMP)
	$(BIN)/ocpi-hub serve

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

# The console's browser tests drive the system's Chromium (Debian's `chromium`; Playwright never
# downloads a browser). Installed here when it is missing and we can (apt-get, as root);
# otherwise those tests skip, saying why (.ci/run insists on it).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium for the console's browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			|| echo "could not install chromium: the browser tests will skip"; \
	fi

# JSON Schemas of the OCPI objects, generated from the models (a test checks they are current).
schemas: $(STAMP)
	$(BIN)/python -m ocpi_hub.schemas schemas

lint: $(STAMP)
	$(BIN)/ruff check ocpi_hub conformance tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .ocpi-hub .pytest_cache

# A hub and four simulated parties (two CPOs, two eMSPs) for DEMO_SECONDS (default 30) seconds.
.PHONY: demo
demo: $(STAMP)
	bash scripts/demo.sh

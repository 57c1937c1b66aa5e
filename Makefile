# Doc Box: `make run` starts the suite on this machine; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVICES := $(wildcard services/*)
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make run` installs what running needs (the services and honcho); `make test` adds the test
# tools (each service's [test] extra, tests/requirements.txt) on top of it.
$(RUNTIME): $(BIN)/python shared/pyproject.toml $(addsuffix /pyproject.toml,$(SERVICES))
	@echo "Installing Doc Box into $(VENV) (log: $(VENV)/install.log) ..."
	@{ $(BIN)/pip install --upgrade pip && \
	   $(BIN)/pip install honcho -e shared $(foreach s,$(SERVICES),-e "$(s)"); \
	 } > $(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; exit 1; }
	@touch $(RUNTIME)

$(STAMP): $(RUNTIME) tests/requirements.txt
	@echo "Installing the test tools into $(VENV) (log: $(VENV)/install-test.log) ..."
	@$(BIN)/pip install -e shared $(foreach s,$(SERVICES),-e "$(s)[test]") -r tests/requirements.txt \
	   > $(VENV)/install-test.log 2>&1 || { tail -n 40 $(VENV)/install-test.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

run: $(RUNTIME)
	@bash scripts/run.sh

test: install
	@bash scripts/test-setup.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf var test-artifacts

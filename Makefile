# Doc Box: `make run` starts the suite on this machine; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVICES := $(wildcard services/*)
STAMP := $(VENV)/.installed

.PHONY: run test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python shared/pyproject.toml $(addsuffix /pyproject.toml,$(SERVICES)) tests/requirements.txt
	@echo "Installing Doc Box and its dependencies into $(VENV) (log: $(VENV)/install.log) ..."
	@{ $(BIN)/pip install --upgrade pip && \
	   $(BIN)/pip install honcho -e shared $(foreach s,$(SERVICES),-e "$(s)[test]") -r tests/requirements.txt; \
	 } > $(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

run: install
	@bash scripts/run.sh

test: install
	@bash scripts/test-setup.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf var test-artifacts

# Two commands: `make demo` and `make test`. Both install what is missing (Debian packages, .venv) and are
# idempotent: a second run skips what is done.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
DEB_PACKAGES := python3 tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-liberation2 chromium chromium-driver postgresql postgresql-contrib softhsm2
SOHOA_HOME ?= $(CURDIR)/sohoa-data
DEMO_SAMPLES := $(SOHOA_HOME)/samples
DEMO_DOSSIER := 000.00.00.H33-230607-0001
DEMO_AGENCY := 000.00.00.H33
PORT ?= 8000
export SOHOA_HOME

.PHONY: demo serve test test-fast lint deps venv bench clean

deps:
	@missing=""; for package in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/venv: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	@mkdir -p $(STAMPS) && touch $@

venv: $(STAMPS)/venv

demo: deps venv
	@$(BIN)/sohoa migrate  # a catalog left by an earlier version is brought up to this one (a new one is created)
	$(BIN)/sohoa samples $(DEMO_SAMPLES)
	$(BIN)/sohoa ingest $(DEMO_SAMPLES)/$(DEMO_DOSSIER) --agency $(DEMO_AGENCY)
	@echo; echo '$$ sohoa search "quyet dinh dat dai"'
	@$(BIN)/sohoa search "quyet dinh dat dai"
	@echo
	@echo "Giao diện web trên dữ liệu thử / the web UI on the demo data:  make serve   (rồi mở / then open http://127.0.0.1:$(PORT)/)"

# The web UI on the demo data: demo accounts (an admin, an archivist, a clerk of the demo agency) made once, each
# with a random password printed that once; then the server, until Ctrl+C.
serve: deps venv
	@test -f $(SOHOA_HOME)/catalog.db || $(MAKE) --no-print-directory demo
	@$(BIN)/sohoa migrate
	@for account in quantri:admin luutru:archivist vanthu:clerk; do \
	  name=$${account%%:*}; role=$${account##*:}; \
	  if ! $(BIN)/sohoa user list 2>/dev/null | grep -q "^$$name "; then \
	    password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	    out=$$(printf '%s\n' "$$password" | $(BIN)/sohoa user add $$name --role $$role --agency $(DEMO_AGENCY) --password-stdin 2>&1) || { echo "$$out"; exit 1; }; \
	    echo "Tài khoản thử / demo account: $$name ($$role)  mật khẩu / password: $$password  (chỉ hiện một lần / shown once)"; \
	  fi; \
	done
	@echo "Mở / open http://127.0.0.1:$(PORT)/   API: http://127.0.0.1:$(PORT)/api/docs   (Ctrl+C để dừng / to stop)"
	$(BIN)/sohoa serve --port $(PORT)

# The whole suite reads every page with the real Tesseract; lint and types first (seconds).
test: deps venv lint
	SOHOA_TESSERACT_CMD=tesseract $(BIN)/python -m pytest

# The developer's loop after each change: under a minute, Tesseract's recorded output replayed (tests/conftest.py).
test-fast: venv
	$(BIN)/python -m pytest -m "not slow" -q -n 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The benchmarks compare against OCRmyPDF too: it (and Ghostscript) are installed for them only.
bench: deps venv
	@dpkg-query -W -f='$${Status}' ghostscript 2>/dev/null | grep -q "install ok installed" || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ghostscript)
	@$(BIN)/python -c 'import ocrmypdf' 2>/dev/null || $(BIN)/python -m pip install -q "ocrmypdf>=16,<18"
	$(BIN)/python bench/orchestration.py
	$(BIN)/python bench/ocr_bench.py
	$(BIN)/python bench/memory_200_pages.py --pages 20 200

clean:
	rm -rf $(STAMPS) sohoa-data .pytest_cache

# publisher: `make all` sets up .venv and builds every article; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# The print PDF: poppler's tools (the tests read the PDF back) and the theme's fonts (Linux
# Libertine O / Biolinum O, embedded in every PDF). Installed only when missing and where apt-get
# can run as root; elsewhere the PDF falls back to DejaVu and the poppler tests skip.
PDF_DEBS := poppler-utils fontconfig fonts-linuxlibertine

.PHONY: all build test check bench clean distclean pdf-deps

all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

pdf-deps:
	@if ! { command -v pdffonts && fc-list -q 'Linux Libertine O'; } >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(PDF_DEBS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      -o DPkg::Lock::Timeout=300 --no-install-recommends $(PDF_DEBS) >/dev/null; \
	  else echo "note: install $(PDF_DEBS) for the print PDF's fonts and tests" >&2; fi; \
	fi

build: $(STAMP) pdf-deps
	$(BIN)/publish all

check: $(STAMP)
	$(BIN)/publish check

test: $(STAMP) pdf-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python tests/bench.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)

# publisher: `make all` sets up .venv and builds every article; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# System packages, installed only when missing and where apt-get can run as root; elsewhere
# the PDF falls back to DejaVu, the poppler tests skip, and the bench shows our figures alone.
# - the print PDF: poppler's tools (the tests read the PDF back), the theme's fonts (Linux
#   Libertine O / Biolinum O, embedded in every PDF), and HarfBuzz's subsetter, which makes
#   WeasyPrint's font subsetting several times faster (it falls back to fontTools without it);
# - the bench: pandoc, the baseline it measures against.
PDF_DEBS   := poppler-utils fontconfig fonts-linuxlibertine libharfbuzz-subset0
BENCH_DEBS := pandoc
DEBS_MISSING = $(shell for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)

define apt_install
	@missing="$(call DEBS_MISSING,$(1))"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      -o DPkg::Lock::Timeout=300 --no-install-recommends $$missing >/dev/null; \
	  else echo "note: install $$missing (Debian packages) for $(2)" >&2; fi; \
	fi
endef

.PHONY: all build test check bench clean distclean pdf-deps bench-deps

all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

pdf-deps:
	$(call apt_install,$(PDF_DEBS),the print PDF's fonts and tests)

bench-deps:
	$(call apt_install,$(BENCH_DEBS),the pandoc baseline)

build: $(STAMP) pdf-deps
	$(BIN)/publish all

check: $(STAMP)
	$(BIN)/publish check

test: $(STAMP) pdf-deps
	$(BIN)/python -m pytest

bench: $(STAMP) pdf-deps bench-deps
	$(BIN)/python tests/bench.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)

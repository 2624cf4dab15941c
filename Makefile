# publisher: `make all` sets up .venv and builds every article, every collection and the
# catalogue; `make test` runs the suite,
# `make test-fast` the part of it that takes seconds; `make lint` runs ruff and mypy.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# System packages, installed only when missing and where apt-get can run as root; elsewhere
# the PDF falls back to DejaVu, the poppler tests skip, and the bench shows our figures alone.
# - the print PDF: poppler's tools (the tests read the PDF back), the theme's fonts (Linux
#   Libertine O / Biolinum O, embedded in every PDF), and HarfBuzz's subsetter, which makes
#   WeasyPrint's font subsetting several times faster (it falls back to fontTools without it);
# - the bench: pandoc, the baseline it measures against;
# - the web page's browser tests: Debian's Chromium, driven by Playwright, with axe-core from
#   npm injected into the page (without Chromium those tests skip and say why), and the
#   Liberation fonts the web theme names after the system fonts; Ace by DAISY (npm's
#   @daisy/ace-cli) checks the EPUB on the same Chromium (puppeteer downloads no browser of its own).
PDF_DEBS     := poppler-utils fontconfig fonts-linuxlibertine libharfbuzz-subset0
BENCH_DEBS   := pandoc
BROWSER_DEBS := chromium fonts-liberation
# - the EPUB's conversion test: calibre's ebook-convert to AZW3, as Kindle tooling does
CALIBRE_DEBS := calibre
AXE          := tests/browser/node_modules/axe-core/axe.min.js
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

# The tests that `make test-fast` leaves out (markers declared in pyproject.toml).
FAST   := not slow and not browser and not java
# pytest exits 5 when no test was selected (a -k or -m that matches nothing): not a failure.
PYTEST  = $(BIN)/python -m pytest $(1) || [ $$? -eq 5 ]

.PHONY: all build test test-fast lint check bench clean distclean pdf-deps bench-deps \
        browser-deps calibre-deps bytecode

all: build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

# The editable install leaves publisher's own modules uncompiled, and where
# PYTHONDONTWRITEBYTECODE is set every run would compile them again; compileall writes only what
# changed.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q publisher

pdf-deps:
	$(call apt_install,$(PDF_DEBS),the print PDF's fonts and tests)

bench-deps:
	$(call apt_install,$(BENCH_DEBS),the pandoc baseline)

browser-deps: $(AXE)
	$(call apt_install,$(BROWSER_DEBS),the web page's browser tests)

calibre-deps:
	$(call apt_install,$(CALIBRE_DEBS),the EPUB's calibre conversion test)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent && \
	    touch node_modules/axe-core/axe.min.js; \
	else echo "note: install npm (Node.js) for axe-core, which the browser tests need" >&2; fi

# Every article, then every collection (collections/*.yaml, when there is one), then the
# catalogue of what was built (OUT/index.html, opds.xml, sitemap.xml).
build: $(STAMP) pdf-deps bytecode
	$(BIN)/publish all
	@if ls collections/*.yaml >/dev/null 2>&1; then $(BIN)/publish collection; fi
	$(BIN)/publish catalogue

check: $(STAMP)
	$(BIN)/publish check

test: $(STAMP) pdf-deps browser-deps calibre-deps
	$(call PYTEST,)

# No browser, no Java, no repeated PDF builds: for the edit loop.
test-fast: $(STAMP) pdf-deps
	$(call PYTEST,-m "$(FAST)")

# ruff on the package and the tests, mypy on the package (both configured in pyproject.toml);
# both run, and either failing fails the target.
lint: $(STAMP)
	@status=0; \
	$(BIN)/ruff check publisher tests || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: $(STAMP) pdf-deps bench-deps bytecode
	$(BIN)/python tests/bench.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) tests/browser/node_modules

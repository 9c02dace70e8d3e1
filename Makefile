# Steward — `make demo` shows it working, `make test` runs every test.
# Both install what is missing on a Debian machine first (as root), or print
# the exact command to run when they cannot.

SWIFT ?= swift
DEBIAN_PACKAGES := git pkg-config libyaml-dev libgit2-dev libsqlite3-dev
PYTHON_PACKAGES := jsonschema pyyaml

.PHONY: deps test crash-test demo bench build release clean

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Missing Debian packages. Run:"; echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@python3 -c 'import jsonschema, yaml' 2>/dev/null || { \
	  echo "Installing Python packages: $(PYTHON_PACKAGES)"; \
	  python3 -m pip install --quiet $(PYTHON_PACKAGES); }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# One test at a time: the suite starts real agents and git writers and
# measures time, and 2 cores shared with a 2-minute simulation make timings
# lie. It takes about 4 minutes once built.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

# The agent killed 100 times at random instants while it walks a canary
# (make test does 20); STEWARD_CRASH_SEED replays a run.
crash-test: deps
	$(SWIFT) build --build-tests
	STEWARD_CRASH_KILLS=100 $(SWIFT) test --skip-build --no-parallel --filter AgentCrashTests

demo: build
	@sh scripts/demo.sh

BENCH_REPO := .build/bench-repo

bench: deps
	@[ -d $(BENCH_REPO)/models ] || python3 scripts/generate_repo.py $(BENCH_REPO)
	$(SWIFT) package --disable-sandbox benchmark

clean:
	rm -rf .build

# Steward — `make demo` shows it working, `make test` runs every test.
# Both install what is missing on a Debian machine first (as root), or print
# the exact command to run when they cannot.

SWIFT ?= swift
DEBIAN_PACKAGES := git openssh-client gnupg gpgv pkg-config libyaml-dev libgit2-dev libsqlite3-dev chromium prometheus postgresql python3-venv
PYTHON_PACKAGES := jsonschema pyyaml

.PHONY: deps test crash-test fuzz demo bench build release clean deb deb-test

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES) $(EXTRA_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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

# A Debian package, dist/steward_VERSION_ARCH.deb, from a release build with
# the Swift runtime linked in: `apt install ./dist/steward_*.deb` on a host
# with nothing else (scripts/make_deb.sh says what is in it).
deb:
	@$(MAKE) --no-print-directory deps EXTRA_PACKAGES="libcurl4-openssl-dev binutils"
	$(SWIFT) build -c release --static-swift-stdlib --product steward
	scripts/make_deb.sh .build/release/steward dist

# Builds the package, installs it on this machine (as root), checks it and
# purges it again (scripts/test_deb.sh).
deb-test: deb
	scripts/test_deb.sh dist/steward_$$(.build/release/steward --version)_$$(dpkg --print-architecture).deb

# One test at a time: the suite starts real agents and git writers and
# measures time. Run in parallel on 2 cores it gains nothing (the
# simulations already use both: 111 s against 113 s for the pure targets)
# and starves the timed tests (seven failed, a fetch's give-up seen after
# 68 s instead of 5). About 9 minutes once built.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

# The agent killed 100 times at random instants while it walks a canary
# (make test does 20), and one of three replicas over PostgreSQL killed 50
# times (make test does 6); STEWARD_CRASH_SEED replays a run.
crash-test: deps
	$(SWIFT) build --build-tests
	STEWARD_CRASH_KILLS=100 STEWARD_CRASH_REPLICA_KILLS=50 $(SWIFT) test --skip-build --no-parallel --filter AgentCrashTests

# libFuzzer on each reader of outside input, FUZZ_SECONDS each (default 60),
# in a build directory of its own with AddressSanitizer. Seeds come from
# examples/ and Tests/Fixtures/fuzz/; anything found lands in
# .build/fuzz/findings/TARGET (copy it into Tests/Fixtures/fuzz/TARGET: make
# test replays that folder). SwiftPM also builds the benchmark plugin's tool
# with these flags and gold fails to link it: harmless, the build goes on.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := yaml routing series status scenario outcomes webhook agentstatus
fuzz: deps
	$(SWIFT) build --scratch-path .build/fuzz --product steward-fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
	@for t in $(FUZZ_TARGETS); do \
	  corpus=.build/fuzz/corpus/$$t; findings=.build/fuzz/findings/$$t; mkdir -p $$corpus $$findings; \
	  case $$t in \
	    yaml) cp examples/quickstart/*/*.yaml examples/invalid/*/*.yaml $$corpus/ 2>/dev/null ;; \
	    routing) cp examples/gateway/*.json $$corpus/ ;; \
	    series) for f in examples/simulations/*.csv; do head -n 40 $$f > $$corpus/$$(basename $$f); done ;; \
	    status) cp Tests/Fixtures/fuzz/status/* $$corpus/ 2>/dev/null ;; \
	    scenario) cp examples/simulations/scenarios/00*.yaml $$corpus/ ;; \
	  esac; \
	  cp Tests/Fixtures/fuzz/$$t/* $$corpus/ 2>/dev/null; \
	  echo "== $$t, $(FUZZ_SECONDS) s"; \
	  STEWARD_FUZZ_TARGET=$$t .build/fuzz/debug/steward-fuzz $$corpus -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$$findings/ 2>&1 \
	    | grep -E "stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY|Test unit written" || true; \
	done; \
	found=$$(find .build/fuzz/findings -type f | wc -l); echo "findings: $$found (in .build/fuzz/findings)"; [ $$found = 0 ]

demo: build
	@sh scripts/demo.sh

BENCH_REPO := .build/bench-repo

bench: deps
	@[ -d $(BENCH_REPO)/models ] || python3 scripts/generate_repo.py $(BENCH_REPO)
	$(SWIFT) package --disable-sandbox benchmark

clean:
	rm -rf .build

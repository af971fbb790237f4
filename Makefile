# AIA Nano-Personalization: the two commands are `make run` and `make test` (see README.md).
BUILD ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
JOBS ?= $(shell nproc)
BUILD_TYPE ?= Release

.PHONY: deps configure build run test test-asan bench fuzz fuzz-ci clean

deps:
	./deploy/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DAIA_BUILD_BENCH=OFF

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# A node on 127.0.0.1:8000 with the embedded store in ./data (development mode).
run: build
	AIA_DEV=1 $(BUILD)/bin/aia-node --config config/aia-node.conf

# Every test through ctest, then each fuzz harness for 30 s (fuzz-ci); exits non-zero on any
# failure or crash.
test: build
	cd $(BUILD) && ctest --output-on-failure -j2 --timeout 300
	$(MAKE) fuzz-ci

# The same tests in a Debug build under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAIA_SANITIZE=ON -DAIA_BUILD_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2 --timeout 600

# Load generator vs the node and a bare Beast echo server; figures in bench/README.md.
bench: deps
	BUILD_DIR=$(BENCH_BUILD) bench/run.sh
	BUILD_DIR=$(BENCH_BUILD) BENCH_NO_BUILD=1 bench/run_cluster.sh

# libFuzzer harnesses (clang, ASan + UBSan) in $(FUZZ_BUILD): replays tests/fuzz/regressions, then
# fuzzes each harness FUZZ_SECONDS on a copy of its seeds; fails on any crash (tests/fuzz/README.md).
fuzz:
	./deploy/install-deps.sh --fuzz
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) tests/fuzz/run.sh

# The same, 30 s per harness.
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=30

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD) $(FUZZ_BUILD)

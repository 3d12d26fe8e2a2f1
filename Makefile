# The commands people type. `make run` and `make test` work on a fresh Debian 12 machine:
# both install what is missing first (the `deps` target).

BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Debug

.PHONY: deps build run test test-faults test-sanitize fuzz bench fmt format-check lint lint-changed docs go-toolchain template-goldens template-corpus clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

deps:  ## install the Debian packages (idempotent, quiet when present)
	@scripts/deps.sh

build: deps  ## configure and build into build/ (binary: build/gotrue)
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build  ## PostgreSQL + mail inbox + migrations + gotrue in the foreground (Ctrl-C stops)
	@scripts/run_dev.sh

test: build  ## unit and integration tests against real PostgreSQL and SMTP (ends with CTest's summary)
	@scripts/test.sh $(BUILD)

test-faults: build  ## the full-size fault tests (crash, relay outage, instances, slow relay) against real processes
	@GOTRUE_TEST_FAULTS=1 scripts/test.sh $(BUILD) --verbose

test-sanitize: deps  ## the same tests under ASan+UBSan, then under TSan
	@cmake -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug "-DGOTRUE_SANITIZE=address;undefined" >/dev/null
	@cmake --build $(BUILD)/asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1 scripts/test.sh $(BUILD)/asan
	@cmake -S . -B $(BUILD)/tsan -DCMAKE_BUILD_TYPE=Debug -DGOTRUE_SANITIZE=thread >/dev/null
	@cmake --build $(BUILD)/tsan -j $(JOBS)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/sanitizers/tsan.supp" scripts/test.sh $(BUILD)/tsan

fuzz: deps  ## libFuzzer targets (clang, ASan+UBSan) in build/fuzz, FUZZ_SECONDS=60 each (fuzz/README.md)
	@FUZZ_BUILD=$(BUILD)/fuzz scripts/fuzz.sh

bench: deps  ## release build, then the side-by-side benchmarks of bench/
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)/release -j $(JOBS)
	@bench/run.sh $(BUILD)/release

fmt:  ## clang-format every C++ file in place
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check: deps  ## fail when a C++ file is not formatted
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@echo "format-check: clean"

lint: build  ## clang-tidy on every C++ file, findings are errors (CPU-heavy; LINT_BASE=<rev>: changed files only)
	@LINT_BASE=$(LINT_BASE) scripts/lint.sh $(BUILD) $(if $(LINT_BASE),--changed)

lint-changed: build  ## clang-tidy on the .cpp files changed since the merge base with origin/main or main
	@LINT_BASE=$(LINT_BASE) scripts/lint.sh $(BUILD) --changed

docs: build  ## regenerate the README's configuration table from the code
	@$(BUILD)/gotrue config-docs > $(BUILD)/configuration.md
	@scripts/update_readme_table.sh $(BUILD)/configuration.md

# Go runs the oracle of the template targets only; `make test` does not need it.
go-toolchain:
	@command -v go >/dev/null 2>&1 || { echo "installing golang-go"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq --no-install-recommends golang-go >/dev/null; }

template-goldens: go-toolchain  ## write cases/random.json (seeded) and render tests/template_goldens/cases with Go's html/template into golden/ (installs golang-go; not part of deps)
	@cd tests/template_goldens/gen && go run ./random .. && go run . ..

template-corpus: build go-toolchain  ## render the real-world templates (GOTRUE_TEMPLATE_CORPUS, default ../shared/template-corpus) with Go and with ours, count the differences
	@scripts/template_corpus.sh $(BUILD)

clean:  ## remove build outputs (not .local/, which holds the dev database)
	rm -rf $(BUILD)

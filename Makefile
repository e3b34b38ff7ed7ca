# toolprof - a performance profiler for the tool calls of AI coding agents.
#
#   make              build build/toolprof (installs npm assets if missing)
#   make run          install system packages if missing, build, serve the dashboard on real data
#   make test         install what tests need, build, run every suite (tests/run_all.sh: unit,
#                     fuzz corpora, integration, clone, reliability, browser, e2e, asan,
#                     leaks, meta);
#                     a skip not listed in tests/allowed-skips.txt fails it
#   make unit         unit tests only           make asan       unit, fuzz corpora, integration,
#                                                               reliability, e2e under ASan/UBSan
#   make meta         deliberate faults (scratch copies) that the suites must catch
#   make integration  server/CLI tests          make browser    dashboard in headless Chromium
#   make e2e          the real Claude Code, Codex CLI and Gemini CLI clients against toolprof
#   make fuzz         libFuzzer runs (clang)    make stress     long reliability runs
#   make bench        benchmarks (see bench/README.md)
#   make test-team    the team suite: a real ClickHouse against a SQLite team server (not in
#                     make test yet: docs/team.md says why)
#   make bench-team   the team server on ClickHouse (bench/team.sh; 20M calls, hours on 2 cores)
#   make fixtures     record tests/data/recorded again with the real Claude Code client
#   make test-samples SAMPLES=DIR   the optional checks over a directory of public samples
#   make format-check / make format             make install PREFIX=/usr/local
#
# Libraries: SQLite and zlib are linked statically, cJSON dynamically, and
# libmicrohttpd (and libnghttp2, for `serve --otlp-grpc`) are loaded with
# dlopen() by `toolprof serve` only: the hook runs once per tool call in the
# agent's critical path, and loading libmicrohttpd's TLS dependencies costs
# more than the whole hook (docs/architecture.md, "Process start"). libcurl
# (the ClickHouse store, push) is loaded the same way, by the commands that
# need it. Their headers come from pkg-config; nothing links them.

CC       ?= gcc
PREFIX   ?= /usr/local
BUILD    ?= build
OPT      ?= -O2
SAN      ?=
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-format-nonliteral
CPPFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags libcjson libmicrohttpd libnghttp2 sqlite3 libcurl)
LDLIBS   := -Wl,-Bstatic $(shell pkg-config --libs sqlite3 zlib) -Wl,-Bdynamic \
            $(shell pkg-config --libs libcjson) -lm -ldl -lpthread
ALL_CFLAGS = $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN)

# The modules, in the order data flows through them.
MODULE_DIRS := src/core src/store src/engine src/ingest src/server src/cli
LIB_SRC  := $(filter-out src/cli/main.c,$(foreach d,$(MODULE_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# Web assets: our files in web/, third-party dist files from npm.
WEB_OWN  := $(wildcard web/*.html web/*.js web/*.css web/*.svg)
NPM_STAMP := web/node_modules/.toolprof-stamp
WEB_DIST := web/node_modules/chart.js/dist/chart.umd.js \
            web/node_modules/bootstrap/dist/css/bootstrap.min.css \
            web/node_modules/chart.js/LICENSE.md \
            web/node_modules/bootstrap/LICENSE

.PHONY: all run test test-team unit asan meta integration browser e2e fuzz stress bench bench-team format format-check \
        install clean deps deps-test print-cflags print-ldlibs fixtures test-samples
.DEFAULT_GOAL := all

all: $(BUILD)/toolprof

$(BUILD)/toolprof: $(BUILD)/obj/cli/main.o $(BUILD)/obj/gen/assets.o $(BUILD)/libtoolprof.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/libtoolprof.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

# `make V=1` shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The asset generator is a host tool, built without sanitizers.
$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -Wl,-Bstatic -lz -Wl,-Bdynamic

$(NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/gen/assets.c: $(BUILD)/embed $(WEB_OWN) $(NPM_STAMP)
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(foreach f,$(WEB_OWN),/$(notdir $(f))=$(f)) \
	  /vendor/chart.umd.js=web/node_modules/chart.js/dist/chart.umd.js \
	  /vendor/bootstrap.min.css=web/node_modules/bootstrap/dist/css/bootstrap.min.css \
	  /licenses/chart.js.txt=web/node_modules/chart.js/LICENSE.md \
	  /licenses/bootstrap.txt=web/node_modules/bootstrap/LICENSE

$(BUILD)/obj/gen/assets.o: $(BUILD)/gen/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# ---- tests ---------------------------------------------------------------

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtoolprof.a tests/unit/harness.h tests/unit/fixture.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libtoolprof.a $(LDLIBS)

# Tests that include a header of tests/fuzz/ (the checks both run).
$(BUILD)/tests/test_extract: tests/fuzz/extractcheck.h
# test_jfield includes core/jfield.c; test_jfield_swar includes test_jfield.c.
$(BUILD)/tests/test_jfield: src/core/jfield.c
$(BUILD)/tests/test_jfield_swar: tests/unit/test_jfield.c src/core/jfield.c

unit: $(UNIT_BIN)
	@tests/run_unit.sh $(UNIT_BIN)

# Optional, outside `make test`: the checks over public samples of unknown
# licence, which the repository does not hold (tests/samples/README.md).
# test_samples.c: Claude Code's; test_agent_samples.c: the other agents'.
SAMPLES_BIN := $(patsubst tests/samples/%.c,$(BUILD)/tests/samples/%,$(wildcard tests/samples/test_*.c))

$(BUILD)/tests/samples/%: tests/samples/%.c tests/samples/samples.h $(BUILD)/libtoolprof.a \
                          tests/unit/harness.h tests/unit/fixture.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libtoolprof.a $(LDLIBS)

test-samples: $(SAMPLES_BIN)
	@if [ -z "$(SAMPLES)" ]; then \
	  echo "make test-samples: say where the samples are: make test-samples SAMPLES=DIR" >&2; exit 2; fi
	@if [ ! -d "$(SAMPLES)" ]; then echo "make test-samples: $(SAMPLES) is not a directory" >&2; exit 2; fi
	TOOLPROF_SAMPLES="$(SAMPLES)" tests/run_unit.sh $(SAMPLES_BIN)

deps:
	@tests/deps.sh run

deps-test:
	@tests/deps.sh test

test: deps-test
	$(MAKE) all
	$(MAKE) format-check
	tests/run_all.sh

asan:
	tests/run_asan.sh

meta: all
	tests/meta/run.sh

integration: all
	tests/run_integration.sh

browser: all
	tests/browser/run.sh

e2e: all
	tests/e2e/run.sh

fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

stress: all
	tests/stress/run.sh

bench: all
	bench/run.sh

# The team suite (tests/team): a real ClickHouse; not in make test yet.
test-team: deps-test all
	tests/run_all.sh team

# The team server on ClickHouse (bench/team.sh): not part of bench or test.
bench-team: all
	bench/team.sh

# The recorded test data (tests/data/MANIFEST.md); not part of `make test`.
fixtures:
	tests/e2e/record.sh

run: deps
	$(MAKE) all
	$(BUILD)/toolprof serve $(ARGS)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format-check:
	@out=$$(clang-format --dry-run $(FORMAT_FILES) 2>&1); \
	if [ -n "$$out" ]; then echo "$$out" | head -40; echo "format-check: run 'make format'"; exit 1; fi; \
	echo "format-check: ok"

format:
	clang-format -i $(FORMAT_FILES)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/toolprof $(DESTDIR)$(PREFIX)/bin/toolprof

# For scripts that build extra programs against the library.
print-cflags:
	@echo $(ALL_CFLAGS)
print-ldlibs:
	@echo $(LDLIBS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

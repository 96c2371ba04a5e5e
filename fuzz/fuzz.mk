# fuzz/fuzz.mk -- fuzz harness builds, included by the GNUmakefile.
#
#   make fuzz-replay-build  ASan/UBSan replay programs (gcc, no engine)
#                           -> build/asan/fuzz-replay/fuzz_NAME_replay, and
#                           build/asan/fuzz-replay-scalar/ without SIMD
#                           (run by "make test" through fuzz/replay.sh)
#   make fuzz               libFuzzer harnesses (clang)  -> build/fuzz/fuzz_NAME
#   make afl                AFL++ harnesses              -> build/afl/fuzz_NAME
#                           (+ fuzz_NAME.cmplog for afl-fuzz -c)
#   make fuzz-smoke         run each libFuzzer harness FUZZ_SECONDS (60) on a
#                           copy of its seeds; crashes -> build/fuzz/crashes/
#   make fuzz-coverage      llvm-cov report of the library over the corpora
#
# Uses BASE_CFLAGS, SAN_CFLAGS, WARN, LIB_SRC and PKG_LIBS from the
# GNUmakefile. Each engine compiles the library itself, into its own object
# directory: objects are never shared between gcc and clang builds, or
# between instrumentations.

FUZZ_NAMES     := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS   ?= 60
FUZZ_MAX_LEN   ?= 8192
FUZZ_CC        ?= clang
FUZZ_DICT      := corpus/sip.dict

# Warnings as in the main build, minus -Werror: clang warns about other
# things than gcc, and that must not stop a fuzzing build.
FUZZ_CFLAGS    := -std=c17 -D_GNU_SOURCE $(filter-out -Werror,$(WARN)) -Ilib \
                  -O1 -g -fno-omit-frame-pointer
FUZZ_SAN       := address,undefined
FUZZ_SAN_FLAGS := -fno-sanitize-recover=undefined

.PHONY: fuzz-replay-build fuzz afl fuzz-smoke fuzz-coverage

# ---- replay programs: the sanitizer build, for make test --------------------

FUZZ_REPLAY_DIR  := build/asan/fuzz-replay
FUZZ_REPLAY_BINS := $(patsubst %,$(FUZZ_REPLAY_DIR)/%_replay,$(FUZZ_NAMES))

# The same over the scalar twins of the SSE2 scans (-DSIPHON_NO_SIMD), with
# their own library objects: fuzz/replay.sh runs DIR-scalar beside DIR.
FUZZ_SCALAR_DIR  := build/asan/fuzz-replay-scalar
FUZZ_SCALAR_BINS := $(patsubst %,$(FUZZ_SCALAR_DIR)/%_replay,$(FUZZ_NAMES))

fuzz-replay-build: $(FUZZ_REPLAY_BINS) $(FUZZ_SCALAR_BINS)

$(FUZZ_REPLAY_DIR)/obj/%.o: fuzz/%.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_REPLAY_BINS): $(FUZZ_REPLAY_DIR)/%_replay: $(FUZZ_REPLAY_DIR)/obj/%.o \
                     $(FUZZ_REPLAY_DIR)/obj/replay_main.o build/asan/lib/libsiphon.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(LIB_LIBS)

$(FUZZ_SCALAR_DIR)/obj/%.o: %.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) -DSIPHON_NO_SIMD -MMD -MP -c $< -o $@

$(FUZZ_SCALAR_BINS): $(FUZZ_SCALAR_DIR)/%_replay: $(FUZZ_SCALAR_DIR)/obj/fuzz/%.o \
                     $(FUZZ_SCALAR_DIR)/obj/fuzz/replay_main.o \
                     $(patsubst %.c,$(FUZZ_SCALAR_DIR)/obj/%.o,$(LIB_SRC))
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(LIB_LIBS)

# ---- libFuzzer ---------------------------------------------------------------

FUZZ_DIR      := build/fuzz
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/%,$(FUZZ_NAMES))
FUZZ_LIB_OBJ  := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC))

fuzz: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c | deps-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(FUZZ_SAN_FLAGS) \
	    -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) $(FUZZ_SAN_FLAGS) -o $@ $^ $(PKG_LIBS) $(LIB_LIBS)

fuzz-smoke: fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_MAX_LEN=$(FUZZ_MAX_LEN) \
	    bash fuzz/smoke.sh $(FUZZ_NAMES)

# ---- AFL++ -------------------------------------------------------------------
#
# afl-clang-lto when installed (better instrumentation), else
# afl-clang-fast. The harnesses define LLVMFuzzerTestOneInput; AFL++'s
# libAFLDriver.a supplies main(). Without it, afl-clang-fast's own
# -fsanitize=fuzzer support does the same. AFL_SAN=1 adds ASan+UBSan
# (slower; "make clean" or remove build/afl when switching).

AFL_CC      ?= $(shell command -v afl-clang-lto >/dev/null 2>&1 && echo afl-clang-lto || echo afl-clang-fast)
AFL_DRIVER  ?= $(shell dpkg -L afl++ 2>/dev/null | grep -m1 '/libAFLDriver\.a$$')
AFL_SAN     ?= 0
AFL_ENV      = AFL_QUIET=1 $(if $(filter 1,$(AFL_SAN)),AFL_USE_ASAN=1 AFL_USE_UBSAN=1)
AFL_ENGINE   = $(if $(AFL_DRIVER),$(AFL_DRIVER),-fsanitize=fuzzer)
AFL_CFLAGS  := -std=c17 -D_GNU_SOURCE -Ilib -O2 -g -w

AFL_DIR     := build/afl
AFL_BINS    := $(patsubst %,$(AFL_DIR)/%,$(FUZZ_NAMES))
AFL_CMPLOG  := $(patsubst %,$(AFL_DIR)/%.cmplog,$(FUZZ_NAMES))

afl: $(AFL_BINS) $(AFL_CMPLOG)

$(AFL_DIR)/obj/%.o: %.c | deps-check
	@mkdir -p $(dir $@)
	$(AFL_ENV) $(AFL_CC) $(AFL_CFLAGS) -MMD -MP -c $< -o $@

$(AFL_DIR)/obj-cmplog/%.o: %.c | deps-check
	@mkdir -p $(dir $@)
	$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(AFL_CFLAGS) -MMD -MP -c $< -o $@

$(AFL_BINS): $(AFL_DIR)/%: $(AFL_DIR)/obj/fuzz/%.o \
             $(patsubst %.c,$(AFL_DIR)/obj/%.o,$(LIB_SRC))
	$(AFL_ENV) $(AFL_CC) $(AFL_CFLAGS) -o $@ $^ $(AFL_ENGINE) $(PKG_LIBS) $(LIB_LIBS)

$(AFL_CMPLOG): $(AFL_DIR)/%.cmplog: $(AFL_DIR)/obj-cmplog/fuzz/%.o \
               $(patsubst %.c,$(AFL_DIR)/obj-cmplog/%.o,$(LIB_SRC))
	$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(AFL_CFLAGS) -o $@ $^ $(AFL_ENGINE) $(PKG_LIBS) $(LIB_LIBS)

# ---- coverage (clang source-based) -------------------------------------------
#
# The replay driver built with -fprofile-instr-generate runs the seeds, the
# regression inputs and whatever fuzz-smoke left in build/fuzz/work/NAME;
# llvm-profdata-14 merges, llvm-cov-14 reports on lib/ (text summary, and
# HTML in build/fuzz-cov/html/).

COV_DIR   := build/fuzz-cov
COV_BINS  := $(patsubst %,$(COV_DIR)/%_replay,$(FUZZ_NAMES))
COV_FLAGS := -fprofile-instr-generate -fcoverage-mapping

$(COV_DIR)/obj/%.o: %.c | deps-check
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(COV_FLAGS) -MMD -MP -c $< -o $@

$(COV_BINS): $(COV_DIR)/%_replay: $(COV_DIR)/obj/fuzz/%.o $(COV_DIR)/obj/fuzz/replay_main.o \
             $(patsubst %.c,$(COV_DIR)/obj/%.o,$(LIB_SRC))
	$(FUZZ_CC) $(COV_FLAGS) -o $@ $^ $(PKG_LIBS) $(LIB_LIBS)

fuzz-coverage: $(COV_BINS)
	@bash fuzz/coverage.sh $(COV_DIR) $(FUZZ_NAMES)

-include $(wildcard $(FUZZ_REPLAY_DIR)/obj/*.d $(FUZZ_SCALAR_DIR)/obj/*/*.d \
                    $(FUZZ_SCALAR_DIR)/obj/*/*/*.d $(FUZZ_DIR)/obj/*/*.d \
                    $(FUZZ_DIR)/obj/*/*/*.d $(AFL_DIR)/obj*/*/*.d \
                    $(AFL_DIR)/obj*/*/*/*.d $(COV_DIR)/obj/*/*.d $(COV_DIR)/obj/*/*/*.d)

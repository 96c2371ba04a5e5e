# bench/bench.mk -- parser benchmark (included by the GNUmakefile).
#
#   make bench         build, generate the corpus once, time every parser
#                      (median of BENCH_ROUNDS interleaved rounds), count
#                      allocations and callgrind instructions per message,
#                      print one combined table; exit 1 on a checksum mismatch
#   make bench-build   only build build/bench/*
#
# Knobs: BENCH_ROUNDS (9), BENCH_CG_COUNT (messages under callgrind; all),
# BENCH_SIPHON=0 (peers only, while libsiphon cannot be linked).
# See bench/README.md.

BENCH_DIR      := build/bench
BENCH_ROUNDS   ?= 9
BENCH_CG_COUNT ?=
BENCH_SIPHON   ?= 1

# Recursively expanded, so pkg-config only runs when a bench rule does.
bench_pc_ver   = '"$(shell pkg-config --modversion $(1) 2>/dev/null)"'
BENCH_CFLAGS   = $(BASE_CFLAGS) $(OPT_CFLAGS) -Ibench -MMD -MP
BENCH_OSIP_CFLAGS  = $(shell pkg-config --cflags libosip2) \
                     -DBENCH_OSIP_VERSION=$(call bench_pc_ver,libosip2)
BENCH_SOFIA_CFLAGS = $(shell pkg-config --cflags sofia-sip-ua) \
                     -DBENCH_SOFIA_VERSION=$(call bench_pc_ver,sofia-sip-ua)
# libre's headers test HAVE_* macros that its own build defines.
BENCH_RE_CFLAGS    = $(shell pkg-config --cflags libre) -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H \
                     -DBENCH_RE_VERSION=$(call bench_pc_ver,libre)
BENCH_PEER_LIBS    = $(shell pkg-config --libs libosip2 sofia-sip-ua libre)

BENCH_OBJS := $(addprefix $(BENCH_DIR)/obj/,bench_parse.o parse_floor.o parse_osip.o \
                parse_sofia.o parse_re.o)
ifeq ($(BENCH_SIPHON),1)
BENCH_OBJS     += $(BENCH_DIR)/obj/parse_siphon.o
BENCH_SIPHON_A := build/lib/libsiphon.a
BENCH_DEFS     := -DBENCH_WITH_SIPHON
else
BENCH_SIPHON_A :=
BENCH_DEFS     :=
endif

$(BENCH_DIR)/obj/parse_osip.o:   BENCH_EXTRA = $(BENCH_OSIP_CFLAGS)
$(BENCH_DIR)/obj/parse_sofia.o:  BENCH_EXTRA = $(BENCH_SOFIA_CFLAGS)
$(BENCH_DIR)/obj/parse_re.o:     BENCH_EXTRA = $(BENCH_RE_CFLAGS)
$(BENCH_DIR)/obj/parse_siphon.o: BENCH_EXTRA = -DBENCH_SIPHON_VERSION='"$(VERSION)"'

$(BENCH_DIR)/obj/%.o: bench/%.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_DEFS) $(BENCH_EXTRA) -c $< -o $@

# The flag set is part of what an object depends on (BENCH_SIPHON=0 vs 1).
$(BENCH_DIR)/obj/bench_parse.o: $(BENCH_DIR)/obj/.flags-$(BENCH_SIPHON)
$(BENCH_DIR)/obj/.flags-$(BENCH_SIPHON):
	@mkdir -p $(dir $@)
	@rm -f $(BENCH_DIR)/obj/.flags-* && touch $@

$(BENCH_DIR)/bench_parse: $(BENCH_OBJS) $(BENCH_SIPHON_A)
	$(CC) $(OPT_CFLAGS) -o $@ $(BENCH_OBJS) $(BENCH_SIPHON_A) $(BENCH_PEER_LIBS) \
	    $(PKG_LIBS) -ldl $(LIB_LIBS)

# Server transaction throughput and memory per live transaction ([2/8]).
$(BENCH_DIR)/bench_txn: bench/bench_txn.c build/lib/libsiphon.a | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -o $@ $< build/lib/libsiphon.a $(LIB_LIBS)

$(BENCH_DIR)/gen_corpus: $(BENCH_DIR)/obj/gen_corpus.o
	$(CC) $(OPT_CFLAGS) -o $@ $^

$(BENCH_DIR)/alloc_count.so: bench/alloc_count.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -shared -o $@ $<

# Generated once; regenerated only when the generator changes.
$(BENCH_DIR)/corpus.bin: $(BENCH_DIR)/gen_corpus
	$(BENCH_DIR)/gen_corpus $@ $(BENCH_DIR)/corpus.expect

-include $(wildcard $(BENCH_DIR)/obj/*.d)

.PHONY: bench bench-build
bench-build: $(BENCH_DIR)/bench_parse $(BENCH_DIR)/gen_corpus $(BENCH_DIR)/alloc_count.so \
             $(BENCH_DIR)/bench_txn

bench: deps
	@$(MAKE) --no-print-directory bench-build $(BENCH_DIR)/corpus.bin
	@set -u; d=$(BENCH_DIR); st=0; \
	rm -f $$d/timing.tsv $$d/allocs.tsv $$d/instr.tsv; \
	echo "== timing: $$d/bench_parse --rounds $(BENCH_ROUNDS)"; \
	$$d/bench_parse --corpus $$d/corpus.bin --rounds $(BENCH_ROUNDS) \
	    --tsv $$d/timing.tsv || st=1; \
	echo "== allocations per message (LD_PRELOAD=$$d/alloc_count.so)"; \
	LD_PRELOAD=$(abspath $(BENCH_DIR))/alloc_count.so $$d/bench_parse \
	    --corpus $$d/corpus.bin --allocs --tsv $$d/allocs.tsv >/dev/null || st=1; \
	echo "== instructions per message (callgrind)"; \
	bash bench/callgrind.sh $$d/bench_parse $$d/corpus.bin $$d/instr.tsv \
	    $(BENCH_CG_COUNT) || st=1; \
	echo; bash bench/report.sh $$d || st=1; \
	echo; echo "== server transactions: $$d/bench_txn"; \
	$$d/bench_txn --count 200000 --rounds 5 || st=1; \
	exit $$st

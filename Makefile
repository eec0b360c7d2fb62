# SPDX-License-Identifier: ISC
# postdesk: GNU make.  `make`, `make check`, `make bench`, `make demo`,
# `make install` (PREFIX, DESTDIR), `make clean`, `make fuzz` (clang).
# SAN=1 builds everything with ASan+UBSan into build-san/.

VERSION	= 0.1.0
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/postdesk
SYSCONFDIR ?= /etc/postdesk
PKG_CONFIG ?= pkg-config

CC	?= cc
CFLAGS	?= -O2 -g
WERROR	?= -Werror
comma	:= ,

ifeq ($(SAN),1)
BUILD	?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
else
BUILD	?= build
SANFLAGS =
endif

# Libraries: the lean delivery binary links LEAN_PKGS only; the full
# binary adds NET_PKGS (libetpan, GnuTLS).
LEAN_PKGS = gmime-3.0 sqlite3 libxml-2.0 uchardet
FULL_PKGS = $(LEAN_PKGS) jansson
NET_PKGS  = libetpan gnutls

# Debian's libetpan.pc carries -specs=no-pie-link.specs and -z now: the
# first makes binaries non-PIE (they read hostile input), both break
# clang links.  Filter them out.
define pkg_libs
$(filter-out -specs=% -Wl$(comma)-z$(comma)now,$(shell $(PKG_CONFIG) --libs $(1)))
endef

UNAME_S := $(shell uname -s)
ifneq ($(UNAME_S),Linux)
ICONV_LIBS = -liconv
endif

DEFS	 = -DPOSTDESK_VERSION='"$(VERSION)"' \
	   -DPOSTDESK_DATADIR='"$(DATADIR)"' \
	   -DPOSTDESK_SYSCONFDIR='"$(SYSCONFDIR)"' \
	   -DPOSTDESK_UCHARDET_VERSION='"$(shell $(PKG_CONFIG) --modversion uchardet)"'
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Iinclude \
	   $(DEFS) $(SANFLAGS) $(CFLAGS)
ALL_CFLAGS = $(BASE_CFLAGS) \
	   $(shell $(PKG_CONFIG) --cflags $(FULL_PKGS) $(NET_PKGS))
LEAN_LIBS = $(call pkg_libs,$(LEAN_PKGS)) $(ICONV_LIBS) $(SANFLAGS)
FULL_LIBS = $(call pkg_libs,$(FULL_PKGS) $(NET_PKGS)) $(ICONV_LIBS) $(SANFLAGS)

# Modules.  NET_SRCS need libetpan/GnuTLS; CLI_SRCS need jansson; the
# rest (CORE) goes into both binaries.
MAIN_SRCS = src/main.c src/deliver-main.c
NET_SRCS  = $(wildcard src/net-*.c src/smtp*.c src/tls*.c src/imap*.c \
	    src/fetch*.c)
CLI_SRCS  = $(wildcard src/cli-*.c) src/jout.c
CORE_SRCS = $(filter-out $(MAIN_SRCS) $(NET_SRCS) $(CLI_SRCS), \
	    $(wildcard src/*.c))

CORE_OBJS = $(CORE_SRCS:src/%.c=$(BUILD)/%.o)
NET_OBJS  = $(NET_SRCS:src/%.c=$(BUILD)/%.o)
CLI_OBJS  = $(CLI_SRCS:src/%.c=$(BUILD)/%.o)

UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

PROGS	= $(BUILD)/postdesk $(BUILD)/postdesk-deliver

.PHONY: all check unit bench demo install clean fuzz fuzz-check deps
all: $(PROGS)

# V=1 shows the commands.
Q	= $(if $(filter 1,$(V)),,@)
$(BUILD)/%.o: src/%.c $(wildcard include/*.h src/*.h) Makefile | $(BUILD)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)/tests

$(BUILD)/postdesk: $(BUILD)/main.o $(CORE_OBJS) $(CLI_OBJS) $(NET_OBJS)
	$(CC) -o $@ $^ $(FULL_LIBS)

$(BUILD)/postdesk-deliver: $(BUILD)/deliver-main.o $(CORE_OBJS)
	$(CC) -o $@ $^ $(LEAN_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(CORE_OBJS) $(CLI_OBJS) | $(BUILD)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_OBJS) $(CLI_OBJS) \
	    $(FULL_LIBS)

# Helper programs the shell tests run (tests/unit/*.c that are not
# test-*.c), built like the unit tests.
TEST_HELPERS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%, \
	    $(filter-out tests/unit/test-%.c,$(wildcard tests/unit/*.c)))

# postdesk-deliver with the fault hooks of ingest.c
# (POSTDESK_TEST_PARSE_FAULT=crash|hang|oom): test builds only.
HOOKS_BIN = $(BUILD)/tests/postdesk-deliver-hooks
$(BUILD)/tests/ingest-hooks.o: src/ingest.c $(wildcard include/*.h src/*.h) \
	    Makefile | $(BUILD)
	$(Q)$(CC) $(ALL_CFLAGS) -DPOSTDESK_TEST_HOOKS -c -o $@ $<
$(HOOKS_BIN): $(BUILD)/deliver-main.o $(BUILD)/tests/ingest-hooks.o \
	    $(filter-out $(BUILD)/ingest.o,$(CORE_OBJS))
	$(Q)$(CC) -o $@ $^ $(LEAN_LIBS)

unit: $(UNIT_BINS) $(TEST_HELPERS) $(HOOKS_BIN)

# check and demo first install the Debian packages they need
# (contrib/install-deps.sh); DEPS=yes also installs the test servers.
check: deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) SAN=$(SAN) DEPS=$(DEPS) CC="$(CC)" \
	    sh tests/run.sh

deps:
	@DEPS=$(DEPS) sh contrib/install-deps.sh

$(BUILD)/parse-bench: bench/parse-bench.c $(CORE_OBJS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_OBJS) $(LEAN_LIBS)

$(BUILD)/sieve-bench: bench/sieve-bench.c $(CORE_OBJS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_OBJS) $(LEAN_LIBS)

bench: all $(BUILD)/parse-bench $(BUILD)/sieve-bench
	@BUILD=$(BUILD) sh bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh contrib/demo.sh

# Fuzzing (clang, libFuzzer): each tests/fuzz/fuzz-NAME.c becomes
# build-fuzz/fuzz-NAME, with its seed corpus in tests/fuzz/corpus/NAME/.
# Objects get coverage and the sanitizers (fuzzer-no-link); only the link
# adds libFuzzer's main.  The modules go in through an archive, so that a
# target links just what it calls.  fuzz-check replays every corpus and
# runs FUZZ_RUNS fixed-seed executions per target (tests/fuzz/check.sh).
FUZZ_CC	  ?= clang
FUZZ_BUILD = build-fuzz
FUZZ_RUNS ?= 30000
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%, \
	    $(wildcard tests/fuzz/fuzz-*.c))

.PHONY: fuzz-bins
fuzz:
	$(MAKE) CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) SAN= WERROR= \
	    CFLAGS="$(FUZZ_CFLAGS)" fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(FUZZ_BUILD)/libpostdesk.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_BUILD)/libpostdesk.a \
	    $(wildcard include/*.h)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_BUILD)/libpostdesk.a $(LEAN_LIBS)

fuzz-check: fuzz
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/check.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 644 man/postdesk.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/postdesk.conf.5 $(DESTDIR)$(MANDIR)/man5/
	cp -R templates filters $(DESTDIR)$(DATADIR)/

clean:
	rm -rf build build-san build-fuzz

# For bench/deliver.sh: the libraries postdesk-deliver links.
print-lean-libs:
	@echo $(LEAN_LIBS)

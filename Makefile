# nslab build. `make` builds build/nslab (the program), build/nslab-engine.so (its engine)
# and the man pages; `make check` runs every test; `make install` (PREFIX, DESTDIR) installs
# the program, its engine, the man pages, the shell completion and the examples; `make deb`
# builds the Debian package under build/deb/.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
# The engine: every command but exec, and the libraries they link (src/cli/front.c).
LIBDIR ?= $(PREFIX)/lib
ENGINEDIR ?= $(LIBDIR)/nslab
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/nslab
# Where bash-completion (2.x: $$XDG_DATA_DIRS/bash-completion/completions) and zsh (Debian:
# vendor-completions under /usr, site-functions under /usr/local) look.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
# One version, the Debian changelog's: `nslab --version` prints it.
VERSION := $(shell head -n 1 debian/changelog | cut -d ' ' -f 2 | tr -d '()')
CC ?= cc
BUILD ?= build
PKGS := libnl-3.0 libnl-route-3.0 libcjson yaml-0.1 libnftnl libmnl
# libpcap: its header at build time, the library loaded by `capture` alone (kernel/pcap_lib.c)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)) $(shell pkg-config --cflags-only-I libpcap)
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter -Wno-format-truncation
# -fPIC: the objects go into nslab-engine.so (the program, a PIE, takes them too).
override CFLAGS += -std=gnu11 $(WARN) -Isrc $(PKG_CFLAGS) -D_GNU_SOURCE -fPIC
override CPPFLAGS += -DNSL_VERSION='"$(VERSION)"'
LDLIBS += $(PKG_LIBS)

# The layers, one folder each (see the README's map). The pure core (base, model, and the
# on-disk formats of state: no kernel, no root) is all the unit tests link.
CORE_SRCS := $(sort $(wildcard src/base/*.c src/model/*.c)) src/state/journal.c src/state/labstate.c \
	src/state/runtime.c
ALL_SRCS := $(sort $(wildcard src/*/*.c))
HEADERS := $(wildcard src/*/*.h)
KERNEL_SRCS := $(filter-out $(CORE_SRCS) src/cli/main.c src/cli/front.c,$(ALL_SRCS))
CORE_OBJS := $(CORE_SRCS:src/%.c=$(BUILD)/obj/%.o)
KERNEL_OBJS := $(KERNEL_SRCS:src/%.c=$(BUILD)/obj/%.o)
# The program, build/nslab (src/cli/front.c): `nslab exec` and what it needs, linked with libc
# and libcjson alone (a file here that needs more fails the link); it loads the engine,
# build/nslab-engine.so (every object but front.c, exporting nsl_engine_main alone), for the
# other commands.
FRONT_SRCS := src/cli/front.c src/cli/cmd_exec.c src/cli/cli.c src/cli/output.c \
	src/engine/exec.c src/engine/lab.c src/kernel/proc.c src/kernel/spawn.c src/kernel/ns.c \
	src/kernel/cgroup.c src/kernel/sysctl.c src/state/statedir.c src/state/labstate.c \
	src/state/journal.c src/base/util.c src/model/diag.c src/model/addr.c src/model/ns_names.c
FRONT_OBJS := $(FRONT_SRCS:src/%.c=$(BUILD)/obj/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# What `make lint` checks: the C sources' format, and every shell script (by name or by its
# #! line) with shellcheck, the completion scripts included.
FORMAT_SRCS = $(wildcard src/*/*.[ch] tests/unit/*.c tests/kernel/*.c tests/fuzz/*.c)
SHELL_SCRIPTS = $(sort $(wildcard scripts/*.sh tests/*/*.sh bench/*.sh) .ci/run completion/nslab.bash \
	$(shell grep -rlIE '^\#! *(/usr)?/bin/(env +)?(ba|da)?sh( |$$)' scripts tests bench .ci 2>/dev/null))

# Man pages, written in scdoc (doc/*.scd): build/man/nslab.1, build/man/nslab-topology.5.
MAN_SRCS := $(wildcard doc/*.scd)
MANS := $(MAN_SRCS:doc/%.scd=$(BUILD)/man/%)

.PHONY: FORCE all man check unit unit-build unit-unprivileged lint e2e e2e-rootless kernel-tests asan-check install uninstall clean asan valgrind fuzz bench format deb docs-check pkg-check vm-check
all: $(BUILD)/nslab $(BUILD)/nslab-engine.so man

man: $(MANS)

$(BUILD)/man/%: doc/%.scd
	@mkdir -p $(dir $@)
	@command -v scdoc >/dev/null || { echo "scdoc is needed for the man pages (Debian: apt-get install scdoc; scripts/install-deps.sh installs it)" >&2; exit 1; }
	scdoc <$< >$@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/cli/main.o $(BUILD)/obj/cli/front.o: debian/changelog

# Where the program looks for its engine last (front.c), rebuilt when ENGINEDIR changes.
$(BUILD)/obj/cli/front.o: override CPPFLAGS += -DNSL_ENGINE='"$(ENGINEDIR)/nslab-engine.so"'
$(BUILD)/obj/cli/front.o: $(BUILD)/enginedir
$(BUILD)/enginedir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(ENGINEDIR)' | cmp -s - $@ || echo '$(ENGINEDIR)' >$@

# The program runs nothing but exec without its engine: building one builds both.
$(BUILD)/nslab: $(FRONT_OBJS) | $(BUILD)/nslab-engine.so
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcjson)

$(BUILD)/nslab-engine.so: $(CORE_OBJS) $(KERNEL_OBJS) $(BUILD)/obj/cli/main.o src/cli/engine.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,--version-script=src/cli/engine.map -o $@ \
		$(filter %.o,$^) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJS) $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DNSL_SRCDIR='"$(CURDIR)"' $(LDFLAGS) -o $@ $< $(CORE_OBJS) $(LDLIBS) -lcmocka

unit-build: $(UNIT_BINS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# The unit tests as nobody (root runs this): no root needed, nothing written but their own
# temporary files (scripts/unit-unprivileged.sh says how).
unit-unprivileged:
	scripts/unit-unprivileged.sh

lint:
	clang-format --dry-run --Werror $(FORMAT_SRCS)
	shellcheck -x $(SHELL_SCRIPTS)
	@echo "lint: clean ($(words $(FORMAT_SRCS)) C files, $(words $(SHELL_SCRIPTS)) shell scripts)"

# E2E_STRICT=1: a skipped test is a failure (make check sets it: scripts/install-deps.sh
# installs every tool a test needs).
E2E_QUICK ?= 0
E2E_STRICT ?= 0
e2e: $(BUILD)/nslab
	E2E_QUICK=$(E2E_QUICK) E2E_STRICT=$(E2E_STRICT) NSLAB=$(CURDIR)/$(BUILD)/nslab tests/e2e/run.sh

# The same tests as a user the run creates (rootless labs); root-only tests skip, saying why.
e2e-rootless: $(BUILD)/nslab
	E2E_QUICK=$(E2E_QUICK) E2E_STRICT=$(E2E_STRICT) NSLAB=$(CURDIR)/$(BUILD)/nslab tests/e2e/run.sh --rootless

# The VM lane: the e2e tests (VM_TESTS: names, default all) inside a VM that boots Debian's own
# kernel (linux-image-amd64, with netem, 802.1Q, VRF, dummy, GRE... as modules) under qemu, on
# this machine's root file system. See tests/vm/run.sh.
VM_TESTS ?=
vm-check: $(BUILD)/nslab
	NSLAB=$(CURDIR)/$(BUILD)/nslab tests/vm/run.sh tests/e2e/run.sh $(VM_TESTS)

# Kernel-facing modules tested alone, in throwaway namespaces (root).
kernel-tests:
	BUILD=$(BUILD) tests/kernel/run.sh

# Every test: lint, unit tests (as root and as nobody), the docs against the code, kernel and
# end-to-end tests (as root, then again as a user: rootless labs; no test may be skipped but by
# design), then the sanitizer pass, valgrind on the unit tests, 30 s of fuzzing the parser, the
# Debian package built, linted and installed in a fresh Debian root, and the e2e tests again on
# Debian's own kernel (the VM lane).
check: lint unit unit-unprivileged docs-check kernel-tests
	$(MAKE) e2e E2E_STRICT=1
	$(MAKE) e2e-rootless E2E_STRICT=1
	$(MAKE) BUILD=build-asan asan-check E2E_STRICT=1
	$(MAKE) valgrind
	$(MAKE) fuzz FUZZ_SECONDS=30
	$(MAKE) pkg-check
	$(MAKE) vm-check

# The README and the man pages against the code: every command, flag and topology key in
# both (tests/docs/check.sh); the man pages render; the shell completion (tests/docs/).
docs-check: $(BUILD)/nslab man
	NSLAB=$(CURDIR)/$(BUILD)/nslab BUILD=$(BUILD) tests/docs/run.sh

# The Debian package, built out of tree under build/deb/ (scripts/build-deb.sh).
deb:
	scripts/build-deb.sh

# The package as a user gets it (root): built, lintian clean of errors, installed with its
# dependencies in a fresh Debian root, then used there (tests/pkg/test_deb.sh).
pkg-check:
	tests/pkg/test_deb.sh

asan-check:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" unit e2e e2e-rootless E2E_QUICK=1 E2E_STRICT=$(E2E_STRICT)

valgrind: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite $$t >/dev/null; echo "valgrind clean: $$t"; done

# Benchmark (issue 6, root): nslab against hand-written ip scripts and the kernel floor.
bench: $(BUILD)/nslab
	NSLAB=$(CURDIR)/$(BUILD)/nslab bench/run.sh

install: $(BUILD)/nslab $(BUILD)/nslab-engine.so man
	install -D -m 0755 $(BUILD)/nslab $(DESTDIR)$(BINDIR)/nslab
	install -D -m 0644 $(BUILD)/nslab-engine.so $(DESTDIR)$(ENGINEDIR)/nslab-engine.so
	install -D -m 0644 $(BUILD)/man/nslab.1 $(DESTDIR)$(MANDIR)/man1/nslab.1
	install -D -m 0644 $(BUILD)/man/nslab-topology.5 $(DESTDIR)$(MANDIR)/man5/nslab-topology.5
	install -D -m 0644 completion/nslab.bash $(DESTDIR)$(BASHCOMPDIR)/nslab
	install -D -m 0644 completion/_nslab $(DESTDIR)$(ZSHCOMPDIR)/_nslab
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 topologies/*.json topologies/*.yaml $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(ENGINEDIR)/nslab-engine.so
	-rmdir $(DESTDIR)$(ENGINEDIR) 2>/dev/null
	rm -f $(DESTDIR)$(BINDIR)/nslab $(DESTDIR)$(MANDIR)/man1/nslab.1 \
		$(DESTDIR)$(MANDIR)/man5/nslab-topology.5 $(DESTDIR)$(BASHCOMPDIR)/nslab \
		$(DESTDIR)$(ZSHCOMPDIR)/_nslab
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

format:
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf build build-asan build-fuzz

# libFuzzer on the topology readers, parser and validator: `make fuzz FUZZ_SECONDS=60` runs
# the JSON harness and the YAML harness for half the time each, on copies of
# tests/fuzz/corpus and tests/fuzz/corpus_yaml in build-fuzz/ (the committed corpora are never
# written); a crash leaves its reproducer in build-fuzz/artifacts/ (crash-*, leak-*,
# timeout-*, oom-*); replay one with `build-fuzz/fuzz_topology FILE` (or fuzz_topology_yaml).
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_HALF = $(shell expr \( $(FUZZ_SECONDS) + 1 \) / 2)
build-fuzz/fuzz_topology: tests/fuzz/fuzz_topology.c $(CORE_SRCS) $(HEADERS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -Isrc $(PKG_CFLAGS) -D_GNU_SOURCE -o $@ tests/fuzz/fuzz_topology.c $(CORE_SRCS) $(PKG_LIBS)

build-fuzz/fuzz_topology_yaml: tests/fuzz/fuzz_topology.c $(CORE_SRCS) $(HEADERS)
	@mkdir -p build-fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -Isrc $(PKG_CFLAGS) -D_GNU_SOURCE '-DFUZZ_FILE="fuzz.yaml"' -o $@ tests/fuzz/fuzz_topology.c $(CORE_SRCS) $(PKG_LIBS)

fuzz: build-fuzz/fuzz_topology build-fuzz/fuzz_topology_yaml
	rm -rf build-fuzz/corpus build-fuzz/corpus_yaml && mkdir -p build-fuzz/corpus build-fuzz/corpus_yaml build-fuzz/artifacts
	cp tests/fuzz/corpus/* build-fuzz/corpus/
	cp tests/fuzz/corpus_yaml/* build-fuzz/corpus_yaml/
	cd build-fuzz && ./fuzz_topology -max_len=65536 -max_total_time=$(FUZZ_HALF) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=artifacts/ -print_final_stats=1 corpus
	cd build-fuzz && ./fuzz_topology_yaml -max_len=65536 -max_total_time=$(FUZZ_HALF) -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=artifacts/ -print_final_stats=1 corpus_yaml

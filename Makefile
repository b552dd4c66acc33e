# otad — build, test and install with GNU make and pkg-config.
#
#   make                 bin/otad bin/otactl bin/otasim
#   make check           every test (unit suites, then end-to-end), on
#                        SQLite, then on PostgreSQL (DB=sqlite or DB=pg: one)
#   make SANITIZE=1 check  the same under ASan + UBSan (build/san/)
#   make TSAN=1 check    the same under ThreadSanitizer (build/tsan/)
#   make fuzz            libFuzzer harnesses (clang, build/fuzz/), each run
#                        FUZZ_TIME seconds (default 30; 0 only builds)
#   make run             the daemon in the foreground: 127.0.0.1:8080, ./var
#   make blast           campaign scenarios on DEVICES (10000) simulated devices
#                        each against a real otad, one table (about 30 min)
#   make install         PREFIX=/usr/local DESTDIR= (keeps an existing otad.conf)
#   make deb             build/otad_VERSION_ARCH.deb (dpkg-buildpackage)
#
# Missing Debian packages are installed by scripts/install-deps, which every
# build target calls first when pkg-config cannot find a dependency.

PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?= 0
TSAN     ?= 0

PKGS      := libmicrohttpd sqlite3 libpq libsodium jansson libcurl inih libsystemd \
             nettle
TEST_PKGS := check

ifeq ($(TSAN),1)
BUILD    := build/tsan
BIN      := build/tsan/bin
OPT      := -O1 -g -fno-omit-frame-pointer
SAN      := -fsanitize=thread
FORTIFY  :=
else ifeq ($(SANITIZE),1)
BUILD    := build/san
BIN      := build/san/bin
OPT      := -O1 -g -fno-omit-frame-pointer
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FORTIFY  :=
else
BUILD    := build/rel
BIN      := bin
OPT      := -O2 -g
SAN      :=
FORTIFY  := -D_FORTIFY_SOURCE=3
endif

WARN     := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Werror
HARDEN   := $(FORTIFY) -fstack-protector-strong -fPIE
# Deferred (=) so pkg-config runs after scripts/install-deps has had its turn.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

ALL_CFLAGS  = $(WARN) $(OPT) $(SAN) $(HARDEN) -D_GNU_SOURCE -Isrc -Idevice-sim \
              $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

MAINS    := src/api/main.c src/otactl/main.c device-sim/main.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard src/*/*.c device-sim/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o \
            $(BUILD)/gen/ui.o
LIB      := $(BUILD)/libota.a
PROGS    := $(BIN)/otad $(BIN)/otactl $(BIN)/otasim
TEST_SRC := $(wildcard tests/*/test_*.c)
TESTS    := $(TEST_SRC:%.c=$(BUILD)/%)
SQL      := $(sort $(wildcard sql/*.sql))
PG_SQL   := $(sort $(wildcard sql/pg/*.sql))
UI       := $(sort $(wildcard ui/*))

# Fuzzing: clang and libFuzzer over a clang-built, ASan + UBSan copy of the
# library in build/fuzz/ (the normal one is gcc with hardening flags).
# clang also flags the va_list format string in log.c, which gcc accepts.
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 30
FUZZ_BUILD  := build/fuzz
FUZZ_CFLAGS  = $(WARN) -Wno-format-nonliteral -O1 -g -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -D_GNU_SOURCE -Isrc -Idevice-sim -Itests/fuzz $(PKG_CFLAGS)
FUZZ_OBJ    := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/migrations.o \
               $(FUZZ_BUILD)/gen/ui.o
FUZZ_LIB    := $(FUZZ_BUILD)/libota.a
FUZZERS     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,\
               $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all deps tests check run install deb demo bench bench-pg blast fuzz
.PHONY: clean
all: $(PROGS)

# Order-only: checked on every run, never forces a rebuild by itself.
# NODEPS=1 (package builds) leaves the dependencies to the caller.
ifneq ($(NODEPS),1)
$(LIB_OBJ) $(MAINS:%.c=$(BUILD)/%.o) $(TESTS): | deps
endif
deps:
	@pkg-config --exists $(PKGS) $(TEST_PKGS) && command -v jq >/dev/null \
	  && command -v curl >/dev/null && command -v chromium >/dev/null \
	  && [ -d tests/browser/node_modules/puppeteer-core ] \
	  && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  && command -v haproxy >/dev/null && command -v dh >/dev/null \
	  || scripts/install-deps

# V=1 shows the whole command lines.
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The migrations are compiled in, so the daemon needs no file at run time.
$(BUILD)/gen/migrations.c: $(SQL) $(PG_SQL) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $(SQL) -- $(PG_SQL) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -c $< -o $@

# The web console (ui/, docs/console.md) is compiled in the same way.
$(BUILD)/gen/ui.c: $(UI) scripts/embed-ui
	@mkdir -p $(dir $@)
	scripts/embed-ui $(UI) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/ui.o: $(BUILD)/gen/ui.c src/api/ui_files.h
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BIN)/otad: $(BUILD)/src/api/main.o $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -lpthread -lm -o $@
$(BIN)/otactl: $(BUILD)/src/otactl/main.o $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -lpthread -lm -o $@
$(BIN)/otasim: $(BUILD)/device-sim/main.o $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) $^ $(PKG_LIBS) -lpthread -lm -o $@

$(BUILD)/tests/%: tests/%.c tests/check_util.h $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests -MMD -MP $< $(LIB) \
	  $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS) -lpthread -lm -o $@

# What check runs, built (CI builds first, then runs checks side by side).
tests: $(PROGS) $(TESTS)

# DB=sqlite or DB=pg runs the suite on one backend only; by default it runs
# on SQLite, then on a throwaway PostgreSQL (tests/run PG=1).
DB ?= sqlite pg
check: $(PROGS) $(TESTS)
	@rc=0; failed=; for db in $(DB); do \
	  case $$db in sqlite) pg=0;; pg) pg=1;; \
	  *) echo "DB=$$db: sqlite or pg" >&2; exit 2;; esac; \
	  echo "==== make check on $$db"; \
	  BUILD=$(BUILD) BIN=$(BIN) PG=$$pg tests/run $(TESTS) || \
	    { rc=1; failed="$$failed $$db"; }; \
	done; [ $$rc = 0 ] || echo "==== make check failed on:$$failed"; exit $$rc

$(FUZZ_OBJ) $(FUZZERS) $(FUZZ_BUILD)/mkcorpus: | deps
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	  -c $< -o $@
$(FUZZ_BUILD)/gen/migrations.c: $(SQL) $(PG_SQL) scripts/embed-sql
	@mkdir -p $(dir $@)
	scripts/embed-sql $(SQL) -- $(PG_SQL) > $@.tmp && mv $@.tmp $@
$(FUZZ_BUILD)/gen/migrations.o: $(FUZZ_BUILD)/gen/migrations.c
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_BUILD)/gen/ui.c: $(UI) scripts/embed-ui
	@mkdir -p $(dir $@)
	scripts/embed-ui $(UI) > $@.tmp && mv $@.tmp $@
$(FUZZ_BUILD)/gen/ui.o: $(FUZZ_BUILD)/gen/ui.c src/api/ui_files.h
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	@echo "  FUZZER  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP $< \
	  $(FUZZ_LIB) $(PKG_LIBS) -lpthread -lm -o $@
# Writes the seed corpora: build/fuzz/mkcorpus tests/fuzz/corpus
$(FUZZ_BUILD)/mkcorpus: tests/fuzz/mkcorpus.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP $< $(FUZZ_LIB) $(PKG_LIBS) \
	  -lpthread -lm -o $@

# FUZZ=word runs only the harnesses whose name has word.
fuzz: $(FUZZERS) $(FUZZ_BUILD)/mkcorpus
ifneq ($(FUZZ_TIME),0)
	FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run $(FUZZERS)
endif

run: $(BIN)/otad
	$(BIN)/otad -c conf/otad.conf --listen 127.0.0.1:8080 --data-dir ./var

demo: $(PROGS)
	BIN=$(BIN) scripts/demo

bench: $(PROGS)
	BIN=$(BIN) bench/poll

# The poll on PostgreSQL (a throwaway cluster) and on SQLite, side by side.
bench-pg: $(PROGS)
	BIN=$(BIN) bench/poll-pg

blast: $(PROGS)
	BIN=$(BIN) scripts/blast

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/otad/sql \
	  $(DESTDIR)$(PREFIX)/share/otad/sql/pg \
	  $(DESTDIR)/etc/otad $(DESTDIR)/lib/systemd/system
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(SQL) $(DESTDIR)$(PREFIX)/share/otad/sql/
	install -m 0644 $(PG_SQL) $(DESTDIR)$(PREFIX)/share/otad/sql/pg/
	@# An existing config is the operator's: the new one goes next to it.
	@if [ -e $(DESTDIR)/etc/otad/otad.conf ]; then \
	  install -m 0644 conf/otad.conf $(DESTDIR)/etc/otad/otad.conf.dist; \
	  echo "kept $(DESTDIR)/etc/otad/otad.conf; this release's is otad.conf.dist"; \
	else install -m 0644 conf/otad.conf $(DESTDIR)/etc/otad/otad.conf; fi
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/otad.service \
	  > $(DESTDIR)/lib/systemd/system/otad.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/otad.service

# A Debian package of the working tree (not only what is committed), built
# in a copy under build/deb so dpkg-buildpackage writes nothing outside.
DEB_VERSION := $(shell dpkg-parsechangelog -S Version 2>/dev/null || echo 0)
deb:
	rm -rf build/deb && mkdir -p build/deb/otad
	tar --exclude=./build --exclude=./bin --exclude=./.git \
	  --exclude=./tests/browser/node_modules --exclude=./var -cf - . \
	  | tar -C build/deb/otad -xf -
	cd build/deb/otad && dpkg-buildpackage -us -uc -b >../build.log 2>&1 \
	  || { tail -30 ../build.log; exit 1; }
	cp build/deb/otad_$(DEB_VERSION)_*.deb build/
	@ls build/otad_$(DEB_VERSION)_*.deb

clean:
	rm -rf build bin

-include $(shell find build -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

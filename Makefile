# camada — the only entry point: build, run, test, fuzz, bench, install.
# GNU make. `make run` and `make test` install what is missing (Debian 12).

PREFIX  ?= /usr/local
DESTDIR ?=
# make install: the config goes to SYSCONFDIR/camada/camada.conf (compiled
# into the installed binary as its default), the demo's files to DATADIR.
SYSCONFDIR ?= $(PREFIX)/etc
DATADIR    ?= $(PREFIX)/share/camada
CC      ?= gcc
CLANG   ?= clang
PYTHON  ?= /usr/bin/python3
FUZZ_SECONDS ?= 3

WARN    = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
          -Wvla -Wpointer-arith -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -fno-strict-aliasing
LDLIBS  = -lssl -lcrypto -lcrypt -lpthread

SRC      := $(filter-out src/main.c,$(sort $(wildcard src/*/*.c)))
HDR      := $(wildcard src/*/*.h)
OBJ      := $(SRC:%.c=build/obj/%.o)
ASAN_OBJ := $(SRC:%.c=build/asan/%.o)
FUZZ_OBJ := $(SRC:%.c=build/fuzz/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined

# Packages the build, the demo and the tests need, by Debian name.
DEPS_BUILD = gcc make libc6-dev libssl-dev openssl clang libclang-rt-14-dev \
             procps util-linux python3 python3-pytest curl wget libcrypt-dev
DEPS_TEST  = python3-dnspython dnsutils knot-dnsutils nginx-light nsd unbound postfix \
             testssl.sh nghttp2-client h2o swaks \
             wrk chromium chromium-driver python3-selenium
DEPS       = $(DEPS_BUILD) $(DEPS_TEST)

# Keep the fuzz objects between runs (make would delete them as intermediates).
.SECONDARY:


.PHONY: deps-build install-missing
.PHONY: all deps run test unit integration integration-asan asan fuzz \
        fuzz-smoke bench install clean check-banned FORCE

# The demo's HTTPS certificate (etc/camada.conf's tls-cert) and the local CA
# that signed it, made once under var/tls/ (git-ignored; nothing secret is
# committed). Remove var/tls to make new ones.
TLS_DEMO = var/tls/localhost.pem

all: build/camada www/big.bin $(TLS_DEMO)

$(TLS_DEMO):
	@sh etc/tls-demo.sh var/tls

# The demo site's large file (range requests, resumed downloads): made here,
# not committed. Deterministic bytes, so a resumed download can be checked.
www/big.bin:
	@$(PYTHON) -c "import hashlib,sys; b=b''.join(hashlib.sha256(i.to_bytes(4,'big')).digest() for i in range(1<<19)); open(sys.argv[1],'wb').write(b)" $@

build/camada: build/obj/src/main.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/obj/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# AddressSanitizer + UndefinedBehaviorSanitizer build of the same program.
asan: build/asan/camada
build/asan/camada: build/asan/src/main.o $(ASAN_OBJ)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)

build/asan/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

# Unit tests: one runner over every tests/unit/*.c, built with sanitizers.
build/unit: $(UNIT_SRC) $(ASAN_OBJ) tests/unit/test.h
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit -o $@ $(UNIT_SRC) $(ASAN_OBJ) $(LDLIBS)

unit: build/unit
	./build/unit

# libFuzzer targets, one per parser.
build/fuzz/obj/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS) -Wno-unknown-warning-option -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(CFLAGS) -Wno-unknown-warning-option -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz: $(FUZZ_BIN)
	@echo "built: $(FUZZ_BIN)"
	@echo "run one: build/fuzz/fuzz_conf tests/fuzz/corpus/conf"

# A short run of every fuzz target over its corpus (make test runs this).
fuzz-smoke: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  name=$${f#build/fuzz/fuzz_}; corpus=tests/fuzz/corpus/$$name; \
	  mkdir -p build/fuzz/work/$$name; \
	  dict=""; [ -f tests/fuzz/$$name.dict ] && dict="-dict=tests/fuzz/$$name.dict"; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
	      build/fuzz/work/$$name $$corpus 2>build/fuzz/$$name.log \
	    || { tail -40 build/fuzz/$$name.log; exit 1; }; \
	  grep -h 'stat::number_of_executed_units' build/fuzz/$$name.log; \
	done

integration: build/camada
	CAMADA_BIN=$(CURDIR)/build/camada $(PYTHON) -m pytest -q tests/integration

integration-asan: build/asan/camada
	CAMADA_BIN=$(CURDIR)/build/asan/camada CAMADA_ASAN=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(PYTHON) -m pytest -q -m "not slow" tests/integration

# curl's rule: functions that keep causing CVEs stay out of the tree. Use
# snprintf (not sprintf/strcpy/strcat/strncpy), buf_append/buf_printf for
# text that grows, gmtime_r/localtime_r (not the static-buffer forms), and a
# parse.h cursor or line_next (not strtok, gets).
check-banned:
	@! grep -nE '\b(gets|sprintf|vsprintf|strcat|strcpy|strtok|localtime|gmtime|asctime|ctime|strncpy)\s*\(' \
	    src/*.c src/*/*.c src/*/*.h || { echo "banned function used (see the comment above check-banned in the Makefile)"; exit 1; }

test: deps
	@$(MAKE) --no-print-directory check-banned all asan build/unit
	@echo "== unit tests"; ./build/unit
	@echo "== integration tests (release build)"; $(MAKE) --no-print-directory integration
	@echo "== integration tests (ASan + UBSan build)"; $(MAKE) --no-print-directory integration-asan
	@echo "== fuzz smoke ($(FUZZ_SECONDS)s per target)"; $(MAKE) --no-print-directory fuzz-smoke
	@echo "== all tests passed"

run: deps-build all
	./build/camada serve -c etc/camada.conf

bench: deps build/camada
	@for b in bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

# The installed binary is build/camada's objects with main.c built again,
# its default config path compiled in (build/camada keeps etc/camada.conf,
# for a clone). The stamp holds SYSCONFDIR, so a new PREFIX rebuilds it.
FORCE:

build/install/sysconfdir: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ 2>/dev/null || echo '$(SYSCONFDIR)' >$@

build/install/main.o: src/main.c $(HDR) build/install/sysconfdir
	$(CC) $(CFLAGS) -DCAMADA_SYSCONFDIR='"$(SYSCONFDIR)"' -c -o $@ $<

build/install/camada: build/install/main.o $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The config is etc/camada.conf with its relative paths (zones/, ../www)
# written out in full under DATADIR, so that the installed copy works from
# anywhere, copied anywhere. An existing camada.conf is kept (an operator's
# edits); camada.conf.default is always the shipped one. The tls-* lines
# name the clone's demo certificate (var/tls/): they are commented out, for
# the operator to name a real one.
INSTALL_CONF = sed -e 's|^\(zone *= *\)zones/|\1$(DATADIR)/zones/|' \
    -e 's|^\(root-hints *= *\)zones/|\1$(DATADIR)/zones/|' \
    -e 's|^\(root *= *\)\.\./www|\1$(DATADIR)/www|' \
    -e 's|^\(tls-[a-z-]* *=\)|\# \1|'

install: build/install/camada www/big.bin
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(SYSCONFDIR)/camada \
	    $(DESTDIR)$(DATADIR)/zones $(DESTDIR)$(DATADIR)/www
	install -m 755 build/install/camada $(DESTDIR)$(PREFIX)/bin/camada
	install -m 644 docs/camada.1 $(DESTDIR)$(PREFIX)/share/man/man1/camada.1
	install -m 644 docs/camada.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/camada.conf.5
	install -m 644 etc/zones/* $(DESTDIR)$(DATADIR)/zones/
	cd www && find . -type f | while read -r f; do \
	  install -D -m 644 "$$f" "$(DESTDIR)$(DATADIR)/www/$$f" || exit 1; done
	$(INSTALL_CONF) etc/camada.conf >$(DESTDIR)$(SYSCONFDIR)/camada/camada.conf.default
	@! grep -nE '^(zone|root|root-hints|tls-[a-z-]*) *= *[^/ ]' \
	    $(DESTDIR)$(SYSCONFDIR)/camada/camada.conf.default \
	  || { echo "install: a relative path is left in camada.conf"; exit 1; }
	test -f $(DESTDIR)$(SYSCONFDIR)/camada/camada.conf || \
	  cp $(DESTDIR)$(SYSCONFDIR)/camada/camada.conf.default \
	    $(DESTDIR)$(SYSCONFDIR)/camada/camada.conf

# Installs the Debian packages that are missing (needs root; otherwise it
# prints the command to run). `make run` needs only the build's packages.
deps:
	@$(MAKE) --no-print-directory install-missing PKGS="$(DEPS)"

deps-build:
	@$(MAKE) --no-print-directory install-missing PKGS="$(DEPS_BUILD)"

install-missing:
	@missing=""; for p in $(PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -q --no-install-recommends $$missing >/dev/null \
	      || { echo "apt-get install failed"; exit 1; }; \
	  else \
	    echo "missing packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf build

# mod_charon: build, run, test.
#
#   make            build .libs/mod_charon.so with apxs
#   make install    install it into Apache's module directory (apxs -i)
#   make run        demo on 127.0.0.1:8080 with SQLite (installs what is missing)
#   make test       unit tests, then Apache::Test on SQLite, PostgreSQL, MariaDB
#   make unit       the C unit tests alone

APXS    ?= apxs
CC      ?= cc
WERROR  ?=
SOURCES  = mod_charon.c src/charon_config.c src/charon_mount.c \
           src/charon_handler.c src/charon_db.c src/charon_gate.c \
           src/charon_core.c
HEADERS  = src/charon.h src/charon_core.h
WARN     = -Wall -Wextra $(if $(WERROR),-Werror)
LIBS     = -ljson-c -lcrypto

APR_CFLAGS := $(shell apr-1-config --cflags --cppflags --includes 2>/dev/null)
APR_LIBS   := $(shell apr-1-config --link-ld --libs 2>/dev/null)

.PHONY: all install unit test run deps clean

all: .libs/mod_charon.so

.libs/mod_charon.so: $(SOURCES) $(HEADERS) Makefile
	$(APXS) -c -n charon -o mod_charon.la $(addprefix -Wc$(comma),$(WARN)) \
		-Isrc $(SOURCES) $(LIBS)

comma := ,

install: all
	$(APXS) -i -n charon mod_charon.la

UNIT_SOURCES = $(wildcard tests/unit/*.c)
UNIT_HEADERS = $(wildcard tests/unit/*.h)

build/test_core: $(UNIT_SOURCES) $(UNIT_HEADERS) src/charon_core.c \
                 src/charon_core.h
	@mkdir -p build
	$(CC) $(WARN) -g $(APR_CFLAGS) -Isrc $(UNIT_SOURCES) \
		src/charon_core.c $(APR_LIBS) $(LIBS) -o $@

unit: build/test_core
	./build/test_core

deps:
	@./scripts/deps.sh

# Warnings are errors here: what CI builds must be clean.
test: deps
	$(MAKE) clean
	$(MAKE) WERROR=1 all unit
	./scripts/test.sh

run: deps all
	./scripts/run.sh

clean:
	rm -rf .libs build *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o src/.libs

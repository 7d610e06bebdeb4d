# fsrecd — build, test, demo, bench. Every target installs what it needs first.
SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
NPM ?= npm

.PHONY: all build test typecheck lint unit demo bench bench-index bench-start clean install install-files deb

all: build

# npm ci only when the lock file changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

build: node_modules/.package-lock.json
	npx tsc -p tsconfig.build.json
	cp src/sim/captured-frames.json dist/sim/
	mkdir -p dist/http/page && cp src/http/page/*.html dist/http/page/
	@chmod +x dist/cli.js

typecheck: node_modules/.package-lock.json
	npx tsc --noEmit -p tsconfig.json

lint: node_modules/.package-lock.json
	npx eslint .

unit: build
	bash scripts/run-tap.sh

test: typecheck lint unit

demo: build
	node dist/cli.js demo

bench: build
	node --expose-gc --import tsx bench/run.ts

# The recordings index alone (BENCH_INDEX_ROWS=1000000 by default).
bench-index: build
	node --import tsx bench/index-query.ts

# Audio lost at the start of a call, per start mode, at 50 and 200 calls/s (section 6 of make bench).
bench-start: build
	node --import tsx bench/audio-lost-run.ts

clean:
	rm -rf dist .tap coverage

# dist/fsrecd_<version>_<arch>.deb: self-contained (it carries this Node), see packaging/deb/build.sh.
deb: build
	bash packaging/deb/build.sh

# PREFIX/DESTDIR-aware install: the built daemon with its runtime dependencies, the unit, the example
# config (never overwriting an operator's), the FreeSWITCH snippets and the docs.
LIBDIR = $(DESTDIR)$(PREFIX)/lib/fsrecd
BINDIR = $(DESTDIR)$(PREFIX)/bin
SHAREDIR = $(DESTDIR)$(PREFIX)/share/fsrecd
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/fsrecd
SYSCONFDIR ?= $(DESTDIR)/etc/fsrecd
UNITDIR ?= $(DESTDIR)/etc/systemd/system

install: build
	@$(MAKE) --no-print-directory install-files

# The copy step alone, for a tree already built (the install test uses it while other tests run dist/).
install-files:
	install -d $(LIBDIR) $(BINDIR) $(SHAREDIR)/freeswitch $(DOCDIR) $(SYSCONFDIR)/conf.d $(UNITDIR)
	cp -r dist templates package.json package-lock.json $(LIBDIR)/
	cd $(LIBDIR) && $(NPM) ci --omit=dev --no-audit --no-fund --ignore-scripts
	# --ignore-scripts compiles and downloads nothing: the SQLite addon is the one npm ci built here, for this Node.
	install -D -m 0644 node_modules/better-sqlite3/build/Release/better_sqlite3.node \
	  $(LIBDIR)/node_modules/better-sqlite3/build/Release/better_sqlite3.node
	ln -sf $(PREFIX)/lib/fsrecd/dist/cli.js $(BINDIR)/fsrecd
	cp -r freeswitch/. $(SHAREDIR)/freeswitch/
	install -m 0644 README.md $(DOCDIR)/README.md
	[ -e $(SYSCONFDIR)/fsrecd.yml ] || install -m 0640 config/fsrecd.yml $(SYSCONFDIR)/fsrecd.yml
	cp -n config/conf.d/* $(SYSCONFDIR)/conf.d/ 2>/dev/null || true
	sed -e 's|/usr/local/bin/fsrecd|$(PREFIX)/bin/fsrecd|g' -e 's|/usr/local/share/doc|$(PREFIX)/share/doc|g' \
	  systemd/fsrecd.service > $(UNITDIR)/fsrecd.service
	@echo "installed; next: useradd --system --gid freeswitch --home /var/lib/fsrecd fsrecd;"
	@echo "  install -d -o fsrecd -g freeswitch -m 2770 /var/spool/fsrecd /var/lib/fsrecd; systemctl enable --now fsrecd"

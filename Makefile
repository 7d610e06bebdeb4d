# fsrecd — build, test, demo, bench. Every target installs what it needs first.
SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
NPM ?= npm

.PHONY: all build test typecheck lint unit demo bench clean install

all: build

# npm ci only when the lock file changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

build: node_modules/.package-lock.json
	npx tsc -p tsconfig.build.json
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
	npx tsx bench/run.ts

clean:
	rm -rf dist .tap coverage

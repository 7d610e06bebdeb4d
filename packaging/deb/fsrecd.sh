#!/bin/sh
# fsrecd with the Node.js the package was built with: its native SQLite module is compiled for that Node's
# ABI, so it must not run under whatever `node` the PATH holds.
exec /usr/lib/fsrecd/node /usr/lib/fsrecd/dist/cli.js "$@"

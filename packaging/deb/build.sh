#!/usr/bin/env bash
# `make deb`: fsrecd_<version>_<arch>.deb from the built tree (make build ran), written to $DEB_OUT (dist/).
#
# Self-contained: the package carries the Node.js binary that ran this build in /usr/lib/fsrecd/node and
# depends on no nodejs package. better-sqlite3 is a native addon compiled for one Node ABI (Node 20: 115);
# Debian 12's own nodejs is 18 (ABI 108) and a newer Node from elsewhere has another ABI, so `Depends: nodejs`
# could be satisfied by a Node that cannot load the addon. Shipping the Node it was built for makes
# `dpkg -i` work on any Debian 12 host, FreeSWITCH's included, with or without NodeSource. The price: about
# 30 MB more to download (36 MB in all), and Node's security fixes arrive with a rebuilt fsrecd package.
set -euo pipefail
cd "$(dirname "$0")/../.."
umask 022

OUT=${DEB_OUT:-dist}
NODE_BIN=$(readlink -f "${DEB_NODE:-$(command -v node)}")
NPM=${NPM:-npm}
MAINTAINER=${DEB_MAINTAINER:-fsrecd maintainers <fsrecd@example.org>}
# What the shipped node and addon link against, as dpkg-shlibdeps reports it on the Debian 12 build host
# (glibc 2.34 and GLIBCXX_3.4.29 symbols come from the addon built there). Rebuilding on another release:
# check with dpkg-shlibdeps (it takes seconds, so it is not run on every build).
DEPENDS=${DEB_DEPENDS:-adduser, init-system-helpers, libc6 (>= 2.34), libgcc-s1 (>= 3.4), libstdc++6 (>= 11)}
ADDON=node_modules/better-sqlite3/build/Release/better_sqlite3.node

version=$(node -p 'require("./package.json").version')
arch=$(dpkg --print-architecture)
deb="$OUT/fsrecd_${version}_${arch}.deb"
[ -f dist/cli.js ] || { echo "build.sh: dist/cli.js missing; run make build (make deb does)" >&2; exit 1; }
[ -f "$ADDON" ] || { echo "build.sh: $ADDON missing; npm ci builds it" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/fsrecd-deb.XXXXXX")
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/fsrecd
install -d "$lib" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/fsrecd/conf.d" \
  "$stage/usr/share/fsrecd/freeswitch" "$stage/usr/share/doc/fsrecd" "$stage/DEBIAN"

# The daemon and its production dependencies, exactly as locked. --ignore-scripts: nothing is downloaded or
# compiled here; the one addon is the one `npm ci` built for this Node in the source tree (same lock file).
tar -C . --exclude='*.deb' -cf - dist templates package.json package-lock.json | tar -C "$lib" -xf -
(cd "$lib" && "$NPM" ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
want=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
got=$(node -p "require('$lib/node_modules/better-sqlite3/package.json').version")
[ "$want" = "$got" ] || { echo "build.sh: better-sqlite3 $got in the package, $want built here" >&2; exit 1; }
install -D -m 0644 "$ADDON" "$lib/$ADDON"
# Build inputs only (SQLite's C sources, the addon's C++): not needed at run time.
rm -rf "$lib/node_modules/better-sqlite3/deps" "$lib/node_modules/better-sqlite3/src"
install -m 0755 "$NODE_BIN" "$lib/node"
# 98 MB -> 86 MB. strip keeps .dynsym, through which the addon resolves Node's N-API and V8 symbols.
if command -v strip >/dev/null; then strip "$lib/node"; fi
# The shipped Node must load the shipped addon: checked now, not on the first start.
"$lib/node" -e "new (require('$lib/node_modules/better-sqlite3'))(':memory:').close()"
# And the PostgreSQL client a shared index (index.type: postgres) loads only when configured.
"$lib/node" -e "require('$lib/node_modules/pg')"

install -m 0755 packaging/deb/fsrecd.sh "$stage/usr/bin/fsrecd"
sed -e 's|/usr/local/bin/fsrecd|/usr/bin/fsrecd|g' -e 's|/usr/local/share/doc|/usr/share/doc|g' \
  systemd/fsrecd.service > "$stage/lib/systemd/system/fsrecd.service"
chmod 0644 "$stage/lib/systemd/system/fsrecd.service"
# fsrecd.yml may come to hold secrets: 0640 here, root:<fsrecd's group> by postinst (dpkg-statoverride).
install -m 0640 config/fsrecd.yml "$stage/etc/fsrecd/fsrecd.yml"
install -m 0644 config/conf.d/* "$stage/etc/fsrecd/conf.d/"
cp -r freeswitch/. "$stage/usr/share/fsrecd/freeswitch/"
install -m 0644 README.md packaging/deb/copyright "$stage/usr/share/doc/fsrecd/"

(cd "$stage" && find etc -type f | sort | sed 's|^|/|') > "$stage/DEBIAN/conffiles"
(cd "$stage" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$MAINTAINER|" \
  -e "s|@INSTALLED_SIZE@|$installed_kb|" -e "s|@DEPENDS@|$DEPENDS|" packaging/deb/control.in > "$stage/DEBIAN/control"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"

mkdir -p "$OUT"
# zstd -3: 0.5 s and 36 MB here, against gzip -1's 1.3 s and 42 MB (xz: 6.6 s). dpkg reads zstd since 1.21.18
# (Debian 12 has 1.21.22; the glibc this package needs rules out older releases anyway).
dpkg-deb --root-owner-group -Zzstd -z3 --build "$stage" "$deb" >/dev/null
echo "$deb"

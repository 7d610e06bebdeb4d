#!/usr/bin/env bash
# CI (.ci/run, after make deb): the package as an operator gets it. Installs the .deb it is given with dpkg -i
# on this machine, checks what was installed (the example configuration is valid, systemd accepts the unit,
# the shipped Node loads the shipped SQLite addon, the user and directories exist with their modes), then
# removes and purges it. Needs root (uses sudo otherwise). Prints the time of each step.
set -euo pipefail
deb=$1
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
step() {
  local what=$1; shift
  local t0; t0=$(date +%s%N)
  "$@"
  echo "deb: $what ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}
fail() { echo "deb: FAILED: $*" >&2; exit 1; }

if dpkg -s fsrecd >/dev/null 2>&1; then fail "fsrecd is already installed here; not touching it"; fi
step "dpkg -i $(basename "$deb")" $SUDO dpkg -i "$deb"
trap '$SUDO dpkg --purge fsrecd >/dev/null 2>&1 || true' EXIT

# As the service user: the configuration (root:<its group> 0640) must be readable by it, and by it only.
step "fsrecd check-config (as fsrecd)" $SUDO runuser -u fsrecd -- /usr/bin/fsrecd check-config --config /etc/fsrecd/fsrecd.yml
verify() {
  local said
  said=$(systemd-analyze verify /lib/systemd/system/fsrecd.service 2>&1) || fail "systemd-analyze verify: $said"
  [ -z "$said" ] || fail "systemd-analyze verify warns: $said"
}
step "systemd-analyze verify (no warning either)" verify
step "the shipped Node loads the shipped SQLite addon" /usr/lib/fsrecd/node -e "new (require('/usr/lib/fsrecd/node_modules/better-sqlite3'))(':memory:').close()"
grep -qx 'Type=notify' /lib/systemd/system/fsrecd.service || fail "the installed unit is not Type=notify"
grep -qx 'ExecStart=/usr/bin/fsrecd run --config /etc/fsrecd/fsrecd.yml' /lib/systemd/system/fsrecd.service || fail "ExecStart does not run /usr/bin/fsrecd"
getent passwd fsrecd >/dev/null || fail "no fsrecd user"
group=$(id -gn fsrecd)
[ "$(stat -c '%U:%G %a' /var/spool/fsrecd)" = "fsrecd:$group 2770" ] || fail "/var/spool/fsrecd is $(stat -c '%U:%G %a' /var/spool/fsrecd)"
[ "$(stat -c '%U:%G %a' /var/lib/fsrecd)" = "fsrecd:$group 750" ] || fail "/var/lib/fsrecd is $(stat -c '%U:%G %a' /var/lib/fsrecd)"
[ "$(stat -c '%U:%G %a' /etc/fsrecd/fsrecd.yml)" = "root:$group 640" ] || fail "/etc/fsrecd/fsrecd.yml is $(stat -c '%U:%G %a' /etc/fsrecd/fsrecd.yml)"
echo "deb: installed as fsrecd:$group; spool, state and configuration modes as intended"

step "dpkg -r fsrecd" $SUDO dpkg -r fsrecd
[ ! -e /usr/bin/fsrecd ] || fail "/usr/bin/fsrecd left after dpkg -r"
[ -f /etc/fsrecd/fsrecd.yml ] || fail "dpkg -r removed a conffile (only --purge may)"
[ -d /var/lib/fsrecd ] || fail "dpkg -r removed /var/lib/fsrecd (only --purge may)"
step "dpkg --purge fsrecd" $SUDO dpkg --purge fsrecd
[ ! -e /etc/fsrecd/fsrecd.yml ] || fail "/etc/fsrecd/fsrecd.yml left after --purge"
[ ! -e /var/lib/fsrecd ] && [ ! -e /var/spool/fsrecd ] || fail "an empty spool or state directory left after --purge"
trap - EXIT
echo "deb: install, check and purge ok"

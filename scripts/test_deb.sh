#!/bin/sh
# Installs the Debian package on this machine (as root), checks what an
# operator would (the binary runs, the units verify, the man page, the
# completions and the config are where Debian puts them), and removes it
# again (purged), whatever happened.
#   scripts/test_deb.sh dist/steward_VERSION_ARCH.deb
set -eu
deb=$1
[ "$(id -u)" = 0 ] || { echo "run as root: it installs the package"; exit 1; }
if dpkg -s steward >/dev/null 2>&1; then echo "steward is already installed here; not touching it"; exit 1; fi
trap 'dpkg --purge steward >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb"
fail() { echo "FAIL: $*"; exit 1; }
version=$(/usr/bin/steward --version) || fail "steward --version"
case "$deb" in *"_${version}_"*) ;; *) fail "the package is named for another version than $version";; esac
for unit in steward.service steward-upgrades.service steward-upgrades.timer; do
  systemd-analyze verify "/lib/systemd/system/$unit" || fail "systemd-analyze verify $unit"
done
[ -s /etc/steward/api-token ] || fail "no API token was made"
[ "$(stat -c %a /etc/steward/api-token)" = 600 ] || fail "the API token is readable by others"
# The reference manifests validate, but for agent.yaml, which is not a kind: 1 (errors found), not 2 (unreadable).
status=0; /usr/bin/steward validate /usr/share/doc/steward/manifests >/dev/null 2>&1 || status=$?
[ "$status" -le 1 ] || fail "steward validate could not read the manifests"
zcat /usr/share/man/man1/steward.1.gz | grep -q '^\.SS upgrades' || fail "the man page has no upgrades command"
grep -q steward /usr/share/bash-completion/completions/steward || fail "no bash completion"
ldd /usr/bin/steward | grep -q 'libswiftCore' && fail "the binary needs the Swift runtime; build it with --static-swift-stdlib"
dpkg --purge steward >/dev/null
[ ! -e /usr/bin/steward ] && [ ! -e /etc/steward/agent.yaml ] || fail "purge left files behind"
echo "ok: steward $version installs, runs, verifies and purges"

#!/bin/sh
# Builds dist/steward_VERSION_ARCH.deb from a steward binary built with
# --static-swift-stdlib (`make deb` builds it): the binary, the hardened
# units (agent, and the daily upgrade proposals), the env file and an agent
# config to edit (conffiles), shell completions, a man page generated from the
# commands' own help, and the README and reference manifests.
#   scripts/make_deb.sh [BINARY] [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
binary=${1:-.build/release/steward}
out=${2:-dist}
version=$("$binary" --version)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/steward
install -D -m 0755 "$binary" "$root/usr/bin/steward"
# Symbols are for debugging the build, not for running it: a fifth of the size.
strip --strip-unneeded "$root/usr/bin/steward"
for unit in steward.service steward-upgrades.service steward-upgrades.timer; do
  install -d "$root/lib/systemd/system"
  sed 's|/usr/local/bin/steward|/usr/bin/steward|g' "systemd/$unit" > "$root/lib/systemd/system/$unit"
done
install -D -m 0640 systemd/steward.env "$root/etc/steward/steward.env"
install -D -m 0644 manifests/agent.yaml "$root/etc/steward/agent.yaml"
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
"$binary" --generate-completion-script bash > "$root/usr/share/bash-completion/completions/steward"
"$binary" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_steward"
"$binary" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/steward.fish"
install -d "$root/usr/share/man/man1"
"$binary" --experimental-dump-help | python3 scripts/manpage.py "$version" | gzip -9n > "$root/usr/share/man/man1/steward.1.gz"
install -d "$root/usr/share/doc/steward/manifests"
install -m 0644 README.md "$root/usr/share/doc/steward/README.md"
install -m 0644 manifests/*.yaml manifests/*.md "$root/usr/share/doc/steward/manifests/"
install -d "$root/DEBIAN"
printf '/etc/steward/steward.env\n/etc/steward/agent.yaml\n' > "$root/DEBIAN/conffiles"
# The libraries the binary itself needs (NEEDED), besides glibc, by the
# packages that hold them (found under /usr/lib or /lib: the /usr merge).
package_of() {
  path=$(ldd "$binary" | awk -v lib="$1" '$1 == lib && $3 ~ /^\// {print $3}')
  [ -n "$path" ] || return 0
  real=$(readlink -f "$path")
  for candidate in "$path" "$real" "/usr$path" "/usr$real" "${path#/usr}" "${real#/usr}"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$owner" ] && { echo "$owner"; return 0; }
  done
}
depends=$(objdump -p "$binary" | awk '$1 == "NEEDED" {print $2}' | while read -r lib; do package_of "$lib"; done \
  | sort -u | grep -v -e '^libc6$' -e '^$' | paste -sd, - | sed 's/,/, /g')
installed=$(du -sk "$root/usr" "$root/lib" "$root/etc" | awk '{s+=$1} END {print s}')
cat > "$root/DEBIAN/control" <<CONTROL
Package: steward
Version: $version
Architecture: $arch
Maintainer: Steward developers <steward@example.com>
Installed-Size: $installed
Depends: libc6${depends:+, $depends}, git
Section: admin
Priority: optional
Homepage: https://github.com/steward-dev/steward
Description: GitOps reconciliation agent for LLM model versions
 A git repository holds the model registry and the rollouts as YAML; the
 agent watches it, advances canaries step by step on statistical evidence,
 promotes what passed and reverts what failed, each action a commit.
 Includes steward validate/plan for pull requests and the systemd units.
CONTROL
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  # The write token the API needs; made once, kept on upgrades.
  if [ ! -e /etc/steward/api-token ]; then
    umask 077
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > /etc/steward/api-token
    echo >> /etc/steward/api-token
  fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
  echo "steward: edit /etc/steward/agent.yaml, then: systemctl enable --now steward"
fi
POSTINST
cat > "$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "$1" = purge ]; then rm -f /etc/steward/api-token; rmdir /etc/steward 2>/dev/null || true; fi
POSTRM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
mkdir -p "$out"
dpkg-deb --build --root-owner-group "$root" "$out/steward_${version}_${arch}.deb" >/dev/null
echo "$out/steward_${version}_${arch}.deb"

#!/usr/bin/env bash
# The git CLI doing what GitBenchmarks measures StewardGit doing, on the same
# kind of fixture: 1,000 YAML files in one commit and a local bare remote.
# Prints the mean wall time of each operation over RUNS runs.
set -euo pipefail
RUNS=${RUNS:-30}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
git init -q --bare -b main "$root/remote.git"
git init -q -b main "$root/work"
mkdir -p "$root/work/rollouts"
for i in $(seq 0 999); do
  printf 'apiVersion: steward/v1\nkind: Rollout\nmetadata: {name: r%s}\nspec: {model: m%s, stable: 1.0.0}\n' "$i" "$i" > "$root/work/rollouts/rollout-$i.yaml"
done
g() { git -c user.name=b -c user.email=b@example.com "$@"; }
g -C "$root/work" add -A && g -C "$root/work" commit -q -m "1,000 files" && g -C "$root/work" push -q "$root/remote.git" main
git clone -q --bare "$root/remote.git" "$root/mirror.git"
git clone -q "$root/remote.git" "$root/clone"

mean_ms() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$RUNS"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v t=$(( (end - start) / RUNS )) -v l="$label" 'BEGIN { printf "%-55s %8.3f ms\n", l, t / 1e6 }'
}
read_commit() { git -C "$root/mirror.git" ls-tree -r HEAD | awk '{print $3}' | git -C "$root/mirror.git" cat-file --batch; }
n=0
edit_push() {
  n=$((n + 1))
  printf 'stable: 1.%s.0\n' "$n" > "$root/clone/rollouts/rollout-0.yaml"
  g -C "$root/clone" commit -q -am "bench $n" && g -C "$root/clone" push -q origin main
}
mean_ms "git fetch, nothing new (local bare remote)" git -C "$root/mirror.git" fetch -q "$root/remote.git" main
mean_ms "git ls-tree + cat-file --batch of a 1,000-file commit" read_commit
mean_ms "git commit -a + git push to a local bare remote" edit_push

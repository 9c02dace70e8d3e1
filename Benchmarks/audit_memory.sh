#!/usr/bin/env bash
# Measures `steward audit` over 200 commits of the 1,000-model benchmark repository:
# wall time and peak resident memory (the hardening issue's goal: under 200 MB).
# Needs: .build/release/steward (make release), git, python3, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
steward=$PWD/.build/release/steward
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/generate_repo.py "$work/repo" > /dev/null
python3 - "$work/repo" <<'PY'
import os, pathlib, random, re, subprocess, sys
root = pathlib.Path(sys.argv[1])
env = dict(os.environ, GIT_AUTHOR_NAME="p", GIT_AUTHOR_EMAIL="p@example.com", GIT_COMMITTER_NAME="p", GIT_COMMITTER_EMAIL="p@example.com")
git = lambda *a: subprocess.run(["git", "-C", str(root), *a], env=env, check=True, capture_output=True)
git("init", "-q", "-b", "main"); git("add", "-A"); git("commit", "-qm", "the registry")
rng = random.Random(7)
for i in range(199):
    for _ in range(3):  # three rollouts' first step, each commit
        f = root / f"rollouts/rollout-{rng.randrange(1000)}.yaml"
        f.write_text(re.sub(r"setWeight: (\d+)\n", lambda m: f"setWeight: {int(m.group(1)) % 99 + 1}\n", f.read_text(), count=1))
    git("commit", "-qam", f"change {i}")
PY
echo "commits: $(git -C "$work/repo" rev-list --count HEAD)"
/usr/bin/time -o "$work/time.txt" -f "audit: %e s, peak resident %M KB" "$steward" audit --repo "$work/repo" > "$work/audit.txt"
cat "$work/time.txt"
echo "rows: $(($(wc -l < "$work/audit.txt") - 1))"

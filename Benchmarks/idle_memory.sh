#!/usr/bin/env bash
# The agent with the 1,000-rollout repository, as the seams issue asks:
# seconds from start to ready (systemd restarts it after any crash), then
# its anonymous memory while idle, at each of the minutes given (default
# 1 5 10 20 30), to show that it stays flat.
# Needs: .build/release/steward (make release), git, python3, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
steward=$PWD/.build/release/steward
minutes=${*:-1 5 10 20 30}
work=$(mktemp -d)
agent_pid=""
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 scripts/generate_repo.py "$work/big" > /dev/null
git -C "$work/big" init -q -b main && git -C "$work/big" add -A
git -C "$work/big" -c user.name=t -c user.email=t@example.com commit -qm seed
git clone -q --bare "$work/big" "$work/big.git"
echo -n "t0ken" > "$work/token"
cat > "$work/agent.yaml" <<YAML
repository: {url: "file://$work/big.git", branch: main, pollInterval: 30s}
identity: {name: Steward, email: steward@example.com}
listen: 127.0.0.1:0
apiTokenFile: $work/token
stateDirectory: $work/state
YAML
# The first start commits a status for every rollout; the restart after it is the one systemd makes.
for run in first restart; do
  started=$(date +%s.%N)
  "$steward" agent --config "$work/agent.yaml" > "$work/agent-$run.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 600); do [ -s "$work/state/listen" ] && break; sleep 0.05; done
  port=$(cat "$work/state/listen")
  for _ in $(seq 1 6000); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.05; done
  echo "$run start: ready after $(python3 -c "print(round($(date +%s.%N) - $started, 2))") s"
  [ $run = restart ] && break
  sleep 20
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; rm -f "$work/state/listen"
done
begin=$(date +%s)
for m in $minutes; do
  sleep $(( begin + m * 60 - $(date +%s) ))
  echo "after $m min idle: $(grep -E 'RssAnon' /proc/$agent_pid/status | tr -s ' ')"
done

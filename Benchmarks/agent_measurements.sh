#!/usr/bin/env bash
# Measures the agent as the issue asks, with the release binary, on loopback:
#  1. sustained ingest from a second process (wrk, batches of 100 outcomes) and the POST's p99 latency;
#  2. resident memory of the idle agent with 1,000 rollouts loaded;
#  3. time from the deciding evaluation to the canary at 0% in the routing file.
# Needs: .build/release/steward (make release), git, python3, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
steward=$PWD/.build/release/steward
work=$(mktemp -d)
agent_pid=""
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_agent() { # repo-dir state-dir
  cat > "$work/agent.yaml" <<YAML
repository: {url: "file://$1", branch: main, pollInterval: 30s}
identity: {name: Steward, email: steward@example.com}
listen: 127.0.0.1:0
apiTokenFile: $work/token
stateDirectory: $2
YAML
  "$steward" agent --config "$work/agent.yaml" > "$2.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1 600); do [ -s "$2/listen" ] && break; sleep 0.1; done
  port=$(cat "$2/listen")
}
. Benchmarks/measure_common.sh  # the scripts run from the repository root (cd above)
echo -n "t0ken" > "$work/token"

echo "== 1. ingest: wrk, 2 threads, 8 connections, 15 s, 100 outcomes a request"
cp -r examples/quickstart "$work/q" && seed_remote "$work/q" "$work/q.git"
start_agent "$work/q.git" "$work/q-state"
write_ingest_request
wrk -t2 -c8 -d15s --latency -s "$work/post.lua" "http://127.0.0.1:$port/v1/outcomes" | tee "$work/wrk.txt"
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
echo "outcomes/s: $(python3 -c "print(int(float('$rps') * 100))")"
kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""

echo "== 2. idle resident memory with 1,000 rollouts"
python3 scripts/generate_repo.py "$work/big" > /dev/null
seed_remote "$work/big" "$work/big.git"
start_agent "$work/big.git" "$work/big-state"
for _ in $(seq 1 1800); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.2
done
sleep 5
echo "rollouts: $(curl -s "http://127.0.0.1:$port/v1/status" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rollouts"]))')"
grep -E "VmRSS|VmHWM" "/proc/$agent_pid/status"
kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""

echo "== 3. time from the deciding evaluation to the canary at 0% in the routing file"
cp -r examples/quickstart "$work/r"
python3 - "$work/r" <<'PY'
import pathlib, sys
root = pathlib.Path(sys.argv[1])
r = root / "rollouts/customer-support-agent.yaml"; t = r.read_text()
r.write_text(t[:t.index("      steps:")] + "      steps:\n        - setWeight: 20\n        - pause: {duration: 60s}\n        - setWeight: 100\n")
a = root / "analysis/llm-defaults.yaml"
a.write_text(a.read_text().replace("interval: 1m", "interval: 10s").replace("interval: 5m", "interval: 10s"))
p = root / "policies/default.yaml"; t = p.read_text()
p.write_text(t[:t.index("  changeWindows:")])
PY
seed_remote "$work/r" "$work/r.git"
start_agent "$work/r.git" "$work/r-state"
python3 - "$port" <<'PY'
import json, random, sys, time, urllib.request
port, rng, end = int(sys.argv[1]), random.Random(1), time.time() + 60
while time.time() < end:
    items = [{"model": "customer-support-agent", "version": v, "time": time.time(), "latencyMs": rng.lognormvariate(6.7, 0.3),
              "ok": rng.random() >= e, "rating": 4.3} for v, e in (("2.4.0", 0.3), ("2.3.1", 0.01)) for _ in range(100)]
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/outcomes", data=json.dumps({"outcomes": items}).encode(),
                                     headers={"Authorization": "Bearer t0ken"})
    urllib.request.urlopen(request)
    if b'"2.4.0"' not in urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/routes").read():
        break
    time.sleep(0.2)
PY
grep -h "weight=0" "$work/r-state.log" | grep -o "publishedMsAfterDecision=[0-9]*"

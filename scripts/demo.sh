#!/bin/sh
# The Steward agent at work, live, then the tools a pull request's CI runs.
#
# A bare repository seeded from examples/quickstart (with short pauses) is
# watched by the real agent; the reference gateway sends it traffic. A healthy
# canary walks its steps, waits for an eval gate's yes (examples/gates) and is
# promoted by a commit; the other model's canary starts failing, is dropped to
# 0% at once and reverted by a commit.
#
# STEWARD_DEMO_FAST=1 runs it without the live view (for tests and logs);
# STEWARD_DEMO_DIR=DIR puts the demo's repositories in DIR. Ctrl-C stops
# everything it started.
set -u
steward=${STEWARD:-$PWD/.build/debug/steward}
gateway=$PWD/examples/gateway/steward_gateway.py
dir=${STEWARD_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/steward-demo.XXXXXX")}
agent="" traffic="" watcher="" gate=""

stop_all() {
  for pid in $watcher $traffic $gate; do kill "$pid" 2>/dev/null; done
  # The agent finishes the action in flight on SIGTERM.
  [ -n "$agent" ] && kill "$agent" 2>/dev/null
  wait 2>/dev/null
  agent="" traffic="" watcher="" gate=""
}
trap stop_all EXIT
trap 'echo; echo "stopped; the demo repository is in $dir"; exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
remote_log() { git --git-dir "$dir/remote.git" log --format=%s; }

say "An eval gate: it answers no to the first question about a canary, then yes"
mkdir -p "$dir"
python3 examples/gates/eval_gate.py --port-file "$dir/gate-port" --noes 1 > "$dir/gate.log" 2>&1 &
gate=$!
for _ in $(seq 1 50); do [ -s "$dir/gate-port" ] && break; sleep 0.1; done
[ -s "$dir/gate-port" ] || { echo "the gate did not start:"; cat "$dir/gate.log"; exit 1; }
echo "  http://127.0.0.1:$(cat "$dir/gate-port")/ (customer-support-agent's beforePromotion gate)"

say "A model registry in git: examples/quickstart, two canaries started by two people"
python3 scripts/demo_repo.py "$dir" --gate "http://127.0.0.1:$(cat "$dir/gate-port")/evals" || exit 1
git --git-dir "$dir/remote.git" log --format='  %h %an: %s'

say "steward agent watches $dir/remote.git"
"$steward" agent --config "$dir/agent.yaml" > "$dir/agent.log" 2>&1 &
agent=$!
for _ in $(seq 1 100); do [ -s "$dir/state/listen" ] && break; sleep 0.1; done
[ -s "$dir/state/listen" ] || { echo "the agent did not start:"; cat "$dir/agent.log"; exit 1; }
url="http://127.0.0.1:$(cat "$dir/state/listen")"
echo "  listening on $url; log in $dir/agent.log"
echo "  the status page: $url/ (open it in a browser while the demo runs)"

say "The reference gateway sends 100 requests a second to each model"
# The failure starts with the canary's first requests: one that began part-way could race a walk this short
# (5-second pauses, 10-second evidence buckets) and be promoted before its bad minutes were counted.
echo "  code-review-assistant 1.1.1 fails a quarter of its requests"
python3 "$gateway" traffic --agent "$url" --token-file "$dir/token" --rate 100 \
  --model customer-support-agent --model code-review-assistant \
  --profile code-review-assistant/1.1.0:latency=2100 \
  --profile code-review-assistant/1.1.1:latency=2100,errors=0.25 > "$dir/gateway.log" 2>&1 &
traffic=$!

if [ -z "${STEWARD_DEMO_FAST:-}" ]; then
  say "Live (steward status --watch)"
  sleep 1
  "$steward" status --watch --agent "$url" &
  watcher=$!
fi
story=1
for _ in $(seq 1 300); do
  log=$(remote_log)
  if echo "$log" | grep -q "^status: customer-support-agent healthy" && echo "$log" | grep -q "^Revert \"Start canary 1.1.1"; then
    story=0; break
  fi
  kill -0 "$agent" 2>/dev/null || { echo "the agent stopped:"; tail -20 "$dir/agent.log"; break; }
  sleep 0.5
done
[ -n "$watcher" ] && { sleep 1; kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null; watcher=""; }
[ -z "${STEWARD_DEMO_FAST:-}" ] || "$steward" status --agent "$url"
stop_all

echo
echo "What the eval gate was asked and said:"
sed 's/^/  /' "$dir/gate.log"
decided=$(grep ' weight=0$' "$dir/agent.log" | grep -o 'publishedMsAfterDecision=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$decided" ] && echo && echo "The failing canary was at 0% in the routing file ${decided} ms after the deciding evaluation."

say "The audit trail (steward audit --repo $dir/remote.git)"
"$steward" audit --repo "$dir/remote.git" --agent-email steward@example.com

say "git log --oneline --graph"
git --git-dir "$dir/remote.git" log --oneline --graph

say "And in a pull request: steward validate examples/invalid/five-problems"
"$steward" validate examples/invalid/five-problems
echo "(exit $?)"

say "steward plan: what will merging a pull request do?"
clone="$dir/pull-request"
git clone -q "$dir/remote.git" "$clone"
echo "  (someone tries code-review-assistant 1.1.1 again: the agent marked it rolledBack, so plan refuses)"
sed -i '/^  canary: /d; s/^  stable: 1.1.0$/  stable: 1.1.0\n  canary: 1.1.1/' "$clone/rollouts/code-review-assistant.yaml"
"$steward" plan --repo "$clone" --base origin/main
echo "(exit $?)"
echo "  (the cause was fixed outside the version: they say so with retry: true)"
sed -i 's/^  canary: 1.1.1$/  canary: 1.1.1\n  retry: true/' "$clone/rollouts/code-review-assistant.yaml"
"$steward" plan --repo "$clone" --base origin/main
echo "(exit $?: 2 means merging it changes something)"

echo
if [ "$story" = 0 ]; then
  echo "Done. The demo repository is $dir/remote.git (a person's clone: $dir/work); rm -rf $dir when you are finished."
else
  echo "The story did not finish within 150 s; the agent's log is $dir/agent.log"
fi
exit "$story"

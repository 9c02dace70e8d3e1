#!/usr/bin/env bash
# Several agents over PostgreSQL (#23), measured with the release binary on loopback:
#  1. sustained outcome ingest (wrk, batches of 100): one agent on SQLite, one replica on
#     PostgreSQL, and three replicas at once (one wrk each, summed);
#  2. reconcile round time with 10,000 rollouts: one agent on SQLite, one replica on
#     PostgreSQL, and three replicas sharing the shards (from /metrics' round histogram);
#  3. resident memory of each of the three replicas with the 10,000 rollouts;
#  4. takeover time after SIGKILL of the replica holding a rollout, with the default 15 s lease.
# Needs: .build/release/steward (make release), postgresql, wrk, git, python3, curl. SKIP_INGEST=1 skips 1;
# SKIP_REPLICAS=1 stops after the one agent on SQLite.
# Runs as root (PostgreSQL then runs as the postgres user) or as any other user.
set -euo pipefail
cd "$(dirname "$0")/.."
steward=$PWD/.build/release/steward
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/pg/data/postmaster.pid" ] && kill -INT "$(head -1 "$work/pg/data/postmaster.pid")" 2>/dev/null || true
  sleep 1; rm -rf "$work"
}
trap cleanup EXIT

echo "== PostgreSQL: a throwaway cluster"
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/pg"; [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -U steward --auth=trust -E UTF8 --no-sync > /dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w start -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $work/pg -c fsync=off -c max_connections=300" > /dev/null
newdb() { "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U steward "$1"; echo "postgresql://steward@127.0.0.1:$pg_port/$1"; }
echo -n "t0ken" > "$work/token"

. Benchmarks/measure_common.sh  # the scripts run from the repository root (cd above)
start() { # name remote-dir poll [postgres-url] -> sets port, pid
  local name=$1
  cat > "$work/$name.yaml" <<YAML
repository: {url: "file://$2", branch: main, pollInterval: $3}
identity: {name: Steward, email: steward@example.com}
listen: 127.0.0.1:0
apiTokenFile: $work/token
stateDirectory: $work/$name
YAML
  STEWARD_STORE_POSTGRES_URL=${4:-} "$steward" agent --config "$work/$name.yaml" > "$work/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1 600); do [ -s "$work/$name/listen" ] && break; sleep 0.1; done
  port=$(cat "$work/$name/listen")
}
ready() { for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$1/readyz" > /dev/null && return; sleep 0.2; done; }
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

write_ingest_request
outcomes() { awk '/Requests\/sec/ {printf "%d", $2 * 100}' "$1"; }

echo "== 1. ingest, 15 s each"
if [ -z "${SKIP_INGEST:-}" ]; then
cp -r examples/quickstart "$work/q" && seed_remote "$work/q" "$work/q.git"
start sqlite "$work/q.git" 30s; ready "$port"
wrk -t2 -c8 -d15s -s "$work/post.lua" "http://127.0.0.1:$port/v1/outcomes" > "$work/wrk-sqlite.txt"
echo "one agent, SQLite:          $(outcomes "$work/wrk-sqlite.txt") outcomes/s"; stop "$pid"
url=$(newdb ingest)
start one "$work/q.git" 30s "$url"; ready "$port"
wrk -t2 -c8 -d15s -s "$work/post.lua" "http://127.0.0.1:$port/v1/outcomes" > "$work/wrk-one.txt"
echo "one replica, PostgreSQL:    $(outcomes "$work/wrk-one.txt") outcomes/s"
first=$pid
ports=("$port")
for r in 2 3; do start "r$r" "$work/q.git" 30s "$url"; ready "$port"; ports+=("$port"); done
wrks=()
for i in 0 1 2; do wrk -t1 -c4 -d15s -s "$work/post.lua" "http://127.0.0.1:${ports[$i]}/v1/outcomes" > "$work/wrk-$i.txt" & wrks+=($!); done
wait "${wrks[@]}"
total=0; for i in 0 1 2; do total=$((total + $(outcomes "$work/wrk-$i.txt"))); done
echo "three replicas, PostgreSQL: $total outcomes/s (summed)"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=()
fi

echo "== 2-3. 10,000 rollouts: round time and memory"
python3 scripts/generate_repo.py "$work/big" 10000 3 10000 > /dev/null   # one rollout per model
seed_remote "$work/big" "$work/big.git"
rounds() { # port -> "sum count"
  curl -s "http://127.0.0.1:$1/metrics" | awk '/^steward_reconcile_duration_seconds_sum/ {s=$2} /^steward_reconcile_duration_seconds_count/ {c=$2} END {print s, c}'
}
settled() { # port: waits (at most 5 minutes) until rounds come at the poll's pace, past the first rounds' commits
  for _ in $(seq 1 30); do
    local a b; a=$(rounds "$1" | cut -d' ' -f2); sleep 10; b=$(rounds "$1" | cut -d' ' -f2)
    python3 -c "import sys; sys.exit(0 if float('${b:-0}') - float('${a:-0}') >= 3 else 1)" && return
  done
}
measure() { # label ports...
  local label=$1; shift
  local before=() after=()
  for p in "$@"; do before+=("$(rounds "$p")"); done
  sleep 60
  for p in "$@"; do after+=("$(rounds "$p")"); done
  for i in "${!before[@]}"; do
    python3 -c "b=list(map(float,'${before[$i]}'.split())); a=list(map(float,'${after[$i]}'.split())); n=a[1]-b[1]; print(f'$label #{$i}: {n:.0f} rounds in 60 s, mean {1000*(a[0]-b[0])/max(n,1):.0f} ms')"
  done
}
began=$(date +%s)
start big-sqlite "$work/big.git" 2s; ready "$port"; echo "one agent, SQLite: ready $(( $(date +%s) - began )) s after start"; settled "$port"
measure "one agent, SQLite" "$port"
grep -E "VmRSS" "/proc/$pid/status" | sed 's/^/one agent, SQLite: /'
stop "$pid"; pids=()
[ -n "${SKIP_REPLICAS:-}" ] && exit 0
url=$(newdb big)
began=$(date +%s)
start big-one "$work/big.git" 2s "$url"; ready "$port"; echo "one replica, PostgreSQL: ready $(( $(date +%s) - began )) s after start"; settled "$port"
measure "one replica, PostgreSQL" "$port"
stop "$pid"; pids=()
ports=(); rpids=()
for r in 1 2 3; do start "big-r$r" "$work/big.git" 2s "$url"; ports+=("$port"); rpids+=("$pid"); done
for p in "${ports[@]}"; do ready "$p"; done
sleep 60   # the shards spread over the three (a replica's share is renewed, the rest expires and is taken)
for p in "${ports[@]}"; do settled "$p"; done
curl -s "http://127.0.0.1:${ports[0]}/v1/status" | python3 -c 'import json,sys,collections; s=json.load(sys.stdin)["shards"]; print("shards held:", dict(collections.Counter(x["holder"][:8] for x in s if x["holder"])))'
measure "three replicas" "${ports[@]}"
for pid in "${rpids[@]}"; do grep -E "VmRSS" "/proc/$pid/status" | sed "s/^/replica $pid: /"; done

echo "== 4. takeover after SIGKILL, lease 15 s"
holder_of() { # port shard -> holder id
  curl -s "http://127.0.0.1:$1/v1/status" | python3 -c "import json,sys; print(next((x['holder'] or '') for x in json.load(sys.stdin)['shards'] if x['shard']==$2))"
}
victim=""; for i in 0 1 2; do
  id=$(cat "$work/big-r$((i + 1))/agent-id")
  [ "$(holder_of "${ports[0]}" 0)" = "$id" ] && victim=$i
done
[ -n "$victim" ] || { echo "no replica holds shard 0"; exit 1; }
old=$(holder_of "${ports[0]}" 0)
survivor=$(( (victim + 1) % 3 ))
kill -KILL "${rpids[$victim]}"; killed=$(date +%s.%N)
for _ in $(seq 1 600); do
  now=$(holder_of "${ports[$survivor]}" 0)
  [ -n "$now" ] && [ "$now" != "$old" ] && break; sleep 0.1
done
python3 -c "import time; print(f'shard 0 taken over {time.time() - $killed:.1f} s after SIGKILL of its holder')"

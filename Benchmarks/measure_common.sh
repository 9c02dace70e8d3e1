# Shared by agent_measurements.sh and replica_measurements.sh (sourced; `work` must be set).

seed_remote() { # source-dir remote-dir
  git -C "$1" init -q -b main && git -C "$1" add -A
  git -C "$1" -c user.name=t -c user.email=t@example.com commit -qm seed
  git clone -q --bare "$1" "$2"
}

# $work/body.json (100 outcomes for the quickstart's customer-support-agent) and $work/post.lua, wrk's script to POST it.
write_ingest_request() {
  python3 - "$work/body.json" <<'PY'
import json, sys
items = [{"model": "customer-support-agent", "version": "2.4.0" if i % 2 else "2.3.1", "time": "2026-11-22T10:00:00Z",
          "latencyMs": 700 + i, "ok": i % 50 != 0, "rating": 4.5, "hallucination": False, "safetyViolation": False,
          "inputTokens": 400, "outputTokens": 180, "cost": 0.0012} for i in range(100)]
open(sys.argv[1], "w").write(json.dumps({"outcomes": items}))
PY
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer t0ken"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/body.json"); wrk.body = f:read("*a"); f:close()
LUA
}

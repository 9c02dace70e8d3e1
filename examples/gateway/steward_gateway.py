#!/usr/bin/env python3
"""A reference gateway for Steward, standard library only.

It reads a routing table (the agent's JSON file, or the agent's
/v1/routes) and decides, locally and without asking anyone, which model
version serves a request. The algorithm is specified in manifests/routing.md;
this file follows it step by step. In `serve` and `traffic` modes it also
reports each request's outcome to the agent's /v1/outcomes, in batches.

    steward_gateway.py route TABLE.json MODEL KEY     print the version for KEY
    steward_gateway.py check VECTORS.json             check every test vector
    steward_gateway.py vectors > VECTORS.json         write the test vectors
    steward_gateway.py serve --agent URL --token-file F [--listen HOST:PORT] [--profile P ...]
        answer POST /v1/complete {"model": M, "key": K} with the version that
        serves it (the model call itself is simulated from the profiles; a
        real gateway calls its model server there)
    steward_gateway.py traffic --agent URL --token-file F --model M [--model M2]
                       [--rate N] [--seconds S] [--users U] [--profile P ...]
        N synthetic requests a second per model, from U users, for S seconds
        (until interrupted by default)

A profile says how a version behaves: [MODEL/]VERSION:errors=0.08,latency=800,
rating=4.4,hallucination=0.008,safety=0,cost=0.0012,tokens=600 (any subset;
latency is the median in ms). Versions without one behave like the defaults.
`from=S` makes a profile apply S seconds after the start (a version that
starts failing); a version may have several.
"""
import json
import math
import random
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
BUCKETS = 10_000


def fnv1a64(data: bytes, state: int = FNV_OFFSET) -> int:
    for byte in data:
        state = ((state ^ byte) * FNV_PRIME) & MASK
    return state


def fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & MASK
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & MASK
    k ^= k >> 33
    return k


def bucket(salt: str, key: str) -> int:
    return fmix64(fnv1a64((salt + ":" + key).encode("utf-8"))) % BUCKETS


def choose(variants, bucket_number: int) -> str:
    """Variants take consecutive bucket ranges in order; the last takes the rest."""
    upper = 0
    for variant in variants[:-1]:
        upper += variant["basisPoints"]
        if bucket_number < upper:
            return variant["version"]
    return variants[-1]["version"]


def _refuse_duplicate_keys(pairs):
    """JSON readers disagree on a key written twice; a routing table with one is refused, as Steward does."""
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise ValueError(f'the key "{key}" is written twice in one object')
    return dict(pairs)


class RoutingTable:
    def __init__(self, document):
        if document.get("schema") != 1:
            raise ValueError(f"unsupported routing table schema {document.get('schema')!r}")
        self.generation = document["generation"]
        self.revision = document["revision"]
        self.models = {}
        for route in document["models"]:
            if any(not v["version"] for v in route["variants"]):
                raise ValueError(f"model {route['model']}: a variant's version is empty")
            if sum(v["basisPoints"] for v in route["variants"]) != BUCKETS:
                raise ValueError(f"model {route['model']}: shares do not add up to {BUCKETS}")
            self.models[route["model"]] = route

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f, object_pairs_hook=_refuse_duplicate_keys))

    def route(self, model: str, key):
        route = self.models.get(model)
        if route is None:
            return None
        number = random.randrange(BUCKETS) if key is None else bucket(route["salt"], key)
        return choose(route["variants"], number)


def check(path) -> int:
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    passed = failed = 0

    def expect(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", what)

    for v in vectors["hashes"]:
        data = v["input"].encode("utf-8")
        expect(f"{fnv1a64(data):016x}" == v["fnv1a64"], f"fnv1a64 {v}")
        expect(f"{fmix64(int(v['fnv1a64'], 16)):016x}" == v["mixed"], f"fmix64 {v}")
    for v in vectors["buckets"]:
        expect(bucket(v["salt"], v["key"]) == v["bucket"], f"bucket {v}")
    for v in vectors["routes"]:
        got = choose(v["variants"], bucket(v["salt"], v["key"]))
        expect(got == v["version"], f"route {v} gave {got}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def find_key(salt, wanted, prefix="user-"):
    """The first key `prefix + N` whose bucket is `wanted`: for edge vectors."""
    n = 0
    while bucket(salt, f"{prefix}{n}") != wanted:
        n += 1
    return f"{prefix}{n}"


def make_vectors():
    hashes = [{"input": s} for s in ["", "a", "foobar", "salt:", "support:user-42", "ユーザー:7"]]
    for h in hashes:
        raw = fnv1a64(h["input"].encode("utf-8"))
        h["fnv1a64"] = f"{raw:016x}"
        h["mixed"] = f"{fmix64(raw):016x}"
    buckets = [{"salt": s, "key": k, "bucket": bucket(s, k)}
               for s, k in [("", ""), ("m", ""), ("", "k"), ("customer-support-agent", "user-1"),
                            ("customer-support-agent", "user-2"), ("customer-support-agent", "ユーザー-1"),
                            ("salt-b", "user-1"), ("x" * 64, "y" * 200)]]
    canary = [{"version": "2.4.0", "basisPoints": 500}, {"version": "2.3.1", "basisPoints": 9500}]
    experiment = [{"version": "a", "basisPoints": 3333}, {"version": "b", "basisPoints": 3333},
                  {"version": "c", "basisPoints": 3334}]
    zero_first = [{"version": "off", "basisPoints": 0}, {"version": "stable", "basisPoints": 10000}]
    full = [{"version": "new", "basisPoints": 10000}, {"version": "old", "basisPoints": 0}]
    routes = []
    salt = "customer-support-agent"
    # Keys on both sides of every range edge: off-by-one mistakes show here.
    for variants, edges in [(canary, [0, 499, 500, 9999]), (experiment, [3332, 3333, 6665, 6666, 9999]),
                            (zero_first, [0, 1]), (full, [0, 9999])]:
        for edge in edges:
            key = find_key(salt, edge)
            routes.append({"salt": salt, "key": key, "bucket": edge, "variants": variants,
                           "version": choose(variants, edge)})
    return {"algorithm": "bucket = fmix64(fnv1a64(utf8(salt + ':' + key))) mod 10000",
            "hashes": hashes, "buckets": buckets, "routes": routes}


DEFAULT_PROFILE = {"errors": 0.01, "latency": 800.0, "rating": 4.4, "hallucination": 0.008, "safety": 0.0,
                   "cost": 0.0012, "tokens": 600.0}


def parse_profile(text):
    """`[MODEL/]VERSION:key=value,...` -> (key, seconds from the start, profile)."""
    target, _, settings = text.partition(":")
    profile, start = dict(DEFAULT_PROFILE), 0.0
    for item in filter(None, settings.split(",")):
        name, _, value = item.partition("=")
        if name not in DEFAULT_PROFILE and name != "from":
            raise ValueError(f"profile {text!r}: unknown setting {name!r}; known: {', '.join(DEFAULT_PROFILE)}, from")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"profile {text!r}: {name} must be a number, found {value!r}") from None
        if name == "from":
            start = number
        else:
            profile[name] = number
    if not target:
        raise ValueError(f"profile {text!r}: no version before ':'")
    return target, start, profile


class Profiles:
    """Each version's behaviour, as it changes over time."""

    def __init__(self, texts):
        self.started = time.time()
        self.by_target = {}
        for target, start, profile in map(parse_profile, texts):
            self.by_target.setdefault(target, []).append((start, profile))
        for phases in self.by_target.values():
            phases.sort(key=lambda phase: phase[0])

    def of(self, model, version):
        phases = self.by_target.get(f"{model}/{version}") or self.by_target.get(version) or []
        elapsed = time.time() - self.started
        current = [profile for start, profile in phases if start <= elapsed]
        return current[-1] if current else DEFAULT_PROFILE


class Agent:
    """The agent's HTTP API: routes in (long-polled), outcomes out (batched)."""

    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token
        self.table, self.etag = None, None
        self.ready = threading.Event()
        self.pending, self.lock = [], threading.Lock()
        self.stopping = threading.Event()
        self.sent = self.dropped = 0

    def start(self):
        threading.Thread(target=self._follow_routes, daemon=True).start()
        threading.Thread(target=self._ship_outcomes, daemon=True).start()

    def _follow_routes(self):
        while not self.stopping.is_set():
            request = urllib.request.Request(self.url + "/v1/routes?wait=30s")
            if self.etag:
                request.add_header("If-None-Match", self.etag)
            try:
                with urllib.request.urlopen(request, timeout=40) as response:
                    self.table = RoutingTable(json.loads(response.read(), object_pairs_hook=_refuse_duplicate_keys))
                    self.etag = response.headers.get("ETag")
                    self.ready.set()
            except urllib.error.HTTPError as error:
                if error.code != 304:
                    time.sleep(1)
            except (OSError, ValueError):
                time.sleep(1)  # the agent is restarting, or sent a table we refuse: keep the last good one

    def record(self, outcome):
        with self.lock:
            if len(self.pending) >= 100_000:  # the agent is away: keep memory bounded
                self.dropped += 1
                return
            self.pending.append(outcome)

    def _ship_outcomes(self):
        while not self.stopping.wait(0.5):
            self.flush()

    def flush(self):
        with self.lock:
            batch, self.pending = self.pending[:5000], self.pending[5000:]
        if not batch:
            return
        body = json.dumps({"outcomes": batch}).encode()
        request = urllib.request.Request(self.url + "/v1/outcomes", data=body, method="POST", headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10):
                self.sent += len(batch)
        except urllib.error.HTTPError as error:
            # Refused as a whole (a wrong token, say): sending it again would not help.
            self.dropped += len(batch)
            print(f"gateway: the agent refused {len(batch)} outcomes: HTTP {error.code}", file=sys.stderr)
        except OSError:
            with self.lock:  # try again with the next batch
                self.pending = batch + self.pending


class Gateway:
    """Routes a request by the agent's table, calls the version, records the outcome."""

    def __init__(self, agent, profiles):
        self.agent, self.profiles = agent, profiles

    def handle(self, model, key):
        table = self.agent.table
        version = table.route(model, key) if table else None
        if version is None:
            return None
        p = self.profiles.of(model, version)
        outcome = {"model": model, "version": version, "time": time.time(),
                   "latencyMs": round(p["latency"] * math.exp(random.gauss(0, 0.25)), 1),
                   "ok": random.random() >= p["errors"],
                   "rating": round(min(5, max(1, random.gauss(p["rating"], 0.4))), 2),
                   "hallucination": random.random() < p["hallucination"],
                   "safetyViolation": random.random() < p["safety"],
                   "inputTokens": int(p["tokens"] * 0.7), "outputTokens": int(p["tokens"] * 0.3),
                   "cost": p["cost"]}
        self.agent.record(outcome)
        return outcome


def options(argv):
    """--name value pairs; --model and --profile may repeat."""
    found = {"model": [], "profile": []}
    it = iter(argv)
    for flag in it:
        if not flag.startswith("--"):
            raise ValueError(f"unexpected {flag!r}")
        value = next(it, None)
        if value is None:
            raise ValueError(f"{flag} needs a value")
        name = flag[2:]
        if name in found and isinstance(found[name], list):
            found[name].append(value)
        else:
            found[name] = value
    return found


def connect(found):
    profiles = Profiles(found["profile"])
    with open(found["token-file"], encoding="utf-8") as f:
        agent = Agent(found["agent"], f.read().strip())
    agent.start()
    if not agent.ready.wait(30):
        raise SystemExit(f"gateway: no routes from {found['agent']} after 30 s")
    return agent, Gateway(agent, profiles)


def traffic(found):
    agent, gateway = connect(found)
    rate, users = float(found.get("rate", "100")), int(found.get("users", "10000"))
    end = time.time() + float(found.get("seconds", "inf"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    tick = 0.1
    while not stop.is_set() and time.time() < end:
        for model in found["model"]:
            # Poisson arrivals: realistic bursts, the same mean.
            for _ in range(poisson(rate * tick)):
                gateway.handle(model, f"user-{random.randrange(users)}")
        stop.wait(tick)
    agent.stopping.set()
    agent.flush()
    print(f"gateway: {agent.sent} outcomes sent, {agent.dropped} dropped", file=sys.stderr)
    return 0


def poisson(mean):
    limit, k, p = math.exp(-mean), 0, random.random()
    while p > limit:
        k += 1
        p *= random.random()
    return k


def serve(found):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    agent, gateway = connect(found)
    host, _, port = found.get("listen", "127.0.0.1:8080").rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
                if self.path != "/v1/complete" or not 0 < length <= 1 << 20:
                    return self.answer(404 if self.path != "/v1/complete" else 413, {"error": "POST /v1/complete, at most 1 MiB"})
                request = json.loads(self.rfile.read(length))
                outcome = gateway.handle(str(request["model"]), str(request.get("key", "")) or None)
            except (ValueError, KeyError, TypeError) as error:
                return self.answer(400, {"error": f"expected {{\"model\": ..., \"key\": ...}}: {error}"})
            if outcome is None:
                return self.answer(404, {"error": f"no model {request['model']!r} in the routing table"})
            self.answer(200 if outcome["ok"] else 502, outcome)

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, int(port)), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"gateway: serving on http://{host}:{server.server_address[1]}/v1/complete", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    agent.stopping.set()
    agent.flush()
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] in ("serve", "traffic"):
        # A parent may have started us with these blocked; we stop cleanly on them.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            found = options(argv[2:])
            for required in ("agent", "token-file") + (("model",) if argv[1] == "traffic" else ()):
                if not found.get(required):
                    raise ValueError(f"--{required} is required")
            return traffic(found) if argv[1] == "traffic" else serve(found)
        except (ValueError, OSError) as error:
            print(f"steward_gateway.py {argv[1]}: {error}", file=sys.stderr)
            return 2

    if len(argv) == 5 and argv[1] == "route":
        version = RoutingTable.load(argv[2]).route(argv[3], argv[4])
        print(version if version is not None else f"no model {argv[3]} in the table")
        return 0 if version is not None else 1
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 2 and argv[1] == "vectors":
        print(json.dumps(make_vectors(), indent=2, ensure_ascii=False))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

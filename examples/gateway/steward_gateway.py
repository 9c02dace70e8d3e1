#!/usr/bin/env python3
"""A second implementation of Steward's routing, as a gateway would embed it.

It reads a routing table (the agent's JSON file) and decides, locally and
without asking anyone, which model version serves a request. The algorithm
is specified in manifests/routing.md; this file follows it step by step.

    steward_gateway.py route TABLE.json MODEL KEY     print the version for KEY
    steward_gateway.py check VECTORS.json             check every test vector
    steward_gateway.py vectors > VECTORS.json         write the test vectors
"""
import json
import random
import sys

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


def main(argv):
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

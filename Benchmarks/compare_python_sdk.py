#!/usr/bin/env python3
"""The routing decision a Python gateway would otherwise make with a flag SDK.

Measures GrowthBook's Python SDK (pip install growthbook) deciding a 5/95
split on a user id, and Steward's own Python reference implementation, in
nanoseconds per decision. Compare with `make bench` (RoutingBenchmarks).
"""
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "examples" / "gateway"))
import steward_gateway as sg  # noqa: E402
from growthbook import Experiment, GrowthBook  # noqa: E402

N = 200_000
keys = [f"user-{i * 7919}" for i in range(1024)]

# GrowthBook: a 5% / 95% experiment on the user's id, as a canary split would be.
exp = Experiment(key="customer-support-agent", variations=["2.4.0", "2.3.1"], weights=[0.05, 0.95])
gbs = [GrowthBook(attributes={"id": k}) for k in keys]
start = time.perf_counter()
for i in range(N):
    gbs[i & 1023].run(exp)
gb_ns = (time.perf_counter() - start) / N * 1e9

# The same decision with one GrowthBook object whose attributes change per request.
gb = GrowthBook(attributes={"id": keys[0]})
start = time.perf_counter()
for i in range(N):
    gb.set_attributes({"id": keys[i & 1023]})
    gb.run(exp)
gb2_ns = (time.perf_counter() - start) / N * 1e9

# Steward's Python reference implementation, for scale.
table = sg.RoutingTable({"schema": 1, "generation": 1, "revision": "r", "models": [
    {"model": "m", "stickyKey": "user_id", "salt": "m",
     "variants": [{"version": "2.4.0", "basisPoints": 500}, {"version": "2.3.1", "basisPoints": 9500}]}]})
start = time.perf_counter()
for i in range(N):
    table.route("m", keys[i & 1023])
sg_ns = (time.perf_counter() - start) / N * 1e9
print(f"growthbook run (object per user): {gb_ns:.0f} ns/decision")
print(f"growthbook run (set_attributes + run): {gb2_ns:.0f} ns/decision")
print(f"steward_gateway.py route: {sg_ns:.0f} ns/decision")

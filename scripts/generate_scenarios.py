#!/usr/bin/env python3
"""Writes the public scenario suite: examples/simulations/scenarios/*.yaml.

Each file is one closed-loop scenario for `steward simulate --scenario`,
against the quickstart's customer-support-agent rollout. Regressions cross
the quickstart template's thresholds; healthy canaries include noise, blips,
data gaps, incidents that hit both versions and low traffic. Run it again
after changing it; the files are committed so that the suite is public.
"""
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "examples", "simulations", "scenarios")
MINUTES = 480
scenarios = []


def add(name, rpm, regression, canary=None, stable=None, events=(), minutes=MINUTES, note=""):
    scenarios.append(dict(name=name, rpm=rpm, regression=regression, canary=canary or {}, stable=stable or {},
                          events=list(events), minutes=minutes, note=note))


def flow(d):
    return "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"


# Regressions, each crossing a threshold of llm-defaults.
for rate in (0.07, 0.10, 0.15, 0.30):
    for rpm in (200, 500, 2000):
        add(f"errors-{int(rate * 100)}pct-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, errorRate=rate)],
            note=f"error rate 1% -> {rate:.0%} from the start (threshold 5%)")
for rpm in (300, 1000):
    add(f"errors-10pct-after-40m-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 40}, errorRate=0.10)],
        note="error rate jumps to 10% after 40 minutes")
for factor in (1.8, 2.5, 4):
    for rpm in (200, 500, 2000):
        add(f"latency-x{factor}-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, latencyMs=800 * factor)],
            note=f"latency {factor}x stable (threshold p95 1.5x)")
for rating in (3.0, 2.5):
    for rpm in (200, 1000):
        add(f"rating-{rating}-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, rating=rating)],
            note=f"mean rating {rating} (threshold 3.5)")
for factor in (3, 5):
    for rpm in (300, 1000, 2000):
        add(f"hallucinations-x{factor}-{rpm}rpm", rpm, True,
            events=[dict(version="canary", **{"from": 0}, hallucinationRate=round(0.0085 * factor, 5))],
            note=f"hallucination rate {factor}x stable (threshold 2x)")
for factor in (5, 10):
    for rpm in (300, 1000, 2000):
        add(f"safety-x{factor}-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, safetyRate=round(0.0005 * factor, 5))],
            note=f"safety violations {factor}x stable (threshold 2x)")
for rpm in (300, 1000):
    add(f"errors-drift-to-12pct-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, to=120, drift="true", errorRate=0.12)],
        note="error rate drifts from 1% to 12% over two hours")
    add(f"latency-drift-to-x3-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, to=120, drift="true", latencyMs=2400)],
        note="latency drifts to 3x over two hours")
    add(f"errors-12pct-at-15pct-weight-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, minWeight=15, errorRate=0.12)],
        note="fine at 5%; 12% errors once the canary has 15% of the traffic (load)")
    add(f"latency-x3-at-35pct-weight-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 0}, minWeight=35, latencyMs=2400)],
        note="fine until the canary has 35% of the traffic, then 3x slower")
    add(f"safety-burst-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 30}, to=50, safetyRate=0.02)],
        note="a 20-minute burst of safety violations (2%) on the canary")
    add(f"hallucination-burst-{rpm}rpm", rpm, True, events=[dict(version="canary", **{"from": 20}, to=35, hallucinationRate=0.1)],
        note="a 15-minute burst of hallucinations (10%) on the canary")
add("errors-15pct-low-traffic-20rpm", 20, True, events=[dict(version="canary", **{"from": 0}, errorRate=0.15)],
    note="low traffic: 20 requests a minute, so 1 a minute at 5%")
add("latency-x3-low-traffic-20rpm", 20, True, events=[dict(version="canary", **{"from": 0}, latencyMs=2400)],
    note="low traffic, 3x slower")

# Healthy canaries.
for seed_variant in (1, 2):
    for rpm in (200, 250, 300, 400, 500, 750, 1000, 1500, 2000):
        add(f"healthy-{rpm}rpm-{seed_variant}", rpm, False, note="the canary behaves as stable does")
for rpm in (200, 500, 2000):
    add(f"healthy-noisy-{rpm}rpm", rpm, False, canary=dict(errorRate=0.013, latencyMs=880, rating=4.1, cost=0.0018, tokens=700),
        note="slightly different but within every threshold")
    add(f"healthy-better-{rpm}rpm", rpm, False, canary=dict(errorRate=0.007, latencyMs=700, rating=4.4),
        note="better than stable")
for rpm in (300, 1000):
    add(f"healthy-blips-{rpm}rpm", rpm, False,
        events=[dict(version="canary", **{"from": m}, to=m + 1, errorRate=0.3) for m in (20, 50, 80)],
        note="three single-minute blips of 30% errors on the canary")
    add(f"healthy-latency-blips-{rpm}rpm", rpm, False,
        events=[dict(version="canary", **{"from": m}, to=m + 1, latencyMs=4000) for m in (25, 70)],
        note="two single-minute latency spikes on the canary")
    add(f"healthy-gap-15m-{rpm}rpm", rpm, False, events=[dict(gap="true", **{"from": 20}, to=35)],
        note="no outcomes reach the agent for 15 minutes")
    add(f"healthy-gap-20m-late-{rpm}rpm", rpm, False, events=[dict(gap="true", **{"from": 60}, to=80)],
        note="no outcomes for 20 minutes at 15%")
    add(f"healthy-error-incident-both-{rpm}rpm", rpm, False, events=[dict(version="both", **{"from": 45}, to=55, errorRate=0.15)],
        note="a 10-minute incident: 15% errors on both versions")
    add(f"healthy-latency-incident-both-{rpm}rpm", rpm, False, events=[dict(version="both", **{"from": 70}, to=85, latencyMs=2400)],
        note="a 15-minute incident: both versions 3x slower")
    add(f"healthy-hallucination-incident-both-{rpm}rpm", rpm, False,
        events=[dict(version="both", **{"from": 30}, to=50, hallucinationRate=0.05)],
        note="a 20-minute incident: hallucinations up on both versions")
    add(f"healthy-stable-degrades-{rpm}rpm", rpm, False, events=[dict(version="stable", **{"from": 60}, errorRate=0.02)],
        note="stable gets a little worse; the canary does not")
    add(f"healthy-higher-base-error-{rpm}rpm", rpm, False, stable=dict(errorRate=0.03),
        note="both versions at 3% errors, under the 5% threshold")
    add(f"healthy-heavy-tail-{rpm}rpm", rpm, False, stable=dict(latencySpread=0.7),
        note="a heavy latency tail on both versions")
for variant in (1, 2, 3):
    add(f"healthy-low-traffic-20rpm-{variant}", 20, False, note="low traffic: no false rollback expected; too little data to promote")

os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    if old.endswith(".yaml"):
        os.remove(os.path.join(OUT, old))
for index, s in enumerate(scenarios, start=1):
    lines = [
        "# yaml-language-server: $schema=../../../manifests/schemas/scenario.schema.json",
        f"# {s['note']}" if s["note"] else "#",
        "apiVersion: steward/v1",
        "kind: Scenario",
        f"metadata: {{name: {s['name']}}}",
        "spec:",
        "  rollout: customer-support-agent",
        f"  minutes: {s['minutes']}",
        f"  requestsPerMinute: {s['rpm']}",
        f"  seed: {1000 + index * 7919}",
        f"  regression: {'true' if s['regression'] else 'false'}",
    ]
    for version in ("stable", "canary"):
        if s[version]:
            lines.append(f"  {version}: {flow(s[version])}")
    if s["events"]:
        lines.append("  events:")
        lines += [f"    - {flow(e)}" for e in s["events"]]
    with open(os.path.join(OUT, f"{index:03d}-{s['name']}.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
print(f"{len(scenarios)} scenarios ({sum(s['regression'] for s in scenarios)} regressions) in {OUT}")

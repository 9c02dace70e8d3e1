#!/usr/bin/env python3
"""Drives traffic through a LiteLLM Router with Steward attached: two
OpenAI-compatible stub servers on loopback (stable, and a canary failing
--canary-errors of its requests), one deployment each, many users, until the
agent's status says the rollout was promoted or rolled back (or --seconds
pass). Checks on the way that every user keeps their version while the
canary's weight grows, and that the split follows the table. Prints a JSON
summary; exit status 0 when the checks held.

    litellm_traffic.py --agent http://127.0.0.1:7480 --token-file token \\
        --model customer-support-agent --stable 2.3.1 --canary 2.4.0 --canary-errors 0.08
"""
import argparse
import asyncio
import http.server
import json
import os
import sys
import threading
import time
import urllib.request

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steward_litellm import Steward  # noqa: E402


class Stub(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible chat completion; fails `errors` of its requests (by count, evenly)."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.served += 1
            fail = self.server.errors > 0 and (self.server.served * self.server.errors) % 1 < self.server.errors
        body = json.dumps({"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": request.get("model", ""),
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "Your order ships tomorrow."}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}}).encode()
        self.send_response(500 if fail else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def stub(errors):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.errors, server.served, server.lock = errors, 0, threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def phase(agent, token, rollout):
    request = urllib.request.Request(agent.rstrip("/") + "/v1/status", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            report = json.loads(response.read())
    except (OSError, ValueError):
        return None, 0, None  # the agent is away for a moment: ask again next second
    for entry in report.get("rollouts", []):
        if entry.get("name") == rollout:
            return entry.get("phase"), entry.get("canaryWeight", 0), entry.get("stable")
    return None, 0, None


def canary_share(table, model, canary):
    """The canary's share of the model's traffic in the table, from 0 to 1."""
    if table is None or model not in table.models:
        return 0.0
    return sum(v["basisPoints"] for v in table.models[model]["variants"] if v["version"] == canary) / 10_000


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("--agent", "--token-file", "--model", "--stable", "--canary"):
        parser.add_argument(name, required=True)
    parser.add_argument("--canary-errors", type=float, default=0.0)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=400, help="requests a second")
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    token = open(args.token_file, encoding="utf-8").read().strip()
    stable, canary = stub(0.0), stub(args.canary_errors)
    from litellm import Router
    router = Router(model_list=[
        {"model_name": args.model, "model_info": {"id": "stable", "steward_version": args.stable},
         "litellm_params": {"model": "openai/stable", "api_base": f"http://127.0.0.1:{stable.server_port}/v1", "api_key": "stub"}},
        {"model_name": args.model, "model_info": {"id": "canary", "steward_version": args.canary},
         "litellm_params": {"model": "openai/canary", "api_base": f"http://127.0.0.1:{canary.server_port}/v1", "api_key": "stub"}},
    ], num_retries=0)
    steward = Steward(args.agent, args.token_file).attach(router)
    seen, moved_back, split_checks, split_misses = {}, 0, 0, []
    latencies, phases, highest_share = [], [], 0.0
    deadline, i, end = time.time() + args.seconds, 0, None
    while time.time() < deadline and end is None:
        started = time.time()
        table = steward.agent.table
        share = canary_share(table, args.model, args.canary)
        # Users may only move back to stable when the canary's share fell (a rollback).
        monotone = share >= highest_share
        highest_share = max(highest_share, share)
        counts = {args.stable: 0, args.canary: 0}
        batch = []
        for _ in range(args.rate):
            user = f"user-{i % args.users}"
            i += 1
            t0 = time.perf_counter()
            deployment = steward.routing.pick(args.model, {"user": user})
            latencies.append(time.perf_counter() - t0)
            version = deployment["model_info"]["steward_version"]
            counts[version] += 1
            # Sticky and monotonic: once on the canary, a user stays there while its weight does not fall.
            if seen.get(user) == args.canary and version == args.stable and monotone:
                moved_back += 1
            seen[user] = version
            # The application's rating of the answer, as it would pass it (a critical metric of the template).
            rating = {"steward_rating": 4.0 + (i % 10) / 10}
            batch.append(router.acompletion(model=args.model, messages=[{"role": "user", "content": "Where is my order?"}], user=user,
                                            metadata=rating))
        # The canary's failures come back as exceptions: the callback has reported them.
        await asyncio.gather(*batch, return_exceptions=True)
        if table is not None and args.model in table.models:
            observed = counts[args.canary] / args.rate
            split_checks += 1
            if abs(observed - share) > 0.12:
                split_misses.append((round(share, 3), round(observed, 3)))
        current = phase(args.agent, token, args.model)
        if not phases or phases[-1] != list(current):
            phases.append(list(current))
        # Promoted: the canary became stable. Rolled back: the canary is gone (its revert landed) and stable is as it was.
        if current[2] == args.canary:
            end = "promoted"
        elif current[0] == "rolledBack" or (current[0] == "healthy" and current[2] == args.stable and any(p[1] > 0 for p in phases)):
            end = "rolledBack"
        await asyncio.sleep(max(0.0, 1.0 - (time.time() - started)))
    steward.agent.flush()
    latencies.sort()
    summary = {"end": end, "requests": i, "sent": steward.agent.sent, "dropped": steward.agent.dropped, "movedBack": moved_back,
               "splitChecks": split_checks, "splitMisses": split_misses, "phases": phases,
               "pickMicrosecondsP50": round(latencies[len(latencies) // 2] * 1e6, 1) if latencies else None,
               "pickMicrosecondsP99": round(latencies[int(len(latencies) * 0.99)] * 1e6, 1) if latencies else None}
    print(json.dumps(summary))
    return 0 if moved_back == 0 and not split_misses and end is not None else 1



if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

#!/usr/bin/env python3
"""Pre-upgrade validation for Steward: the same prompts to the candidate and
to stable, over any OpenAI-compatible endpoint (POST /v1/chat/completions),
each answer scored, and a paired test of the two. Standard library only.

Each line of the prompt set (JSON Lines) is one prompt and how to score it:

    {"id": "refund-window", "prompt": "How many days do I have to return an item?",
     "expect": {"regex": "\\b30\\b"}}
    {"id": "order-json", "prompt": "Reply with the order as JSON ...",
     "expect": {"json": {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}}}}
    {"id": "greeting", "prompt": "Say hello.", "expect": {"exact": "Hello!"}}
    {"id": "tone", "prompt": "A customer is angry ...", "expect": {"judge": true}}

`exact` compares the trimmed answer, `regex` searches it, `json` parses it
and checks a small JSON-schema subset (type, required, properties, items,
enum), and `judge` runs --judge COMMAND (no shell) with {"prompt", "answer"}
on its standard input: exit status 0 is a pass.

The paired test is McNemar's exact test on the prompts where the two
versions disagree: the candidate fails when it loses significantly more of
them than it wins (one-sided p below --alpha), or scores more than
--margin below stable. The figures are printed either way.

As a command (exit status 0 pass, 1 fail, 2 cannot evaluate):

    prompt_eval.py run --endpoint http://127.0.0.1:8000 --prompts prompts.jsonl \\
        --model customer-support-agent --candidate 2.4.0 --stable 2.3.1

As a Steward gate (a `beforeRollout` or `beforePromotion` gate's URL): it
answers each gate question by evaluating its canary against its stable,
200 with the figures for a pass, 503 for a fail:

    prompt_eval.py serve --port 9300 --endpoint ... --prompts prompts.jsonl

--served-name maps a model and version to the name the endpoint serves
(default "{model}-{version}"); --token-file holds a bearer token.
"""
import argparse
import http.server
import json
import math
import re
import subprocess
import sys
import urllib.error
import urllib.request


class CannotEvaluate(Exception):
    """The endpoint or the prompt set cannot be used: no verdict either way."""


def load_prompts(path):
    prompts = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item.get("prompt"), str) or not isinstance(item.get("expect"), dict):
                    raise ValueError("needs a prompt (text) and expect (an object)")
            except ValueError as error:
                raise CannotEvaluate(f"{path}:{number}: {error}")
            item.setdefault("id", f"line {number}")
            prompts.append(item)
    if not prompts:
        raise CannotEvaluate(f"{path}: no prompts")
    return prompts


def ask(endpoint, name, prompt, token, timeout):
    body = json.dumps({"model": name, "messages": [{"role": "user", "content": prompt}], "temperature": 0}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(endpoint.rstrip("/") + "/v1/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read(1 << 20))
        return answer["choices"][0]["message"]["content"] or ""
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as error:
        raise CannotEvaluate(f"{name}: the endpoint did not answer a completion ({error})")


def schema_holds(value, schema):
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    kind = schema.get("type")
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "integer" and not float(value).is_integer()):
            return False
    elif kind is not None and not isinstance(value, kinds.get(kind, object)):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, dict):
        if any(key not in value for key in schema.get("required", [])):
            return False
        for key, sub in schema.get("properties", {}).items():
            if key in value and not schema_holds(value[key], sub):
                return False
    if isinstance(value, list) and "items" in schema:
        return all(schema_holds(item, schema["items"]) for item in value)
    return True


def passes(item, answer, judge):
    expect = item["expect"]
    if "exact" in expect:
        return answer.strip() == str(expect["exact"]).strip()
    if "regex" in expect:
        return re.search(expect["regex"], answer) is not None
    if "json" in expect:
        try:
            return schema_holds(json.loads(answer), expect["json"])
        except ValueError:
            return False
    if expect.get("judge"):
        if not judge:
            raise CannotEvaluate(f"{item['id']}: needs --judge")
        run = subprocess.run(judge, input=json.dumps({"prompt": item["prompt"], "answer": answer}).encode(),
                             capture_output=True, timeout=60)
        return run.returncode == 0
    raise CannotEvaluate(f"{item['id']}: expect needs exact, regex, json or judge")


def mcnemar_worse(candidate_losses, candidate_wins):
    """One-sided exact p that the candidate is no worse, given the discordant pairs."""
    n = candidate_losses + candidate_wins
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(candidate_losses, n + 1)) / 2 ** n


def evaluate(args, model, candidate, stable):
    prompts = load_prompts(args.prompts)
    token = open(args.token_file, encoding="utf-8").read().strip() if args.token_file else None
    names = {version: args.served_name.format(model=model, version=version) for version in (candidate, stable)}
    wins = losses = candidate_score = stable_score = 0
    lost = []
    for item in prompts:
        scored = {version: passes(item, ask(args.endpoint, names[version], item["prompt"], token, args.timeout), args.judge)
                  for version in (candidate, stable)}
        candidate_score += scored[candidate]
        stable_score += scored[stable]
        if scored[candidate] and not scored[stable]:
            wins += 1
        elif scored[stable] and not scored[candidate]:
            losses += 1
            lost.append(item["id"])
    total = len(prompts)
    p = mcnemar_worse(losses, wins)
    worse = p < args.alpha or (stable_score - candidate_score) / total > args.margin
    figures = (f"{candidate} {candidate_score}/{total} against {stable} {stable_score}/{total} on the same prompts; "
               f"{losses} lost, {wins} won (paired p = {p:.3g})")
    if lost:
        figures += "; lost: " + ", ".join(lost[:5]) + (" …" if len(lost) > 5 else "")
    return not worse, ("worse than stable: " if worse else "as good as stable: ") + figures


def serve(args):
    class Gate(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = min(int(self.headers.get("Content-Length") or 0), 1 << 16)
            try:
                question = json.loads(self.rfile.read(length) or b"{}")
                model = str(question.get("model") or args.model or question["rollout"])
                candidate, stable = str(question["canary"]), str(question["stable"])
            except (ValueError, KeyError, TypeError):
                return self.answer(400, "not a Steward gate question")
            try:
                ok, said = evaluate(args, model, candidate, stable)
            except CannotEvaluate as error:
                return self.answer(503, f"cannot evaluate: {error}")
            self.answer(200 if ok else 503, said)

        def answer(self, status, text):
            body = (text + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print(f"{status} {text}", flush=True)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Gate)
    if args.port_file:
        with open(args.port_file, "w") as out:
            out.write(f"{server.server_address[1]}\n")
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "serve"):
        command = commands.add_parser(name)
        command.add_argument("--endpoint", required=True, help="the OpenAI-compatible server, e.g. http://127.0.0.1:8000")
        command.add_argument("--prompts", required=True, help="the prompt set, JSON Lines")
        command.add_argument("--served-name", default="{model}-{version}", help="the name the endpoint serves a version by")
        command.add_argument("--token-file", help="a file holding the endpoint's bearer token")
        command.add_argument("--judge", nargs="+", help="a command scoring one answer (JSON on stdin; exit 0 passes)")
        command.add_argument("--alpha", type=float, default=0.05, help="paired test: fail below this p (default 0.05)")
        command.add_argument("--margin", type=float, default=0.05, help="fail when this share more prompts pass on stable")
        command.add_argument("--timeout", type=float, default=30, help="seconds per completion")
        command.add_argument("--model", help="the model's name (a gate question's rollout otherwise)")
        if name == "run":
            command.add_argument("--candidate", required=True)
            command.add_argument("--stable", required=True)
        else:
            command.add_argument("--port", type=int, default=0)
            command.add_argument("--port-file")
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args)
    try:
        ok, said = evaluate(args, args.model or "", args.candidate, args.stable)
    except (CannotEvaluate, OSError) as error:
        print(f"prompt-eval: cannot evaluate: {error}", file=sys.stderr)
        return 2
    print(("pass: " if ok else "fail: ") + said)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

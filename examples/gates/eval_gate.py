#!/usr/bin/env python3
"""A gate for Steward's rollouts, standing in for a team's eval service.

Steward POSTs each gate a JSON question when a rollout reaches the gate's
point (see manifests/analysis.md, "Gates"):

    {"rollout": "customer-support-agent", "gate": "eval-suite",
     "point": "beforePromotion", "canary": "2.4.0", "stable": "2.3.1",
     "step": 6, "revision": "<commit>"}

A 2xx answer within the gate's timeout is a yes; anything else is a no, and
the rollout waits (the analysis goes on meanwhile). This one answers no to
the first --noes questions about each canary (as an eval suite still
running would), then yes. It keeps to the standard library.

    eval_gate.py [--port 0] [--port-file FILE] [--noes 1]
"""
import argparse
import http.server
import json
import sys
import threading


def handler(noes: int):
    asked: dict[tuple[str, str, str], int] = {}
    lock = threading.Lock()

    class Gate(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = min(int(self.headers.get("Content-Length") or 0), 1 << 16)
            try:
                question = json.loads(self.rfile.read(length) or b"{}")
                key = (str(question["rollout"]), str(question["point"]), str(question["canary"]))
            except (ValueError, KeyError, TypeError):
                self.answer(400, "not a Steward gate question")
                return
            with lock:
                asked[key] = asked.get(key, 0) + 1
                count = asked[key]
            if count <= noes:
                self.answer(503, f"evals for {key[0]} {key[2]} still running ({count} of {noes + 1})")
            else:
                self.answer(200, f"40 of 40 evals passed for {key[0]} {key[2]}")

        def answer(self, status: int, text: str):
            body = (text + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print(f"{self.command} {self.path}: {status} {text}", flush=True)

        def log_message(self, *args):
            pass

    return Gate


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="the port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--port-file", help="where to write the port bound")
    parser.add_argument("--noes", type=int, default=1, help="how many questions about each canary get a no first")
    args = parser.parse_args(argv)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.noes))
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(f"{server.server_address[1]}\n")
    print(f"eval gate on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Makes the demo's world in DIR from examples/quickstart: a person's clone
(DIR/work), the bare remote the agent watches (DIR/remote.git), the agent's
config (DIR/agent.yaml) and API token (DIR/token).

The demo overlay shortens the story to a minute or two: both rollouts walk
20% -> 50% -> 100% with 5-second pauses, metrics are looked at every 10
seconds, and the policy's change windows are dropped (the demo runs on any
day). The base commit has no canary; each canary is started by a person's
own commit, so that a rollback reverts exactly that commit. With --gate URL,
customer-support-agent's promotion waits for that gate's yes.

    demo_repo.py DIR [--poll 1s] [--gate URL]
"""
import pathlib
import re
import secrets
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
STEPS = """  strategy:
    canary:
      analysis:
        templates: [llm-defaults]
      steps:
        - setWeight: 20
        - pause: {duration: 5s}
        - setWeight: 50
        - pause: {duration: 5s}
        - setWeight: 100
"""
CANARIES = {"customer-support-agent": "2.4.0", "code-review-assistant": "1.1.1"}


def overlay(work: pathlib.Path, gate: str | None):
    for name in CANARIES:
        path = work / "rollouts" / f"{name}.yaml"
        text = path.read_text()
        text = text[:text.index("  strategy:")] + STEPS
        if gate and name == "customer-support-agent":
            text += f"""  gates:
    beforePromotion:
      - {{name: eval-suite, url: "{gate}", timeout: 5s}}
"""
        if "rollbackMode:" not in text:
            text = text.replace(f"  stickyKey:", "  rollbackMode: revert\n  stickyKey:", 1)
        path.write_text(text)
    template = work / "analysis" / "llm-defaults.yaml"
    text = re.sub(r"interval: \d+m", "interval: 10s", template.read_text())
    template.write_text(text.replace("minSamples: 200", "minSamples: 100"))
    policy = work / "policies" / "default.yaml"
    text = policy.read_text()
    policy.write_text(text[:text.index("  changeWindows:")])


def git(work, *args, person=("Priya", "priya@example.com")):
    subprocess.run(["git", "-c", f"user.name={person[0]}", "-c", f"user.email={person[1]}", "-c", "commit.gpgsign=false", *args],
                   cwd=work, check=True, stdout=subprocess.DEVNULL)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(argv[1]).resolve()
    poll = argv[argv.index("--poll") + 1] if "--poll" in argv else "1s"
    gate = argv[argv.index("--gate") + 1] if "--gate" in argv else None
    work = out / "work"
    shutil.copytree(ROOT / "examples" / "quickstart", work)
    overlay(work, gate)
    started = {name: (work / "rollouts" / f"{name}.yaml").read_text() for name in CANARIES}
    for name, version in CANARIES.items():
        path = work / "rollouts" / f"{name}.yaml"
        path.write_text(started[name].replace(f"  canary: {version}\n", ""))
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "Registry and rollouts: stable versions only")
    people = {"customer-support-agent": ("Priya", "priya@example.com"), "code-review-assistant": ("Sam", "sam@example.com")}
    for name, version in CANARIES.items():
        (work / "rollouts" / f"{name}.yaml").write_text(started[name])
        git(work, "commit", "-qam", f"Start canary {version} for {name}", person=people[name])
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(out / "remote.git")], check=True)
    (out / "token").write_text(secrets.token_hex(16) + "\n")
    (out / "agent.yaml").write_text(f"""repository:
  url: file://{out}/remote.git
  branch: main
  pollInterval: {poll}
identity: {{name: Steward, email: steward@example.com}}
listen: 127.0.0.1:0
apiTokenFile: {out}/token
stateDirectory: {out}/state
""")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

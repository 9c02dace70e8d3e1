#!/bin/sh
# A tour of what Steward does today: check a good desired state, then a
# broken one, the way a pull request's CI would.
set -u
steward=.build/debug/steward

echo "== steward validate examples/quickstart"
$steward validate examples/quickstart
echo "(exit $?)"
echo
echo "== steward validate examples/invalid/five-problems"
$steward validate examples/invalid/five-problems
echo "(exit $?)"
echo
echo "== the same, as GitHub annotations"
$steward validate examples/invalid/five-problems --format github
echo
echo "== a pull request that starts a canary: what will it do? (steward plan)"
repo=$(mktemp -d)/repo
cp -r examples/quickstart "$repo"
sed -i '/^  canary: 2.4.0$/d' "$repo/rollouts/customer-support-agent.yaml"
g() { git -C "$repo" -c user.name="Priya" -c user.email=priya@example.com "$@"; }
g init -q -b main && g add -A && g commit -qm "Registry and rollouts, stable only"
cp examples/quickstart/rollouts/customer-support-agent.yaml "$repo/rollouts/"
$steward plan --repo "$repo" --base main
echo "(exit $?: 2 means something changes)"
g commit -qam "Start canary 2.4.0 for customer-support-agent"
echo
echo "== once merged, the audit trail (steward audit)"
$steward audit --repo "$repo"
rm -rf "$(dirname "$repo")"
echo
echo "== what would the agent do if 2.4.0's error rate jumped at 15%?"
$steward simulate --repo examples/quickstart --rollout customer-support-agent --metrics examples/simulations/error-spike.csv
echo
echo "== how well does the analysis decide? 50 seeded closed-loop runs of a 7% error regression at 500 requests a minute"
$steward simulate --repo examples/quickstart --scenario examples/simulations/scenarios/002-errors-7pct-500rpm.yaml --runs 50
echo
echo "== which version do users get? (15% canary)"
$steward route --table examples/gateway/routing-table.json --model customer-support-agent user-1 user-2 user-3 user-4
exit 0

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
echo "== what would the agent do if 2.4.0's error rate jumped at 15%?"
$steward simulate --repo examples/quickstart --rollout customer-support-agent --metrics examples/simulations/error-spike.csv
echo
echo "== which version do users get? (15% canary)"
$steward route --table examples/gateway/routing-table.json --model customer-support-agent user-1 user-2 user-3 user-4
exit 0

#!/usr/bin/env bash
# The soak (docs/RELIABILITY.md): the four validators of chain-specs/local.json on loopback
# (scripts/local-testnet.sh), then the load harness's mix at a steady rate for MINUTES
# (default 30), with the money audit: every account's balance must equal what the balances
# events say. Writes the harness's report to $GPUX_SOAK_JSON (default /tmp/gpux-soak.json).
#   scripts/soak.sh [MINUTES] [RATE]        RATE: transactions per second (default 5)
# GPUX_NODE: a node binary to run instead of building one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

minutes=${1:-30}
rate=${2:-5}
[[ "$minutes" =~ ^[0-9]+$ && "$minutes" -ge 1 && "$minutes" -le 60 ]] || { echo "MINUTES: 1..60" >&2; exit 2; }
[[ "$rate" =~ ^[0-9]+$ && "$rate" -ge 1 && "$rate" -le 100 ]] || { echo "RATE: 1..100" >&2; exit 2; }
json=${GPUX_SOAK_JSON:-/tmp/gpux-soak.json}

log=$(mktemp -t gpux-soak-net-XXXXXX.log)
# The audit reads balances and events at the first block of the run, which a node pruning
# state (256 blocks by default) has discarded 25 minutes later.
GPUX_NODE_ARGS="--state-pruning archive-canonical ${GPUX_NODE_ARGS:-}" \
	setsid scripts/local-testnet.sh >"$log" 2>&1 &
net=$!
trap 'kill -TERM -- "-$net" 2>/dev/null; wait "$net" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
	grep -q "4 validators running" "$log" && break
	kill -0 "$net" 2>/dev/null || { cat "$log" >&2; exit 3; }
	sleep 1
done
base=$(sed -n 's/^alice: rpc .*, log \(.*\)\/alice\/node.log$/\1/p' "$log")
[[ -n "$base" ]] || { cat "$log" >&2; exit 3; }
for _ in $(seq 1 60); do
	(exec 3<>/dev/tcp/127.0.0.1/9944) 2>/dev/null && break
	sleep 1
done
logs=$(printf '%s/node.log,' "$base"/{alice,bob,charlie,dave})
logs=${logs%,}

cd load
node load.mjs --url ws://127.0.0.1:9944 --kind mix --count $((minutes * 60 * rate)) \
	--duration $((minutes * 60)) --rate "$rate" --audit --expect-landed 1 \
	--author-log "$logs" --json "$json"

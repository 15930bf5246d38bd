#!/usr/bin/env bash
# The load harness's CI smoke run (load/README.md, "CI smoke runs"): a fresh `--dev` node on
# loopback, then a few hundred pre-signed transactions of every kind and of the mix, each run
# failing (exit 1) when a kind lands nothing, or, for the mix, when its money audit finds a
# balance its events do not explain. Figures are not checked here: docs/PERFORMANCE.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

node_bin="$CARGO_TARGET_DIR/release/gpux-node"
[[ -x "$node_bin" ]] || { echo "no $node_bin: build the node first" >&2; exit 2; }
rpc=${GPUX_LOAD_RPC_PORT:-19944}
tmp=$(mktemp -d)
"$node_bin" --dev --base-path "$tmp/chain" --rpc-port "$rpc" --port 0 --prometheus-port 0 \
	2>"$tmp/node.log" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Bounded wait for the node's first block.
for _ in $(seq 1 120); do
	grep -q "Imported #1 " "$tmp/node.log" && break
	kill -0 "$node_pid" 2>/dev/null || { tail -20 "$tmp/node.log" >&2; exit 3; }
	sleep 1
done
grep -q "Imported #1 " "$tmp/node.log" || { echo "the node made no block in 120 s" >&2; exit 3; }

cd load
for kind in transfer rent heartbeat placeOrder bid settle mix; do
	echo "== load smoke: $kind" >&2
	# The mix also audits its money: every balance against the balances events.
	audit=()
	[[ "$kind" == mix ]] && audit=(--audit)
	node load.mjs --url "ws://127.0.0.1:$rpc" --kind "$kind" --count 300 --duration 60 --rate 100 \
		--quick --author-log "$tmp/node.log" --json "$tmp/ci-$kind.json" "${audit[@]}" >"$tmp/ci-$kind.txt" || {
		cat "$tmp/ci-$kind.txt"
		exit 1
	}
	grep -E "^-- |included [0-9]|failed [0-9]|^money audit" "$tmp/ci-$kind.txt" >&2 || true
done

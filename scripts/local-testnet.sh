#!/usr/bin/env bash
# Starts the four validators of chain-specs/local.json (Alice, Bob, Charlie, Dave) on loopback,
# each with its own temporary base path, ports and keys. Ctrl-C stops them all.
#   RPC: Alice ws://127.0.0.1:9944, Bob 9945, Charlie 9946, Dave 9947; Prometheus 9615..9618.
#   Logs in the base paths. GPUX_NODE: a node binary to run instead of building one;
#   GPUX_NODE_ARGS: more flags for every validator (the load harness's pool sizes, say).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

NODE=${GPUX_NODE:-}
if [[ -z "$NODE" ]]; then
	# What operators run (the node and the worker): not the workspace, whose fuzz crate turns
	# on the runtime's try-runtime checks (docs/build.md).
	cargo build --release --locked -p gpux-node -p gpux-worker -p gpux-cli
	NODE="$CARGO_TARGET_DIR/release/gpux-node"
fi
read -r -a extra_args <<<"${GPUX_NODE_ARGS:-}"
BASE="$(mktemp -d -t gpux-local-XXXXXX)"
# Alice's fixed libp2p key makes her peer id known, so the others can bootstrap from her.
ALICE_NODE_KEY=0000000000000000000000000000000000000000000000000000000000000001
ALICE_PEER_ID=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp

pids=()
# Stops every validator (SIGKILL after 20 s), then removes their base paths.
stop_all() {
	trap - INT TERM HUP EXIT
	echo "stopping validators..." >&2
	kill "${pids[@]}" 2>/dev/null || true
	for _ in $(seq 1 40); do
		kill -0 "${pids[@]}" 2>/dev/null || break
		sleep 0.5
	done
	kill -9 "${pids[@]}" 2>/dev/null || true
	rm -rf "$BASE"
	echo "stopped; removed $BASE" >&2
	exit 0
}
trap stop_all INT TERM HUP EXIT

i=0
for name in alice bob charlie dave; do
	p2p=$((30333 + i)); rpc=$((9944 + i)); prom=$((9615 + i))
	key_args=(--unsafe-force-node-key-generation --bootnodes "/ip4/127.0.0.1/tcp/30333/p2p/$ALICE_PEER_ID")
	[ "$name" = alice ] && key_args=(--node-key "$ALICE_NODE_KEY")
	mkdir -p "$BASE/$name"
	"$NODE" --chain chain-specs/local.json --"$name" --base-path "$BASE/$name" \
		--listen-addr "/ip4/127.0.0.1/tcp/$p2p" --rpc-port "$rpc" --prometheus-port "$prom" \
		--no-mdns --no-telemetry "${key_args[@]}" "${extra_args[@]}" \
		>"$BASE/$name/node.log" 2>&1 &
	pids+=($!)
	echo "$name: rpc ws://127.0.0.1:$rpc, log $BASE/$name/node.log" >&2
	i=$((i + 1))
done

echo "4 validators running; Ctrl-C (or SIGTERM) stops them all." >&2
wait -n "${pids[@]}" || true
echo "a validator exited; see its log in $BASE" >&2

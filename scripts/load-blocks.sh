#!/usr/bin/env bash
# The harness's figures and how long its loaded blocks really take to execute against the weight
# they declare (docs/PERFORMANCE.md): a fresh `--dev --sealing aura` node of the operators' build
# with a kept database, one harness run per kind, then `gpux-node benchmark block` (in the
# runtime-benchmarks build only) over every block the runs filled, executing the runtime the
# chain ran.
#   scripts/load-blocks.sh [kind ...]    default: transfer rent heartbeat placeOrder bid settle mix
# Reports and the benchmark's output go to $GPUX_LOAD_OUT (default: a temporary directory).
# GPUX_NODE and GPUX_BENCH_NODE name an operators' and a runtime-benchmarks node binary to use
# instead of building them. GPUX_LOAD_LISTINGS=N lists N more machines of the same class (a
# setup-only heartbeat pool of another seed at 0.8 × MFP: above the order pool, level with the
# other pools) before each run: matching among many listings. N plus the run's own machines may
# be at most MaxTrackedMachines - 16 = 4,984 (the harness refuses more): 4,700 with placeOrder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(transfer rent heartbeat placeOrder bid settle mix)
declare -A COUNT=([transfer]=20000 [rent]=6000 [heartbeat]=3500 [placeOrder]=4000 [bid]=4000
	[settle]=4000 [mix]=8000)
declare -A RATE=([transfer]=4000 [rent]=600 [heartbeat]=3500 [placeOrder]=600 [bid]=800
	[settle]=800 [mix]=800)
# Rents and orders alone: no worker attests their leases' starts, so their blocks hold only
# them (the mix has the attestations; leases left unattested are abandoned after the run).
declare -A EXTRA=([rent]="--keeper off" [placeOrder]="--keeper off")
for kind in "${kinds[@]}"; do
	[[ -n "${COUNT[$kind]:-}" ]] || { echo "unknown kind $kind" >&2; exit 2; }
done

node_bin=${GPUX_NODE:-}
if [[ -z "$node_bin" ]]; then
	# What operators run (the node and the worker): not the workspace, whose fuzz crate turns
	# on the runtime's try-runtime checks (docs/build.md).
	cargo build --release --locked -p gpux-node -p gpux-worker
	node_bin=$(mktemp -t gpux-node-XXXXXX)
	cp "$CARGO_TARGET_DIR/release/gpux-node" "$node_bin"
fi
bench_bin=${GPUX_BENCH_NODE:-}
if [[ -z "$bench_bin" ]]; then
	cargo build --release --locked --workspace --features "$GPUX_FEATURES"
	bench_bin="$CARGO_TARGET_DIR/release/gpux-node"
fi
out=${GPUX_LOAD_OUT:-$(mktemp -d -t gpux-load-blocks-XXXXXX)}
mkdir -p "$out"
rpc=${GPUX_LOAD_RPC_PORT:-19944}
prom=${GPUX_LOAD_PROMETHEUS_PORT:-19615}
node_pid=
trap '[[ -z "$node_pid" ]] || kill "$node_pid" 2>/dev/null || true' EXIT
: >"$out/benchmark-block.txt"

# One fresh chain per kind: leases a finished run leaves (their workers gone) would be faulted
# in the next run's blocks.
for kind in "${kinds[@]}"; do
	chain=$out/chain-$kind
	rm -rf "$chain"
	"$node_bin" --dev --sealing aura --base-path "$chain" --rpc-port "$rpc" --port 0 \
		--prometheus-port "$prom" --pool-limit 40000 --pool-kbytes 204800 2>"$out/node-$kind.log" &
	node_pid=$!
	for _ in $(seq 1 120); do
		grep -q "Imported #1 " "$out/node-$kind.log" && break
		kill -0 "$node_pid" 2>/dev/null || { tail -20 "$out/node-$kind.log" >&2; exit 3; }
		sleep 1
	done
	listings=${GPUX_LOAD_LISTINGS:-0}
	[[ "$listings" =~ ^[0-9]+$ ]] || { echo "GPUX_LOAD_LISTINGS: not a number: $listings" >&2; exit 2; }
	if ((listings > 0)); then
		echo "== $listings more listings" >&2
		(cd load && node load.mjs --url "ws://127.0.0.1:$rpc" --kind heartbeat --count "$listings" --duration 60 \
			--rate "$listings" --seed gpux-load-listings --setup-only >"$out/listings-$kind.txt" 2>&1) ||
			{ tail -5 "$out/listings-$kind.txt" >&2; exit 3; }
	fi
	echo "== load: $kind" >&2
	(cd load && node load.mjs --url "ws://127.0.0.1:$rpc" --kind "$kind" --count "${COUNT[$kind]}" \
		--duration 60 --rate "${RATE[$kind]}" --author-log "$out/node-$kind.log" \
		--author-prometheus "http://127.0.0.1:$prom" --json "$out/$kind.json" ${EXTRA[$kind]:-} \
		>"$out/$kind.txt")
	grep -E "^-- " "$out/$kind.txt" >&2 || true
	kill "$node_pid"
	wait "$node_pid" 2>/dev/null || true
	node_pid=

	# The blocks that carried at least 100 of the run's transactions.
	blocks=$(node -e '
		const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		for (const b of report.blocks) if (b.included >= 100) console.log(b.number);' "$out/$kind.json")
	[[ -n "$blocks" ]] || { echo "$kind: no block carried 100 transactions" >&2; continue; }
	# From the block before the first: the first block `benchmark block` runs also pays for the
	# runtime's first instantiation (about 0.5–0.6 s; docs/PERFORMANCE.md), so it is not one of ours.
	from=$(($(head -1 <<<"$blocks") - 1))
	to=$(tail -1 <<<"$blocks")
	echo "== benchmark block $from..$to ($kind)" | tee -a "$out/benchmark-block.txt" >&2
	"$bench_bin" benchmark block --chain dev --base-path "$chain" --from "$from" --to "$to" --repeat 3 \
		2>&1 | grep -E "Block [0-9]+ with" | tee -a "$out/benchmark-block.txt" >&2
	rm -rf "$chain"
done
echo "reports in $out ($kind.txt, $kind.json; benchmark-block.txt)" >&2

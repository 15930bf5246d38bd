#!/usr/bin/env bash
# Measures the runtime's weights with the node's benchmarks and writes the weights files
# (docs/weights.md):
#   scripts/benchmark.sh          every pallet (ours into pallets/*/src/weights.rs, FRAME's into
#                                 runtime/src/weights/), block and extrinsic base weights
#                                 (`benchmark overhead`) and ParityDB access weights
#                                 (`benchmark storage`), at the steps and repeats below
#   scripts/benchmark.sh --quick  the same benchmarks with 3 steps and 1 repeat, written to a
#                                 temporary directory: CI runs it so no benchmark can rot
#   scripts/benchmark.sh [--quick] pallet_x ...
#                                 only these pallets (after changing their calls or benchmarks)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

usage() {
	echo "usage: scripts/benchmark.sh [--quick] [pallet ...]" >&2
	exit 2
}
quick=false
if [[ "${1:-}" == --quick ]]; then
	quick=true
	shift
fi
only=("$@")

# Our pallets, each with the crate directory its weights.rs belongs to.
declare -A OURS=(
	[pallet_marketplace]=pallets/marketplace
	[pallet_leases]=pallets/leases
	[pallet_provider_staking]=pallets/staking
	[pallet_attestation]=pallets/attestation
	[pallet_governance]=pallets/governance
)
# FRAME pallets configured in the runtime; weights in runtime/src/weights/<name>.rs.
FRAME=(frame_system frame_system_extensions pallet_balances pallet_timestamp pallet_sudo
	pallet_parameters pallet_scheduler pallet_preimage pallet_referenda pallet_conviction_voting
	pallet_treasury pallet_utility pallet_transaction_payment)

for pallet in "${only[@]}"; do
	[[ -n "${OURS[$pallet]:-}" || " ${FRAME[*]} " == *" $pallet "* ]] || {
		echo "$pallet: not a pallet this runtime benchmarks" >&2
		usage
	}
done
selected() { [[ ${#only[@]} -eq 0 || " ${only[*]} " == *" $1 "* ]]; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if $quick; then
	steps=3 repeat=1 warmup=1 overhead_repeat=1 min_duration=0 storage_accounts=1000
	out=$tmp/weights
	mkdir "$out"
else
	# Sized for the 2-core build machine: the full run takes about the time docs/weights.md says.
	steps=10 repeat=5 warmup=10 overhead_repeat=50 min_duration=0 storage_accounts=100000
	out=
fi

cargo build --release --locked --workspace --features "$GPUX_FEATURES"
gpux_node="$CARGO_TARGET_DIR/release/gpux-node"
header=scripts/weights/header.txt

# The dev genesis with governance on its live timing; for `benchmark storage`, also many funded
# accounts (scripts/weights/benchmark-spec.mjs says why).
"$gpux_node" build-spec --chain dev 2>/dev/null >"$tmp/dev.json"
spec=$tmp/benchmark.json
node scripts/weights/benchmark-spec.mjs "$tmp/dev.json" "$spec"

# Every pallet the runtime benchmarks must be weighed here, and nothing else.
listed=$("$gpux_node" benchmark pallet --chain dev --list=pallets | tail -n +2 | grep -v '^frame_benchmarking$' | sort)
expected=$(printf '%s\n' "${!OURS[@]}" "${FRAME[@]}" | sort)
if [[ "$listed" != "$expected" ]]; then
	echo "runtime/src/benchmarks.rs and scripts/benchmark.sh list different pallets:" >&2
	diff <(echo "$expected") <(echo "$listed") >&2 || true
	exit 1
fi

bench() { # pallet output [template]
	local pallet=$1 output=$2
	shift 2
	echo "== $pallet" >&2
	"$gpux_node" benchmark pallet --chain "$spec" --pallet "$pallet" --extrinsic '*' \
		--steps "$steps" --repeat "$repeat" --min-duration "$min_duration" --wasm-execution compiled \
		--header "$header" --output "$output" "$@"
}

for pallet in "${!OURS[@]}"; do
	selected "$pallet" || continue
	bench "$pallet" "${out:-${OURS[$pallet]}/src}/${out:+$pallet-}weights.rs" \
		--template scripts/weights/pallet.hbs
done
weights=${out:-runtime/src/weights}
for pallet in "${FRAME[@]}"; do
	selected "$pallet" || continue
	bench "$pallet" "$weights/$pallet.rs"
done

if [[ ${#only[@]} -eq 0 ]]; then
	echo "== block and extrinsic base weights" >&2
	"$gpux_node" benchmark overhead --chain "$spec" --weight-path "$weights" --header "$header" \
		--warmup "$warmup" --repeat "$overhead_repeat"

	echo "== ParityDB read and write weights" >&2
	storage_spec=$tmp/storage.json
	node scripts/weights/benchmark-spec.mjs "$tmp/dev.json" "$storage_spec" "$storage_accounts"
	"$gpux_node" benchmark storage --chain "$storage_spec" --base-path "$tmp/db" --database paritydb --state-version 1 \
		--batch-size "$storage_accounts" --weight-path "$weights" --header "$header" --warmups "$warmup"
fi

# The overhead and storage templates do not mark their files `rustfmt_skip`.
if ! $quick; then
	cargo fmt --all
fi
echo "weights written to ${out:-pallets/*/src/weights.rs and runtime/src/weights/}" >&2

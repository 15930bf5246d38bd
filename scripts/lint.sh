#!/usr/bin/env bash
# Formatting, clippy (warnings are errors; the pallets' benchmark code too) and rustdoc (broken
# intra-doc links are errors). Run by scripts/test.sh; reuses the shared target directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

cargo fmt --all -- --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo clippy --release --locked -p pallet-marketplace -p pallet-leases -p pallet-provider-staking \
	-p pallet-attestation -p pallet-governance --all-targets --features \
	pallet-marketplace/runtime-benchmarks,pallet-leases/runtime-benchmarks,pallet-provider-staking/runtime-benchmarks,pallet-attestation/runtime-benchmarks,pallet-governance/runtime-benchmarks \
	-- -D warnings
RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links" \
	cargo doc --release --locked --workspace --no-deps

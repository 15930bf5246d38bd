#!/usr/bin/env bash
# Runs every test of GPUX chain: lints (scripts/lint.sh), Rust unit, pallet and runtime tests, the pallets'
# benchmarks as tests, the chain-spec drift check, and the polkadot.js end-to-end tests against
# real nodes (--dev and a 4-validator local network). Tests and the node share one release
# build (docs/build.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%T)" >&2; }
start=$(date +%s)

step "lint: fmt, clippy -D warnings, rustdoc"
scripts/lint.sh

step "the upgrade runtime: this tree with spec_version + 1 (scripts/build-upgrade-runtime.sh)"
GPUX_UPGRADE_WASM=$(scripts/build-upgrade-runtime.sh)
export GPUX_UPGRADE_WASM

step "build (release): node, runtime, worker"
cargo build --release --locked --workspace

step "Rust tests"
cargo test --release --locked --workspace

step "pallet benchmarks, run as tests (their own feature set: docs/build.md)"
cargo test --release --locked -p pallet-marketplace -p pallet-leases -p pallet-provider-staking \
	-p pallet-attestation -p pallet-governance --features \
	pallet-marketplace/runtime-benchmarks,pallet-leases/runtime-benchmarks,pallet-provider-staking/runtime-benchmarks,pallet-attestation/runtime-benchmarks,pallet-governance/runtime-benchmarks

step "worker CLI smoke test"
"$CARGO_TARGET_DIR/release/gpux-worker" --simulate 2xRTX4090 status
"$CARGO_TARGET_DIR/release/gpux-worker" challenge --size 64

step "end-to-end tests (polkadot.js against gpux-node)"
(cd e2e && GPUX_NODE="$CARGO_TARGET_DIR/release/gpux-node" npm test --silent)

step "all tests passed in $(( $(date +%s) - start )) s"

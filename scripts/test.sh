#!/usr/bin/env bash
# Runs every test of GPUX chain: lints (scripts/lint.sh), Rust unit, pallet and runtime tests with
# the pallets' benchmarks as tests, the chain-spec drift check, every benchmark of the runtime in
# quick mode (scripts/benchmark.sh --quick), the polkadot.js end-to-end tests against real
# nodes (--dev and a 4-validator local network; Docker leases with the image
# scripts/build-lease-image.sh builds), and the load harness's smoke run
# (scripts/load-smoke.sh). Everything shares one release build, with the
# node's `runtime-benchmarks` feature ($GPUX_FEATURES, docs/build.md).
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
cargo build --release --locked --workspace --features "$GPUX_FEATURES"

step "Rust tests, the pallets' benchmarks among them (the worker's CUDA kernels compiled and assembled with NVIDIA's libnvrtc and ptxas, scripts/cuda-tools.sh)"
(
	tools=$(scripts/cuda-tools.sh)
	eval "$tools"
	# The kernels' compile test fails instead of skipping when the tools are missing.
	export GPUX_REQUIRE_NVRTC=1
	cargo test --release --locked --workspace --features "$GPUX_FEATURES"
)

# The fault suite mostly waits for blocks of a 4-validator network: it runs beside the
# benchmarks, the lease image and the other end-to-end suites, and is collected after them
# (docs/build.md). Not beside the Rust tests: their compile held 4 starting nodes past their
# RPC timeout.
step "the fault suite, in the background (e2e/faults.test.mjs: 4 validators, workers, flood, load mix)"
# Its own copies of the binaries (the Rust tests may link them again while it runs), and its
# own process group, so that a failed step stops it whole (its nodes and workers with it).
faults_dir=$(mktemp -d -t gpux-faults-XXXXXX)
cp "$CARGO_TARGET_DIR/release/gpux-node" "$CARGO_TARGET_DIR/release/gpux-worker" "$faults_dir/"
(cd e2e && GPUX_NODE="$faults_dir/gpux-node" GPUX_WORKER="$faults_dir/gpux-worker" exec setsid \
	node --test --test-timeout=900000 --test-reporter=spec faults.test.mjs) >"$faults_dir/log" 2>&1 &
faults_pid=$!
trap 'kill -TERM -- "-$faults_pid" 2>/dev/null || true; rm -rf "$faults_dir"' EXIT

step "every benchmark of the runtime, quick mode (scripts/benchmark.sh --quick)"
scripts/benchmark.sh --quick

step "worker CLI smoke test"
"$CARGO_TARGET_DIR/release/gpux-worker" --simulate 2xRTX4090 status
"$CARGO_TARGET_DIR/release/gpux-worker" challenge --rows 64 --rounds 8

step "the lease image the Docker backend runs (scripts/build-lease-image.sh; starts dockerd if needed)"
scripts/build-lease-image.sh

step "the dApp: its unit tests, then its build (dapp/dist, which e2e/dapp.test.mjs serves)"
(cd dapp && npm test --silent && npx vite build --logLevel warn)

step "end-to-end tests (polkadot.js against gpux-node; the dApp in headless Chromium)"
(
	cd e2e
	suites=()
	for suite in ./*.test.mjs; do
		[[ "$suite" == ./faults.test.mjs ]] || suites+=("$suite")
	done
	GPUX_NODE="$CARGO_TARGET_DIR/release/gpux-node" npm test --silent -- "${suites[@]}"
)
step "the fault suite's result (e2e/faults.test.mjs, started before the benchmarks)"
faults_rc=0
wait "$faults_pid" || faults_rc=$?
cat "$faults_dir/log"
[[ $faults_rc -eq 0 ]] || { echo "the fault suite failed (exit $faults_rc)" >&2; exit 1; }

step "load harness: its unit tests, then a smoke run of every kind against --dev (scripts/load-smoke.sh)"
(cd load && npm test --silent)
scripts/load-smoke.sh

step "all tests passed in $(( $(date +%s) - start )) s"

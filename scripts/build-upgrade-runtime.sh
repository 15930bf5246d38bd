#!/usr/bin/env bash
# Builds the runtime a second time from this tree with only `spec_version` bumped by one: the
# runtime the local-network e2e test upgrades to by referendum (docs/governance.md). The source
# is restored on exit, whatever happens. Prints the wasm's path; scripts/test.sh passes it to the
# e2e tests as GPUX_UPGRADE_WASM. The wasm is built without the benchmarks, as operators build:
# with them it is 5.1 MB compressed, and the pool refuses an upgrade that large (docs/build.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

lib=runtime/src/lib.rs
version=$(sed -n 's/^\tspec_version: \([0-9]*\),$/\1/p' "$lib")
[[ -n "$version" ]] || { echo "no spec_version in $lib" >&2; exit 1; }
next=$((version + 1))
out="$CARGO_TARGET_DIR/upgrade"
mkdir -p "$out"

backup=$(mktemp)
cp -p "$lib" "$backup"
# A fresh mtime, so that the next build compiles the runtime at its own version again.
trap 'cp "$backup" "$lib"; touch "$lib"; rm -f "$backup"' EXIT
sed -i "s/^\tspec_version: $version,$/\tspec_version: $next,/" "$lib"
# `cargo check` with the lints' own arguments: the native side reuses what clippy checked (only
# the workspace's crates are checked again), while the runtime's build script still builds the
# wasm, without the test features (runtime/build.rs).
GPUX_WASM_WITHOUT_TEST_FEATURES=1 \
	cargo check --release --locked --workspace --all-targets --features "$GPUX_FEATURES" >&2
wasm="$CARGO_TARGET_DIR/release/wbuild/gpux-runtime/gpux_runtime.compact.compressed.wasm"
# The operators' runtime is ≈ 0.7 MB; with the benchmarks it is ≈ 5 MB, which no block can carry
# (the pool calls `applyAuthorizedUpgrade` Invalid). A stale build script is the known cause.
size=$(stat -c %s "$wasm")
if (( size > 2 * 1024 * 1024 )); then
	echo "the upgrade wasm is $size bytes: built with the benchmarks? (runtime/build.rs did not" \
		"strip them; \`touch runtime/build.rs\` and run this again)" >&2
	exit 1
fi
cp "$wasm" "$out/gpux_runtime-$next.compact.compressed.wasm"
echo "$out/gpux_runtime-$next.compact.compressed.wasm"

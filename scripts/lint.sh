#!/usr/bin/env bash
# Formatting, clippy (warnings are errors) and rustdoc (broken intra-doc links are errors), over
# the workspace with the node's `runtime-benchmarks` feature, the one build CI makes
# (docs/build.md): the benchmark code of every pallet and the node is linted with the rest. Run by
# scripts/test.sh; reuses the shared target directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

cargo fmt --all -- --check
cargo clippy --release --locked --workspace --all-targets --features "$GPUX_FEATURES" -- -D warnings
RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links" \
	cargo doc --release --locked --workspace --no-deps --features "$GPUX_FEATURES"

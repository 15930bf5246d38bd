#!/usr/bin/env bash
# Re-exports chain-specs/dev.json and local.json from the runtime's genesis presets. Run it
# after changing the runtime or a preset; the Rust tests fail until the files match.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

# What operators run (the node and the worker): not the workspace, whose fuzz crate turns
# on the runtime's try-runtime checks (docs/build.md).
cargo build --release --locked -p gpux-node -p gpux-worker
for chain in dev local; do
	"$CARGO_TARGET_DIR/release/gpux-node" export-chain-spec --chain "$chain" --output "chain-specs/$chain.json"
done

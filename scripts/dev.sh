#!/usr/bin/env bash
# Builds gpux-node if needed and runs a development chain: Alice validates, a finalized block
# every second, state in a temporary directory. Open polkadot.js apps at ws://127.0.0.1:9944.
# Extra arguments go to the node, e.g. `scripts/dev.sh --sealing instant`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT"

# What operators run (the node and the worker): not the workspace, whose fuzz crate turns
# on the runtime's try-runtime checks (docs/build.md).
cargo build --release --locked -p gpux-node -p gpux-worker -p gpux-cli
echo "Starting gpux-node --dev; polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944" >&2
exec "$CARGO_TARGET_DIR/release/gpux-node" --dev --rpc-port 9944 "$@"

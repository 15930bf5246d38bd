#!/usr/bin/env bash
# Builds the web dApp (dapp/) and serves it on loopback against a node:
#   scripts/dapp.sh [--node ws://127.0.0.1:9944] [--port 5173]
# Open http://127.0.0.1:PORT/ (add ?node=ws://HOST:PORT to point one page at another node).
# A dev chain: scripts/dev.sh in another terminal. The dev accounts appear on dev and local
# chains only; elsewhere the page signs with a browser extension (polkadot{.js}, Talisman…).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$GPUX_ROOT/dapp"

node_url=ws://127.0.0.1:9944
port=5173
while (($#)); do
	case "$1" in
	--node) node_url="${2:?--node needs a ws:// URL}"; shift 2 ;;
	--port) port="${2:?--port needs a number}"; shift 2 ;;
	*) echo "usage: scripts/dapp.sh [--node ws://HOST:PORT] [--port PORT]" >&2; exit 2 ;;
	esac
done
[[ "$node_url" =~ ^wss?:// ]] || { echo "--node must be a ws:// or wss:// URL, not '$node_url'" >&2; exit 2; }
[[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || { echo "--port must be 1-65535, not '$port'" >&2; exit 2; }

VITE_GPUX_NODE="$node_url" npx vite build --logLevel warn
echo "GPUX dApp for $node_url: http://127.0.0.1:$port/" >&2
exec npx vite preview --host 127.0.0.1 --port "$port" --strictPort

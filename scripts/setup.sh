#!/usr/bin/env bash
# Installs what building and testing GPUX chain needs, and only what is missing: safe to run
# every time. Sourced by every script in scripts/; exports CARGO_TARGET_DIR and GPUX_FEATURES.
set -euo pipefail

GPUX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GPUX_ROOT
# One target directory outside the checkout, shared by every clone, CI run and session.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gpux-target}"
mkdir -p "$CARGO_TARGET_DIR"
# The features of the one build the tests, the benchmarks and CI share (docs/build.md): the node
# with `gpux-node benchmark` and a runtime that carries the benchmarks. Operators build without.
export GPUX_FEATURES="gpux-node/runtime-benchmarks"

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

# System packages: protoc for libp2p, clang for bindgen-using crates, a C++ compiler for binaryen.
APT_PACKAGES=(protobuf-compiler clang libclang-dev pkg-config make g++ git ca-certificates)
# The Docker backend's tests: the engine, debootstrap for the lease image, an SSH client and
# PyNaCl for the renter's side (docs/access.md).
APT_PACKAGES+=(docker.io debootstrap openssh-client python3-nacl)
# scripts/cuda-tools.sh (NVIDIA's libnvrtc and ptxas from PyPI, for the worker's kernel tests).
APT_PACKAGES+=(python3)
# The dApp's browser tests (e2e/dapp.test.mjs): Debian's Chromium, driven by playwright-core.
APT_PACKAGES+=(chromium)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Rust: the toolchain rust-toolchain.toml names, with the wasm targets and rust-src the runtime
# build needs. RUSTUP_AUTO_INSTALL=0 on these machines, so nothing is installed implicitly.
command -v rustup >/dev/null 2>&1 || { echo "rustup is required: https://rustup.rs" >&2; exit 1; }
TOOLCHAIN="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$GPUX_ROOT/rust-toolchain.toml")"
rustup toolchain list | grep -q "^$TOOLCHAIN" || { log "installing Rust $TOOLCHAIN"; rustup toolchain install "$TOOLCHAIN" --profile minimal; }
installed_targets="$(rustup target list --installed --toolchain "$TOOLCHAIN")"
for target in wasm32-unknown-unknown wasm32v1-none; do
	grep -qx "$target" <<<"$installed_targets" || { log "adding target $target"; rustup target add "$target" --toolchain "$TOOLCHAIN"; }
done
installed_components="$(rustup component list --installed --toolchain "$TOOLCHAIN")"
for component in rust-src rustfmt clippy; do
	grep -q "^$component" <<<"$installed_components" || { log "adding component $component"; rustup component add "$component" --toolchain "$TOOLCHAIN"; }
done

# The JavaScript end-to-end tests, load harness and dApp: exactly what each package-lock.json records.
for js in e2e load dapp; do
	if [ ! -f "$GPUX_ROOT/$js/node_modules/.package-lock.json" ] ||
		[ "$GPUX_ROOT/$js/package-lock.json" -nt "$GPUX_ROOT/$js/node_modules/.package-lock.json" ]; then
		log "installing $js npm packages"
		(cd "$GPUX_ROOT/$js" && npm ci --no-audit --no-fund --loglevel=error)
	fi
done

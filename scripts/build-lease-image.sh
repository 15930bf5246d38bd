#!/usr/bin/env bash
# Builds the lease image the Docker backend runs (gpux/lease:1 unless GPUX_LEASE_IMAGE says
# otherwise) from Debian packages only: debootstrap of a minimal bookworm with openssh-server
# and Jupyter Notebook, the scripts of worker/image/, imported with `docker import`. No image
# registry is involved. Built once: an existing image is kept (GPUX_REBUILD_IMAGE=1 rebuilds).
# Starts dockerd when it is not running (scripts/dockerd.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE=${GPUX_LEASE_IMAGE:-gpux/lease:1}
MIRROR=${GPUX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '\033[1mlease image:\033[0m %s\n' "$*" >&2; }

"$ROOT/scripts/dockerd.sh"
if docker image inspect "$IMAGE" >/dev/null 2>&1 && [ -z "${GPUX_REBUILD_IMAGE:-}" ]; then
	log "$IMAGE exists; GPUX_REBUILD_IMAGE=1 rebuilds it"
	exit 0
fi
if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

started=$(date +%s)
rootfs=$(mktemp -d -t gpux-lease-rootfs-XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
log "debootstrap bookworm into $rootfs from $MIRROR"
debootstrap --variant=minbase --include=openssh-server,procps,ca-certificates,less \
	bookworm "$rootfs" "$MIRROR" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
# Jupyter through apt in the new root: debootstrap's own installer cannot order its dependencies.
log "installing Jupyter Notebook into it"
echo "deb $MIRROR bookworm main" >"$rootfs/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d" # start no services in the chroot
chmod +x "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"
trap 'umount "$rootfs/proc" 2>/dev/null || true; rm -rf "$rootfs"' EXIT
chroot "$rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook python3-ipykernel' \
	>>"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
umount "$rootfs/proc"
rm -f "$rootfs.log" "$rootfs/usr/sbin/policy-rc.d"

# Every lease makes its own host key: none may ship in the image.
rm -f "$rootfs"/etc/ssh/ssh_host_*
install -m 0755 "$ROOT/worker/image/gpux-lease-init" "$rootfs/usr/local/sbin/gpux-lease-init"
install -m 0755 "$ROOT/worker/image/gpux-preempt" "$rootfs/usr/local/sbin/gpux-preempt"
install -m 0644 "$ROOT/worker/image/sshd_config" "$rootfs/etc/ssh/sshd_config"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/*

log "importing as $IMAGE"
tar --numeric-owner -C "$rootfs" -c . | docker import \
	-c 'CMD ["/usr/local/sbin/gpux-lease-init"]' -c 'EXPOSE 22 8888' \
	-c 'ENV LANG=C.UTF-8' -m "GPUX lease image (worker/image)" - "$IMAGE" >/dev/null
log "$IMAGE built in $(($(date +%s) - started)) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec) "

#!/usr/bin/env bash
# Makes sure a Docker engine answers: starts Debian's dockerd (installing docker.io if needed)
# when none runs, and says so. Its log goes to $GPUX_DOCKERD_LOG (/tmp/gpux-dockerd.log).
set -euo pipefail
log() { printf '\033[1mdockerd:\033[0m %s\n' "$*" >&2; }

timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && exit 0
if ! command -v dockerd >/dev/null; then
	log "installing docker.io"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
LOG=${GPUX_DOCKERD_LOG:-/tmp/gpux-dockerd.log}
log "no Docker engine answers: starting dockerd (log $LOG)"
nohup dockerd >"$LOG" 2>&1 &
for _ in $(seq 1 60); do
	timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && { log "dockerd is up"; exit 0; }
	sleep 1
done
log "dockerd did not answer within 60 s; its log:"
tail -20 "$LOG" >&2
exit 1
